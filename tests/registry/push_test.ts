// pushImage against a real registry (distribution 2.8 from
// tests/_fixtures/registry.ts) with each auth mode, through the fault proxy
// where a test needs to see or disturb the traffic.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "../../src/digest.ts";
import { RegistryError, UsageError } from "../../src/errors.ts";
import { pullScope } from "../../src/registry/auth.ts";
import { type PushEvent, pushImage } from "../../src/registry/push.ts";
import { Transport } from "../../src/registry/transport.ts";
import { type RegistryHandle, startRegistry } from "../_fixtures/registry.ts";
import { startFaultProxy } from "../_fixtures/fault_proxy.ts";
import { testImage } from "./_image.ts";
import { reply, startServer } from "./_server.ts";

async function getManifest(
  transport: Transport,
  registry: string,
  repository: string,
  reference: string,
  mediaType: string,
): Promise<Uint8Array> {
  const res = await transport.request({
    registry,
    method: "GET",
    url: `/v2/${repository}/manifests/${reference}`,
    headers: { accept: mediaType },
    scopes: [pullScope(repository)],
    action: "test",
  });
  return res.body;
}

async function getBlob(
  transport: Transport,
  registry: string,
  repository: string,
  digest: string,
): Promise<Uint8Array> {
  const res = await transport.request({
    registry,
    method: "GET",
    url: `/v2/${repository}/blobs/${digest}`,
    scopes: [pullScope(repository)],
    action: "test",
  });
  return res.body;
}

function credsOf(r: RegistryHandle) {
  return { username: r.username!, password: r.password! };
}

