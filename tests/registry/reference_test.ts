import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  formatReference,
  isLoopbackHost,
  makeReference,
  parseReference,
} from "../../src/registry/reference.ts";

const D = `sha256:${"a".repeat(64)}` as const;

function parts(s: string) {
  const r = parseReference(s);
  return { registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest };
}

describe("parseReference", () => {
  it("sends names without a host to Docker Hub, under library/ when single", () => {
    assert.deepEqual(parts("alpine"), {
      registry: "registry-1.docker.io",
      repository: "library/alpine",
      tag: undefined,
      digest: undefined,
    });
    assert.deepEqual(parts("me/app:v1"), {
      registry: "registry-1.docker.io",
      repository: "me/app",
      tag: "v1",
      digest: undefined,
    });
  });

  it("normalises docker.io and index.docker.io", () => {
    assert.equal(parseReference("docker.io/alpine").repository, "library/alpine");
    assert.equal(parseReference("docker.io/alpine").registry, "registry-1.docker.io");
    assert.equal(parseReference("index.docker.io/me/app").registry, "registry-1.docker.io");
    assert.equal(parseReference("index.docker.io/me/app").repository, "me/app");
  });

  it("recognises hosts by dot, port, localhost and IPv6 brackets", () => {
    assert.deepEqual(parts("localhost/app"), {
      registry: "localhost",
      repository: "app",
      tag: undefined,
      digest: undefined,
    });
    assert.equal(parseReference("localhost:5000/a/b:t").registry, "localhost:5000");
    assert.equal(parseReference("127.0.0.1:5000/a").registry, "127.0.0.1:5000");
    assert.equal(parseReference("[::1]:5000/a").registry, "[::1]:5000");
    assert.equal(parseReference("ghcr.io/me/app").registry, "ghcr.io");
    assert.equal(parseReference("myhost:443/app").registry, "myhost:443");
    assert.equal(parseReference("GHCR.IO/me/app").registry, "ghcr.io");
    // A first component without dot or port is part of the Hub name.
    assert.equal(parseReference("team/app").registry, "registry-1.docker.io");
  });

  it("splits tag and digest, with a port in the host", () => {
    assert.deepEqual(parts(`localhost:5000/a/b:v1.2_3-x@${D}`), {
      registry: "localhost:5000",
      repository: "a/b",
      tag: "v1.2_3-x",
      digest: D,
    });
    assert.deepEqual(parts(`ghcr.io/a@${D}`), {
      registry: "ghcr.io",
      repository: "a",
      tag: undefined,
      digest: D,
    });
  });

  it("accepts the separators of the distribution grammar", () => {
    for (const name of ["a.b", "a_b", "a__b", "a-b", "a---b", "a1/b2/c3"]) {
      assert.equal(parseReference(`r.io/${name}`).repository, name);
    }
  });

  it("says which part is invalid", () => {
    const cases: [string, RegExp][] = [
      ["r.io/App", /repository "App" is invalid: path component "App"/],
      ["r.io/a..b", /path component "a\.\.b"/],
      ["r.io/a___b", /path component "a___b"/],
      ["r.io/-a", /path component "-a"/],
      ["r.io/a//b", /path component ""/],
      ["r.io/a/", /path component ""/],
      ["r.io/a:-x", /tag "-x" is invalid/],
      ["r.io/a:.x", /tag "\.x" is invalid/],
      [`r.io/a:${"t".repeat(129)}`, /tag "t+" is invalid/],
      ["r.io/a:", /tag "" is invalid/],
      ["r.io/a@sha256:abc", /digest "sha256:abc" is invalid/],
      [`r.io/a@md5:${"a".repeat(32)}`, /digest "md5:/],
      ["", /it is empty/],
      ["a b", /whitespace/],
      ["r.io:99999/a", /registry "r\.io:99999" is invalid: port/],
      ["bad_host.io/a", /registry "bad_host\.io" is invalid/],
      ["r.io/", /repository name is empty/],
      [`r.io/${"a/".repeat(128)}a`, /longer than 255/],
    ];
    for (const [input, want] of cases) {
      assert.throws(() => parseReference(input), (e: unknown) => {
        assert.ok(e instanceof UsageError, `${input}: ${e}`);
        assert.ok(e.message.startsWith(`Cannot parse reference "${input}": `), e.message);
        assert.match(e.message, want, input);
        return true;
      });
    }
  });

  it("round-trips through toString and formatReference", () => {
    for (const s of ["localhost:5000/a/b:v1", `ghcr.io/a@${D}`, `r.io/x:t@${D}`]) {
      assert.equal(parseReference(s).toString(), s);
      assert.equal(String(parseReference(s)), s);
    }
    assert.equal(parseReference("alpine").toString(), "registry-1.docker.io/library/alpine");
    assert.equal(
      formatReference({ registry: "r.io", repository: "a", tag: "t" }),
      "r.io/a:t",
    );
    assert.equal(makeReference("r.io", "a", undefined, D).toString(), `r.io/a@${D}`);
  });
});

describe("isLoopbackHost", () => {
  it("knows localhost, 127/8 and ::1 with or without port", () => {
    for (
      const h of [
        "localhost",
        "localhost:5000",
        "127.0.0.1",
        "127.0.0.1:80",
        "127.1.2.3:1",
        "[::1]",
        "[::1]:5000",
        "LOCALHOST",
      ]
    ) {
      assert.equal(isLoopbackHost(h), true, h);
    }
    for (
      const h of ["ghcr.io", "10.0.0.1:5000", "localhost.example.com", "[::2]:5000", "128.0.0.1"]
    ) {
      assert.equal(isLoopbackHost(h), false, h);
    }
  });
});
