import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RegistryError } from "../../src/errors.ts";
import { appendQuery, resolveLocation, Transport } from "../../src/registry/transport.ts";
import { VERSION } from "../../src/version.ts";
import { reply, startServer, type TestServer } from "./_server.ts";

const PASSWORD = "s3cret-pässword";
const creds = { username: "alice", password: PASSWORD };
const basic = "Basic " +
  btoa(String.fromCharCode(...new TextEncoder().encode(`alice:${PASSWORD}`)));

const servers: TestServer[] = [];
async function server(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function rejectsWith(
  p: Promise<unknown>,
  code: string,
  pattern: RegExp,
  status?: number,
): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RegistryError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    if (status !== undefined) assert.equal(e.status, status);
    assert.ok(!e.message.includes(PASSWORD), "password leaked: " + e.message);
    return true;
  });
}

describe("resolveLocation", () => {
  const from = "https://reg.example:5000/v2/a/b/blobs/uploads/";
  it("keeps absolute URLs", () => {
    assert.equal(
      resolveLocation("https://storage.example/up/1?sig=x", from),
      "https://storage.example/up/1?sig=x",
    );
  });
  it("resolves host-relative paths against the request origin", () => {
    assert.equal(
      resolveLocation("/v2/a/b/blobs/uploads/u1?_state=abc%2B%3D", from),
      "https://reg.example:5000/v2/a/b/blobs/uploads/u1?_state=abc%2B%3D",
    );
  });
  it("resolves path-relative locations against the request path", () => {
    assert.equal(resolveLocation("u1", from), "https://reg.example:5000/v2/a/b/blobs/uploads/u1");
    assert.equal(
      resolveLocation("../x", "http://r/v2/a/blobs/uploads/u1"),
      "http://r/v2/a/blobs/x",
    );
    assert.equal(resolveLocation("?p=1", "http://r/v2/u/1?old=2"), "http://r/v2/u/1?p=1");
  });
  it("resolves scheme-relative locations", () => {
    assert.equal(resolveLocation("//other:1/x", from), "https://other:1/x");
  });
});

describe("appendQuery", () => {
  const d = "sha256:" + "0".repeat(64);
  it("adds a query when there is none", () => {
    assert.equal(
      appendQuery("http://r/u/1", "digest", d),
      `http://r/u/1?digest=sha256%3A${"0".repeat(64)}`,
    );
  });
  it("appends with & and leaves the existing query untouched", () => {
    const loc = "http://r/u/1?_state=a%2Bb%3D%3D&x=1+2&y=%7e";
    assert.equal(appendQuery(loc, "digest", d), `${loc}&digest=sha256%3A${"0".repeat(64)}`);
  });
  it("does not double separators and drops fragments", () => {
    assert.equal(appendQuery("http://r/u?", "k", "v"), "http://r/u?k=v");
    assert.equal(appendQuery("http://r/u?a=1&", "k", "v"), "http://r/u?a=1&k=v");
    assert.equal(appendQuery("http://r/u?a=1#frag", "k", "v"), "http://r/u?a=1&k=v");
  });
});