describe("pushImage, registry without auth", () => {
  let r: RegistryHandle;
  before(async () => {
    r = await startRegistry();
  });
  after(async () => {
    await r?.stop();
  });

  it("pushes blobs once, the manifest per tag, and mounts into a second repository", async () => {
    const image = await testImage(["none-1", "none-2"], 300_000);
    const events: PushEvent[] = [];
    const result = await pushImage(
      image,
      [`${r.host}/team/app:v1`, `${r.host}/team/app:v2`, `${r.host}/other/app`],
      { onProgress: (e) => events.push(e) },
    );
    const digest = image.manifestBlob.descriptor.digest;
    assert.equal(result.digest, digest);
    assert.deepEqual(result.pushed, [
      `${r.host}/team/app:v1@${digest}`,
      `${r.host}/team/app:v2@${digest}`,
      `${r.host}/other/app:latest@${digest}`,
    ]);
    const blobs = [...image.layers.map((l) => l.digest), image.configBlob.descriptor.digest];
    assert.deepEqual(
      result.blobs.map((b) => [b.repository, b.digest, b.status]),
      [
        ...blobs.map((d) => ["team/app", d, "uploaded"]),
        ...blobs.map((d) => ["other/app", d, "mounted"]),
      ],
    );
    assert.equal(result.blobs[0].size, 300_000);
    assert.equal(result.blobs[0].registry, r.host);

    // Manifests go out only after every blob of their repository is done.
    const firstManifest = events.findIndex((e) => e.type === "manifest-done");
    const lastTeamBlob = events.findLastIndex((e) =>
      e.type === "blob-done" && e.repository === "team/app"
    );
    assert.ok(lastTeamBlob < firstManifest);
    assert.equal(events.filter((e) => e.type === "blob-start").length, 6);
    assert.equal(events.filter((e) => e.type === "manifest-done").length, 3);

    const t = new Transport();
    for (const [repo, tag] of [["team/app", "v1"], ["team/app", "v2"], ["other/app", "latest"]]) {
      const bytes = await getManifest(
        t,
        r.host,
        repo,
        tag,
        image.manifestBlob.descriptor.mediaType,
      );
      assert.equal(await sha256(bytes), digest);
    }
    assert.deepEqual(
      await getBlob(t, r.host, "other/app", image.layers[1].digest),
      image.layers[1].data,
    );

    const again = await pushImage(image, [`${r.host}/team/app:v3`]);
    assert.deepEqual(again.blobs.map((b) => b.status), ["present", "present", "present"]);
  });

  it("uploads in chunks with inclusive Content-Range and follows each Location", async () => {
    const proxy = await startFaultProxy(r.url);
    try {
      const image = await testImage(["chunk-1"], 250_000);
      const events: PushEvent[] = [];
      const result = await pushImage(image, [`${proxy.host}/chunked/app:v1`], {
        chunkSize: 100_000,
        onProgress: (e) => events.push(e),
      });
      assert.deepEqual(result.blobs.map((b) => b.status), ["uploaded", "uploaded"]);
      const patches = proxy.requests.filter((q) => q.method === "PATCH");
      // 250 000 bytes: three chunks for the layer, one for the config.
      assert.deepEqual(
        patches.slice(0, 3).map((
          q,
        ) => [q.headers["content-range"], q.headers["content-type"], q.bodyBytes]),
        [
          ["0-99999", "application/octet-stream", 100_000],
          ["100000-199999", "application/octet-stream", 100_000],
          ["200000-249999", "application/octet-stream", 50_000],
        ],
      );
      assert.equal(patches.length, 4);
      const puts = proxy.requests.filter((q) =>
        q.method === "PUT" && q.path.includes("/blobs/uploads/")
      );
      assert.ok(puts.every((q) => q.bodyBytes === 0 && /(^|&)digest=sha256%3A/.test(q.query)));
      assert.ok(puts.every((q) => /_state=/.test(q.query)), "the _state query is kept");
      assert.deepEqual(
        events.filter((e) => e.type === "blob-progress" && e.size === 250_000).map((e) =>
          e.type === "blob-progress" && e.bytes
        ),
        [100_000, 200_000, 250_000],
      );
      const t = new Transport();
      assert.deepEqual(
        await getBlob(t, r.host, "chunked/app", image.layers[0].digest),
        image.layers[0].data,
      );
    } finally {
      await proxy.stop();
    }
  });

  it("starts a chunked upload over once when a PATCH fails", async () => {
    const proxy = await startFaultProxy(r.url);
    try {
      proxy.inject({ method: "PATCH", response: { status: 500 } });
      const image = await testImage(["chunk-restart"], 3000);
      const result = await pushImage(image, [`${proxy.host}/restart/app:v1`], {
        chunkSize: 1000,
        retryDelayMs: 1,
      });
      assert.deepEqual(result.blobs.map((b) => b.status), ["uploaded", "uploaded"]);
      assert.equal(proxy.count("POST", "/v2/restart/app/blobs/uploads/"), 3);
      const t = new Transport();
      assert.deepEqual(
        await getBlob(t, r.host, "restart/app", image.layers[0].digest),
        image.layers[0].data,
      );
    } finally {
      await proxy.stop();
    }
  });

  it("uploads monolithically with POST then PUT by default", async () => {
    const proxy = await startFaultProxy(r.url);
    try {
      const image = await testImage(["mono-1"], 5000);
      await pushImage(image, [`${proxy.host}/mono/app:v1`]);
      const calls = proxy.requests.filter((q) => q.path !== "/v2/").map((q) =>
        `${q.method} ${q.path.replace(/uploads\/.+/, "uploads/ID")}`
      );
      const layer = image.layers[0].digest;
      const config = image.configBlob.descriptor.digest;
      assert.deepEqual(calls, [
        `HEAD /v2/mono/app/blobs/${layer}`,
        "POST /v2/mono/app/blobs/uploads/",
        "PUT /v2/mono/app/blobs/uploads/ID",
        `HEAD /v2/mono/app/blobs/${config}`,
        "POST /v2/mono/app/blobs/uploads/",
        "PUT /v2/mono/app/blobs/uploads/ID",
        "PUT /v2/mono/app/manifests/v1",
      ]);
      const put = proxy.requests.find((q) => q.method === "PUT" && q.path.includes("uploads"))!;
      assert.equal(put.headers["content-type"], "application/octet-stream");
      assert.equal(put.headers["content-length"], "5000");
      const manifest = proxy.requests.find((q) => q.path.includes("/manifests/"))!;
      assert.equal(manifest.headers["content-type"], image.manifestBlob.descriptor.mediaType);
    } finally {
      await proxy.stop();
    }
  });

  it("retries a blob PUT after a 503 and a manifest PUT after a dropped connection", async () => {
    const proxy = await startFaultProxy(r.url);
    try {
      proxy.inject({ method: "PUT", path: /\/blobs\/uploads\//, response: { status: 503 } });
      proxy.inject({ method: "PUT", path: /\/manifests\//, response: "drop" });
      const image = await testImage(["retry-1"], 2000);
      const result = await pushImage(image, [`${proxy.host}/retry/app:v1`], { retryDelayMs: 1 });
      assert.equal(result.pushed.length, 1);
      assert.equal(proxy.count("PUT", /\/manifests\//), 2);
    } finally {
      await proxy.stop();
    }
  });

  it("fails loudly when the registry reports another manifest digest", async () => {
    const proxy = await startFaultProxy(r.url);
    try {
      const wrong = "sha256:" + "f".repeat(64);
      proxy.inject({
        method: "PUT",
        path: /\/manifests\//,
        response: { status: 201, headers: { "docker-content-digest": wrong } },
      });
      const image = await testImage(["mismatch-1"], 100);
      await assert.rejects(pushImage(image, [`${proxy.host}/mm/app:v1`]), (e: unknown) => {
        assert.ok(e instanceof RegistryError);
        assert.equal(e.code, "DIGEST_MISMATCH");
        assert.match(
          e.message,
          new RegExp(`reports digest ${wrong}.*expected ${image.manifestBlob.descriptor.digest}`),
        );
        return true;
      });
    } finally {
      await proxy.stop();
    }
  });

  it("mounts from mountFrom repositories and falls back to upload when the source lacks the blob", async () => {
    const base = await testImage(["mount-base"], 1000);
    await pushImage(base, [`${r.host}/mount/base:v1`]);
    const proxy = await startFaultProxy(r.url);
    try {
      const image = await testImage(["mount-base", "mount-new"], 1000);
      const result = await pushImage(image, [`${proxy.host}/mount/derived:v1`], {
        mountFrom: [`${proxy.host}/mount/base`],
      });
      assert.deepEqual(result.blobs.map((b) => b.status), ["mounted", "uploaded", "uploaded"]);
      const mounts = proxy.requests.filter((q) =>
        q.method === "POST" && q.query.includes("mount=")
      );
      assert.equal(mounts.length, 3);
      assert.ok(mounts.every((q) => q.query.includes("from=mount%2Fbase")));
    } finally {
      await proxy.stop();
    }
  });

  it("refuses a pinned digest that is not the image's", async () => {
    const image = await testImage(["pin"], 10);
    await assert.rejects(
      pushImage(image, [`${r.host}/pin/app@sha256:${"0".repeat(64)}`]),
      (e: unknown) => e instanceof UsageError && /pins sha256:0+ but the image is/.test(e.message),
    );
    const ok = await pushImage(image, [
      `${r.host}/pin/app@${image.manifestBlob.descriptor.digest}`,
    ]);
    assert.deepEqual(ok.pushed, [`${r.host}/pin/app@${image.manifestBlob.descriptor.digest}`]);
  });
});

describe("pushImage, htpasswd registry", () => {
  let r: RegistryHandle;
  before(async () => {
    r = await startRegistry({ auth: "htpasswd" });
  });
  after(async () => {
    await r?.stop();
  });

  it("pushes with Basic credentials, never sending them to the storage origin", async () => {
    const proxy = await startFaultProxy(r.url, { redirect: { uploads: true } });
    try {
      const image = await testImage(["basic-1"], 4000);
      const result = await pushImage(image, [`${proxy.host}/basic/app:v1`], {
        credentials: credsOf(r),
      });
      assert.equal(result.blobs.length, 2);
      const secondary = proxy.requests.filter((q) => q.origin === "secondary");
      assert.ok(secondary.length >= 2, "uploads were redirected");
      assert.ok(secondary.every((q) => q.headers.authorization === undefined));
      const primary = proxy.requests.filter((q) => q.origin === "primary" && q.path !== "/v2/");
      assert.ok(primary.every((q) => q.headers.authorization?.startsWith("Basic ")));
    } finally {
      await proxy.stop();
    }
  });

  it("reports a wrong password as AUTH without the password", async () => {
    const password = "wrong-password-123";
    const image = await testImage(["basic-2"], 10);
    await assert.rejects(
      pushImage(image, [`${r.host}/basic/app:v1`], {
        credentials: { username: r.username!, password },
      }),
      (e: unknown) => {
        assert.ok(e instanceof RegistryError);
        assert.equal(e.code, "AUTH");
        assert.match(
          e.message,
          new RegExp(`^Cannot push to ${r.host}/basic/app: authentication failed for ${r.host}`),
        );
        assert.ok(!e.message.includes(password));
        return true;
      },
    );
  });

  it("reports missing credentials as AUTH", async () => {
    const image = await testImage(["basic-3"], 10);
    await assert.rejects(
      pushImage(image, [`${r.host}/basic/app:v1`]),
      (e: unknown) =>
        e instanceof RegistryError && e.code === "AUTH" &&
        /no credentials were found/.test(e.message),
    );
  });
});

describe("pushImage, token registry", () => {
  let r: RegistryHandle;
  before(async () => {
    r = await startRegistry({ auth: "token", token: { deny: ["locked/app"] } });
  });
  after(async () => {
    await r?.stop();
  });

  it("pushes with a token, asks for the mount source's pull scope, and reuses tokens", async () => {
    const image = await testImage(["token-1", "token-2"], 2000);
    const before = r.tokenServer!.requests.length;
    const result = await pushImage(image, [`${r.host}/tok/one:v1`, `${r.host}/tok/two:v1`], {
      credentials: credsOf(r),
    });
    assert.deepEqual(result.blobs.map((b) => b.status), [
      "uploaded",
      "uploaded",
      "uploaded",
      "mounted",
      "mounted",
      "mounted",
    ]);
    const scopes = r.tokenServer!.requests.slice(before).map((q) => q.scopes);
    assert.deepEqual(scopes, [
      ["repository:tok/one:pull,push"],
      ["repository:tok/two:pull,push", "repository:tok/one:pull"],
    ]);
  });

  it("reports a refused push scope as DENIED", async () => {
    const image = await testImage(["token-3"], 10);
    await assert.rejects(
      pushImage(image, [`${r.host}/locked/app:v1`], { credentials: credsOf(r) }),
      (e: unknown) => {
        assert.ok(e instanceof RegistryError, String(e));
        assert.equal(e.code, "DENIED");
        assert.match(
          e.message,
          new RegExp(`^push to ${r.host}/locked/app denied`),
        );
        return true;
      },
    );
  });

  it("reports a wrong password as AUTH from the token server", async () => {
    const image = await testImage(["token-4"], 10);
    await assert.rejects(
      pushImage(image, [`${r.host}/tok/app:v1`], {
        credentials: { username: r.username!, password: "nope-nope" },
      }),
      (e: unknown) =>
        e instanceof RegistryError && e.code === "AUTH" &&
        e.message.startsWith(
          `Cannot push to ${r.host}/tok/app: authentication failed for ${r.host}`,
        ) &&
        !e.message.includes("nope-nope"),
    );
  });

  it("reports anonymous pushes as AUTH", async () => {
    const image = await testImage(["token-5"], 10);
    await assert.rejects(
      pushImage(image, [`${r.host}/tok/app:v1`]),
      (e: unknown) => e instanceof RegistryError && e.code === "AUTH",
    );
  });
});

describe("pushImage, token server that only takes OAuth2 POST grants", () => {
  let r: RegistryHandle;
  before(async () => {
    r = await startRegistry({ auth: "token", token: { refuseGet: true } });
  });
  after(async () => {
    await r?.stop();
  });

  it("falls back to grant_type=password when GET is refused", async () => {
    const image = await testImage(["post-1"], 100);
    const result = await pushImage(image, [`${r.host}/oauth/app:v1`], { credentials: credsOf(r) });
    assert.deepEqual(result.pushed, [
      `${r.host}/oauth/app:v1@${image.manifestBlob.descriptor.digest}`,
    ]);
    const seen = r.tokenServer!.requests.map((q) => [q.method, q.status, q.grantType ?? ""]);
    assert.deepEqual(seen.slice(0, 2), [["GET", 405, ""], ["POST", 200, "password"]]);
  });
});

describe("pushImage, upload protocol details", () => {
  // A minimal upload endpoint, only to check what a real distribution does
  // not exercise: OCI-Chunk-Min-Length and path-relative Locations.
  it("raises the chunk size to OCI-Chunk-Min-Length and resolves relative Locations", async () => {
    const image = await testImage(["min-1"], 3000);
    const srv = await startServer((req, res) => {
      const path = req.url.split("?")[0];
      if (req.method === "HEAD") return reply(res, 404);
      if (req.method === "POST") {
        return reply(res, 202, {
          location: "session1?_state=a%2Bb",
          "oci-chunk-min-length": "2000",
        });
      }
      if (req.method === "PATCH") return reply(res, 202, { location: "session2?_state=c%2Fd" });
      if (req.method === "PUT" && path.includes("/manifests/")) return reply(res, 201);
      if (req.method === "PUT") return reply(res, 201);
      reply(res, 200);
    });
    try {
      await pushImage(image, [`${srv.host}/min/app:v1`], { chunkSize: 500 });
      const layerCalls = srv.seen.filter((q) =>
        q.method === "PATCH" || (q.method === "PUT" && q.url.includes("session"))
      );
      assert.deepEqual(
        layerCalls.slice(0, 3).map((
          q,
        ) => [
          q.method,
          q.url.replace(/sha256%3A[0-9a-f]+/, "D"),
          q.headers["content-range"],
          q.body.length,
        ]),
        [
          ["PATCH", "/v2/min/app/blobs/uploads/session1?_state=a%2Bb", "0-1999", 2000],
          ["PATCH", "/v2/min/app/blobs/uploads/session2?_state=c%2Fd", "2000-2999", 1000],
          ["PUT", "/v2/min/app/blobs/uploads/session2?_state=c%2Fd&digest=D", undefined, 0],
        ],
      );
    } finally {
      await srv.close();
    }
  });
});
