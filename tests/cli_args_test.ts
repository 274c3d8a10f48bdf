import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseArgv, parseCommand, parseSourceSpec, shellWords } from "../src/cli_args.ts";
import { UsageError } from "../src/errors.ts";

function plan(argv: string[], env: Record<string, string> = {}) {
  const cmd = parseCommand(["build", "src", ...argv], env, () => 1_700_000_000_123);
  assert.equal(cmd.kind, "build");
  if (cmd.kind !== "build") throw new Error("unreachable");
  return cmd.plan;
}

describe("command line", () => {
  test("shell words and JSON arrays give the same argv", () => {
    assert.deepEqual(shellWords(`a "b c" 'd "e"' f\\ g "h\\"i"`), [
      "a",
      "b c",
      'd "e"',
      "f g",
      'h"i',
    ]);
    assert.deepEqual(shellWords(`x ""`), ["x", ""]);
    assert.deepEqual(parseArgv("--cmd", '["a b", "c"]'), ["a b", "c"]);
    assert.throws(() => parseArgv("--cmd", "[oops"), /not valid JSON/);
    assert.throws(() => parseArgv("--cmd", "[1, 2]"), /JSON array of strings/);
    assert.throws(() => shellWords(`"open`), /unterminated/);
  });

  test("flags fill the plan; --flag=value and -o short forms work", () => {
    const p = plan([
      "--entrypoint=/app",
      "--cmd",
      "serve --port 80",
      "--env",
      "A=1",
      "--env=B=x=y",
      "-o",
      "oci:out/oci:v1",
      "-t",
      "localhost:5000/app:v1",
      "--platform",
      "linux/arm64",
      "--owner",
      "65532:65532",
      "--format",
      "oci",
      "--annotation",
      "org.opencontainers.image.source=https://x",
      "--chunk-size",
      "5MiB",
      "--json",
    ]);
    assert.deepEqual(p.entrypoint, ["/app"]);
    assert.deepEqual(p.cmd, ["serve", "--port", "80"]);
    assert.deepEqual(p.env, { A: "1", B: "x=y" });
    assert.deepEqual(p.outputs, [{ kind: "oci", path: "out/oci", tag: "v1" }]);
    assert.deepEqual(p.tags, ["localhost:5000/app:v1"]);
    assert.deepEqual(p.platform, { os: "linux", architecture: "arm64" });
    assert.deepEqual(p.owner, { uid: 65532, gid: 65532 });
    assert.equal(p.chunkSize, 5 * 1024 * 1024);
    assert.equal(p.json, true);
  });

  test("times come from SOURCE_DATE_EPOCH, flags, or now only when asked", () => {
    assert.deepEqual([plan([]).mtime, plan([]).created], [0, 0]);
    const sde = plan([], { SOURCE_DATE_EPOCH: "1600000000" });
    assert.deepEqual([sde.mtime, sde.created], [1600000000, 1600000000]);
    assert.equal(plan(["--mtime", "5"], { SOURCE_DATE_EPOCH: "9" }).mtime, 5);
    assert.equal(plan(["--created", "now"]).created, 1_700_000_000);
    assert.equal(plan(["--created", "2001-02-03T04:05:06Z"]).created, 981173106);
    assert.throws(() => plan([], { SOURCE_DATE_EPOCH: "yesterday" }), /SOURCE_DATE_EPOCH/);
  });

  test("sources: DEST must be absolute and stay inside /", () => {
    assert.deepEqual(parseSourceSpec("bin/app"), { src: "bin/app" });
    assert.deepEqual(parseSourceSpec("bin/app:/usr/bin/app"), {
      src: "bin/app",
      dest: "/usr/bin/app",
    });
    assert.throws(() => parseSourceSpec("bin/app:usr/bin"), /must be an absolute path/);
    assert.throws(() => parseSourceSpec("bin/app:/../etc"), /must not contain "\.\."/);
  });

  test("every user mistake is a UsageError naming the problem", () => {
    const cases: [string[], RegExp][] = [
      [["--bogus"], /unknown flag "--bogus"/],
      [["--env", "FOO"], /--env "FOO": expected KEY=VALUE/],
      [["--format", "xml"], /--format "xml": expected one of docker, oci/],
      [["--compression", "zstd"], /--compression "zstd"/],
      [["--compression-level", "11"], /--compression-level "11"/],
      [["--platform", "linux/x86"], /unknown architecture "x86"/],
      [["-o", "tarball:x"], /unknown kind "tarball"/],
      [["-o", "docker-archive:x.tar:UPPER:tag"], /repository "UPPER" is invalid/],
      [["--owner", "root"], /expected UID:GID/],
      [["--workdir", "srv"], /must be an absolute path/],
      [["--annotation", "a=b"], /annotations need --format oci/],
      [["--password-stdin"], /without --username/],
      [["--username", "me", "-t", "r.io/a"], /--username without --password-stdin/],
      [["--token", "t"], /credentials without --tag/],
      [["--chunk-size", "0", "-t", "r.io/a"], /at least 1 byte/],
      [["--cmd", '"open'], /Cannot parse --cmd "open: unterminated " quote/],
      [["--entrypoint"], /needs a value/],
      [["--json=yes"], /takes no value/],
      [["--user", "a", "--user", "b"], /given more than once/],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => plan(argv),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
        argv.join(" "),
      );
    }
    assert.throws(() => parseCommand(["build"], {}), /no sources given/);
    assert.throws(() => parseCommand(["push", "x"], {}), /unknown command/);
  });

  test("an env token does not override a --username login", () => {
    const env = { SCRATCHBUILD_TOKEN: "env-token" };
    assert.equal(plan(["-t", "r.io/a"], env).token, "env-token");
    assert.equal(
      plan(["-t", "r.io/a", "--username", "me", "--password-stdin"], env).token,
      undefined,
    );
    assert.equal(plan(["-t", "r.io/a", "--token", "flag"], env).token, "flag");
    assert.equal(plan([], env).token, "env-token", "an env token alone never blocks a local build");
  });

  test("help and version", () => {
    assert.deepEqual(parseCommand([], {}), { kind: "help" });
    assert.deepEqual(parseCommand(["build", "-h"], {}), { kind: "help" });
    assert.deepEqual(parseCommand(["--version"], {}), { kind: "version" });
  });
});