describe("Transport", () => {
  it("uses http for loopback hosts, https otherwise, http for all when insecure", () => {
    const t = new Transport();
    assert.equal(t.baseURL("localhost:5000"), "http://localhost:5000");
    assert.equal(t.baseURL("[::1]:5000"), "http://[::1]:5000");
    assert.equal(t.baseURL("registry.example"), "https://registry.example");
    assert.equal(
      new Transport({ insecure: true }).baseURL("registry.example"),
      "http://registry.example",
    );
  });

  it("sends Basic credentials after a Basic challenge, and a User-Agent", async () => {
    const s = await server((req, res) => {
      if (req.headers.authorization !== basic) {
        return reply(res, 401, { "www-authenticate": 'Basic realm="test"' });
      }
      reply(res, 200, {}, "ok");
    });
    const t = new Transport({ credentials: creds });
    const res = await t.request({
      registry: s.host,
      method: "GET",
      url: "/v2/a/tags/list",
      action: "test",
    });
    assert.equal(res.status, 200);
    assert.equal(new TextDecoder().decode(res.body), "ok");
    assert.deepEqual(s.seen.map((r) => [r.method, r.url, r.headers.authorization]), [
      ["GET", "/v2/", undefined],
      ["GET", "/v2/a/tags/list", basic],
    ]);
    assert.equal(s.seen[1].headers["user-agent"], `scratchbuild/${VERSION}`);
  });

  it("never sends Authorization to another origin on a redirect, and replays the body", async () => {
    const storage = await server((_req, res) => reply(res, 201, { "docker-content-digest": "x" }));
    const reg = await server((req, res) => {
      if (req.headers.authorization !== basic) {
        return reply(res, 401, { "www-authenticate": 'Basic realm="test"' });
      }
      if (req.url.startsWith("/v2/a/blobs/uploads/1")) {
        return reply(res, 307, { location: `${storage.url}/signed?sig=abc` });
      }
      reply(res, 200);
    });
    const t = new Transport({ credentials: creds });
    const body = new TextEncoder().encode("layer bytes");
    const res = await t.request({
      registry: reg.host,
      method: "PUT",
      url: "/v2/a/blobs/uploads/1?digest=d",
      body,
      headers: { "Content-Type": "application/octet-stream" },
      action: "push",
    });
    assert.equal(res.status, 201);
    assert.equal(res.url, `${storage.url}/signed?sig=abc`);
    assert.equal(reg.seen.at(-1)!.headers.authorization, basic);
    assert.equal(storage.seen.length, 1);
    const hit = storage.seen[0];
    assert.equal(hit.method, "PUT");
    assert.equal(hit.headers.authorization, undefined);
    assert.equal(hit.headers["content-type"], "application/octet-stream");
    assert.deepEqual(hit.body, body);
  });

  it("does not attach registry credentials to an absolute Location on another origin", async () => {
    const storage = await server((_req, res) => reply(res, 202, { location: "/next" }));
    const reg = await server((req, res) =>
      req.headers.authorization === basic
        ? reply(res, 200)
        : reply(res, 401, { "www-authenticate": 'Basic realm="test"' })
    );
    const t = new Transport({ credentials: creds });
    await t.request({
      registry: reg.host,
      method: "PATCH",
      url: `${storage.url}/upload/1`,
      action: "push",
      body: new Uint8Array([1]),
    });
    assert.equal(storage.seen[0].headers.authorization, undefined);
  });

  it("keeps Authorization on same-origin redirects", async () => {
    const reg = await server((req, res) => {
      if (req.headers.authorization !== basic) {
        return reply(res, 401, { "www-authenticate": 'Basic realm="test"' });
      }
      if (req.url === "/v2/a/manifests/old") {
        return reply(res, 301, { location: "/v2/a/manifests/new" });
      }
      reply(res, 200);
    });
    const t = new Transport({ credentials: creds });
    await t.request({
      registry: reg.host,
      method: "GET",
      url: "/v2/a/manifests/old",
      action: "pull",
    });
    assert.deepEqual(reg.seen.slice(-2).map((r) => [r.url, r.headers.authorization]), [
      ["/v2/a/manifests/old", basic],
      ["/v2/a/manifests/new", basic],
    ]);
  });

  it("turns a 303 after POST into a GET without body", async () => {
    const reg = await server((req, res) => {
      if (req.url === "/start") return reply(res, 303, { location: "/done" });
      reply(res, 200);
    });
    const t = new Transport();
    await t.request({
      registry: reg.host,
      method: "POST",
      url: "/start",
      body: new Uint8Array([1, 2, 3]),
      headers: { "content-type": "application/octet-stream" },
      action: "x",
    });
    const last = reg.seen.at(-1)!;
    assert.equal(last.method, "GET");
    assert.equal(last.url, "/done");
    assert.equal(last.body.length, 0);
    assert.equal(last.headers["content-type"], undefined);
  });

  it("stops after 10 redirects", async () => {
    const reg = await server((req, res) => {
      if (req.url === "/v2/") return reply(res, 200);
      reply(res, 302, { location: `/loop${req.url.length}` });
    });
    const t = new Transport();
    await rejectsWith(
      t.request({ registry: reg.host, method: "GET", url: "/x", action: "pull from r" }),
      "REGISTRY",
      /^Cannot pull from r: more than 10 redirects/,
    );
    assert.equal(reg.seen.filter((r) => r.url !== "/v2/").length, 11);
  });

  it("retries idempotent requests on 5xx and 429, not PATCH", async () => {
    let failures = 2;
    const reg = await server((req, res) => {
      if (req.url === "/v2/") return reply(res, 200);
      if (req.method === "PATCH") return reply(res, 503);
      if (failures-- > 0) return reply(res, failures === 1 ? 503 : 429);
      reply(res, 200);
    });
    const t = new Transport({ retryDelayMs: 1 });
    const ok = await t.request({
      registry: reg.host,
      method: "PUT",
      url: "/p",
      body: new Uint8Array([7]),
      action: "x",
    });
    assert.equal(ok.status, 200);
    const puts = reg.seen.filter((r) => r.method === "PUT");
    assert.equal(puts.length, 3);
    assert.ok(puts.every((r) => r.body.length === 1 && r.body[0] === 7));
    await rejectsWith(
      t.request({
        registry: reg.host,
        method: "PATCH",
        url: "/u",
        body: new Uint8Array([1]),
        action: "push to r/a",
      }),
      "REGISTRY",
      /^Cannot push to r\/a: 127\.0\.0\.1:\d+ answered 503 Service Unavailable to PATCH http:\/\/127\.0\.0\.1:\d+\/u$/,
      503,
    );
    assert.equal(reg.seen.filter((r) => r.method === "PATCH").length, 1);
  });

  it("gives up after the configured tries", async () => {
    const reg = await server((
      req,
      res,
    ) => (req.url === "/v2/" ? reply(res, 200) : reply(res, 500)));
    const t = new Transport({ retryDelayMs: 1, tries: 2 });
    await rejectsWith(
      t.request({ registry: reg.host, method: "GET", url: "/x", action: "x" }),
      "REGISTRY",
      /answered 500/,
      500,
    );
    assert.equal(reg.seen.filter((r) => r.url === "/x").length, 2);
  });

  it("retries dropped connections", async () => {
    let drop = 1;
    const reg = await server((req, res) => {
      if (req.url !== "/v2/" && drop-- > 0) {
        res.socket?.destroy();
        return;
      }
      reply(res, 200);
    });
    const t = new Transport({ retryDelayMs: 1 });
    const res = await t.request({
      registry: reg.host,
      method: "HEAD",
      url: "/v2/a/blobs/x",
      action: "x",
    });
    assert.equal(res.status, 200);
  });

  it("maps an unreachable registry to NETWORK", async () => {
    const s = await startServer((_q, r) => reply(r, 200));
    const host = s.host;
    await s.close();
    const t = new Transport({ retryDelayMs: 1, tries: 2 });
    await rejectsWith(
      t.request({ registry: host, method: "GET", url: "/v2/x", action: "push to h/x" }),
      "NETWORK",
      /^Cannot push to h\/x: cannot reach 127\.0\.0\.1:\d+/,
    );
  });

  it("maps a timeout to NETWORK", async () => {
    const reg = await server((req, res) => {
      if (req.url === "/v2/") return reply(res, 200);
      // Never answers; the client's timeout must fire. Closed by afterEach.
    });
    const t = new Transport({ timeoutMs: 100, tries: 1 });
    await rejectsWith(
      t.request({ registry: reg.host, method: "GET", url: "/slow", action: "x" }),
      "NETWORK",
      /did not answer within/,
    );
  });

  it("summarises the registry's JSON errors", async () => {
    const reg = await server((req, res) => {
      if (req.url === "/v2/") return reply(res, 200);
      if (req.url.startsWith("/v2/a/manifests")) {
        return reply(
          res,
          400,
          { "content-type": "application/json" },
          JSON.stringify({
            errors: [{
              code: "MANIFEST_BLOB_UNKNOWN",
              message: "blob unknown to registry",
              detail: "sha256:abc",
            }],
          }),
        );
      }
      return reply(
        res,
        400,
        {},
        JSON.stringify({
          errors: [{
            code: "DIGEST_INVALID",
            message: "provided digest did not match uploaded content",
          }],
        }),
      );
    });
    const t = new Transport();
    await rejectsWith(
      t.request({
        registry: reg.host,
        method: "PUT",
        url: "/v2/a/manifests/v1",
        body: new Uint8Array(),
        action: "push to r/a",
      }),
      "REGISTRY",
      /answered 400 Bad Request to PUT http:\/\/127\.0\.0\.1:\d+\/v2\/a\/manifests\/v1: MANIFEST_BLOB_UNKNOWN: blob unknown to registry \(sha256:abc\)$/,
      400,
    );
    await rejectsWith(
      t.request({
        registry: reg.host,
        method: "PUT",
        url: "/v2/a/blobs/uploads/1?_state=secretstate&digest=x",
        body: new Uint8Array(),
        action: "push to r/a",
      }),
      "DIGEST_MISMATCH",
      /DIGEST_INVALID: provided digest did not match/,
    );
    await t.request({
      registry: reg.host,
      method: "PUT",
      url: "/v2/a/blobs/uploads/1?_state=secretstate",
      body: new Uint8Array(),
      action: "x",
    }).catch(
      (e: Error) => assert.ok(!e.message.includes("secretstate"), e.message),
    );
  });

  it("returns statuses listed in accept instead of throwing", async () => {
    const reg = await server((
      req,
      res,
    ) => (req.url === "/v2/" ? reply(res, 200) : reply(res, 404)));
    const t = new Transport();
    const res = await t.request({
      registry: reg.host,
      method: "HEAD",
      url: "/v2/a/blobs/x",
      accept: [200, 404],
      action: "x",
    });
    assert.equal(res.status, 404);
  });

  it("reports a wrong password as AUTH without echoing it", async () => {
    const reg = await server((req, res) =>
      reply(
        res,
        401,
        { "www-authenticate": 'Basic realm="test"' },
        JSON.stringify({
          errors: [{
            code: "UNAUTHORIZED",
            message: `bad credentials ${req.headers.authorization} ${PASSWORD}`,
          }],
        }),
      )
    );
    const t = new Transport({ credentials: creds });
    await rejectsWith(
      t.request({
        registry: reg.host,
        method: "GET",
        url: "/v2/a/tags/list",
        action: "push to r/a",
      }),
      "AUTH",
      /^Cannot push to r\/a: authentication failed for 127\.0\.0\.1:\d+: UNAUTHORIZED: bad credentials Basic \*\*\* \*\*\*$/,
      401,
    );
    // One ping, one attempt: a refused password is not sent again and again.
    assert.equal(reg.seen.length, 2);
  });

  it("reports a 401 without credentials as AUTH that says none were found", async () => {
    const reg = await server((_req, res) =>
      reply(res, 401, { "www-authenticate": 'Basic realm="test"' })
    );
    const t = new Transport({ credentials: () => undefined });
    await rejectsWith(
      t.request({ registry: reg.host, method: "GET", url: "/v2/a/tags/list", action: "x" }),
      "AUTH",
      /requires authentication and no credentials were found/,
      401,
    );
  });

  it("reports 403 as DENIED", async () => {
    const reg = await server((req, res) =>
      req.url === "/v2/" ? reply(res, 200) : reply(
        res,
        403,
        {},
        JSON.stringify({
          errors: [{ code: "DENIED", message: "requested access to the resource is denied" }],
        }),
      )
    );
    const t = new Transport();
    await rejectsWith(
      t.request({
        registry: reg.host,
        method: "POST",
        url: "/v2/a/blobs/uploads/",
        action: "push to h/a",
      }),
      "DENIED",
      /^push to h\/a denied: DENIED: requested access to the resource is denied$/,
      403,
    );
  });

  it("uses an injected fetch", async () => {
    const calls: string[] = [];
    const t = new Transport({
      fetch: (input) => {
        calls.push(String(input));
        return Promise.resolve(new Response("{}", { status: 200 }));
      },
    });
    await t.request({
      registry: "registry.example",
      method: "GET",
      url: "/v2/a/tags/list",
      action: "x",
    });
    assert.deepEqual(calls, [
      "https://registry.example/v2/",
      "https://registry.example/v2/a/tags/list",
    ]);
  });
});
