import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RegistryError } from "../../src/errors.ts";
import {
  Authenticator,
  type AuthSend,
  type AuthSendInit,
  challengeScopes,
  pullScope,
  pushScope,
} from "../../src/registry/auth.ts";
import { parseChallenges } from "../../src/registry/challenge.ts";
import { Transport } from "../../src/registry/transport.ts";
import { reply, startServer, type TestServer } from "./_server.ts";

const REG = "registry.example";
const bearer = (realm = "https://auth.example/token", extra = "") =>
  parseChallenges(`Bearer realm="${realm}",service="reg-service"${extra}`);

interface Call {
  url: URL;
  init: AuthSendInit;
}

function tokenServer(answer: (call: Call, n: number) => { status: number; body: unknown }) {
  const calls: Call[] = [];
  const send: AuthSend = (url, init) => {
    const call = { url: new URL(url), init };
    calls.push(call);
    const { status, body } = answer(call, calls.length);
    return Promise.resolve({
      status,
      headers: new Headers(),
      body: new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)),
    });
  };
  return { calls, send };
}

const ACTION = { action: `push to ${REG}/team/app` };

describe("Authenticator", () => {
  it("returns nothing when the registry asked for nothing", async () => {
    const auth = new Authenticator({ send: () => Promise.reject(new Error("unused")) });
    auth.learn(REG, []);
    assert.equal(await auth.authorization(REG, [pushScope("a")], ACTION), undefined);
  });

  it("gets a token with service and one scope parameter per scope, push scope first", async () => {
    const ts = tokenServer(() => ({ status: 200, body: { token: "tok-1", expires_in: 300 } }));
    const auth = new Authenticator({
      send: ts.send,
      credentials: { username: "u", password: "p" },
    });
    auth.learn(REG, bearer());
    const header = await auth.authorization(
      REG,
      [pushScope("team/app"), pullScope("team/base")],
      ACTION,
    );
    assert.equal(header, "Bearer tok-1");
    assert.equal(ts.calls.length, 1);
    const { url, init } = ts.calls[0];
    assert.equal(init.method, "GET");
    assert.equal(url.origin + url.pathname, "https://auth.example/token");
    assert.equal(url.searchParams.get("service"), "reg-service");
    assert.deepEqual(url.searchParams.getAll("scope"), [
      "repository:team/app:pull,push",
      "repository:team/base:pull",
    ]);
    assert.equal(init.headers.authorization, "Basic " + btoa("u:p"));
  });

  it("falls back to the registry host as service and asks anonymously without credentials", async () => {
    const ts = tokenServer(() => ({ status: 200, body: { access_token: "anon" } }));
    const auth = new Authenticator({ send: ts.send });
    auth.learn(REG, parseChallenges('Bearer realm="https://auth.example/token"'));
    assert.equal(await auth.authorization(REG, [pullScope("a")], ACTION), "Bearer anon");
    assert.equal(ts.calls[0].url.searchParams.get("service"), REG);
    assert.equal(ts.calls[0].init.headers.authorization, undefined);
  });

  it("trades an identity token with an OAuth2 refresh_token POST", async () => {
    const ts = tokenServer(() => ({
      status: 200,
      body: { access_token: "oauth-tok", expires_in: 60 },
    }));
    const auth = new Authenticator({
      send: ts.send,
      credentials: { identityToken: "refresh-xyz" },
    });
    auth.learn(REG, bearer());
    assert.equal(
      await auth.authorization(REG, [pushScope("a"), pullScope("b")], ACTION),
      "Bearer oauth-tok",
    );
    const { url, init } = ts.calls[0];
    assert.equal(init.method, "POST");
    assert.equal(url.search, "");
    assert.equal(init.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(init.headers.authorization, undefined);
    const form = new URLSearchParams(new TextDecoder().decode(init.body));
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: "refresh_token",
      refresh_token: "refresh-xyz",
      client_id: "scratchbuild",
      service: "reg-service",
      scope: "repository:a:pull,push repository:b:pull",
    });
  });

  it("uses a registry token as is", async () => {
    const auth = new Authenticator({
      send: () => Promise.reject(new Error("unused")),
      credentials: { registryToken: "ya29.x" },
    });
    auth.learn(REG, bearer());
    assert.equal(await auth.authorization(REG, [pushScope("a")], ACTION), "Bearer ya29.x");
  });

  it("looks up no credentials for a registry that asks for none", async () => {
    let lookedUp = 0;
    const auth = new Authenticator({
      send: () => Promise.reject(new Error("unused")),
      credentials: () => {
        lookedUp++;
        throw new Error("docker-credential-missing is not installed");
      },
    });
    auth.learn(REG, []);
    assert.equal(await auth.authorization(REG, [pushScope("a")], ACTION), undefined);
    assert.equal(lookedUp, 0);
  });

  it("sends Basic credentials for a Basic challenge", async () => {
    const auth = new Authenticator({
      send: () => Promise.reject(new Error("unused")),
      credentials: () => ({ username: "ü", password: "p:w" }),
    });
    auth.learn(REG, parseChallenges('Basic realm="r"'));
    const header = await auth.authorization(REG, [], ACTION);
    const decoded = new TextDecoder().decode(
      Uint8Array.from(atob(header!.slice(6)), (c) => c.charCodeAt(0)),
    );
    assert.equal(decoded, "ü:p:w");
  });

  it("caches per registry and scope set until shortly before expiry", async () => {
    let now = 1_000_000;
    const ts = tokenServer((_c, n) => ({ status: 200, body: { token: `t${n}`, expires_in: 100 } }));
    const auth = new Authenticator({ send: ts.send, now: () => now });
    auth.learn(REG, bearer());
    const a = [pushScope("a")];
    assert.equal(await auth.authorization(REG, a, ACTION), "Bearer t1");
    assert.equal(await auth.authorization(REG, [...a], ACTION), "Bearer t1");
    // Order of scopes does not split the cache; a different set does.
    assert.equal(await auth.authorization(REG, [pullScope("b"), ...a], ACTION), "Bearer t2");
    assert.equal(await auth.authorization(REG, [...a, pullScope("b")], ACTION), "Bearer t2");
    now += 85_000;
    assert.equal(await auth.authorization(REG, a, ACTION), "Bearer t1");
    now += 6_000; // 91 s: inside the 10 s renewal margin.
    assert.equal(await auth.authorization(REG, a, ACTION), "Bearer t3");
    assert.equal(ts.calls.length, 3);
  });

  it("defaults expires_in to 60 s", async () => {
    let now = 0;
    const ts = tokenServer((_c, n) => ({ status: 200, body: { token: `t${n}` } }));
    const auth = new Authenticator({ send: ts.send, now: () => now });
    auth.learn(REG, bearer());
    await auth.authorization(REG, [], ACTION);
    now = 45_000;
    assert.equal(await auth.authorization(REG, [], ACTION), "Bearer t1");
    now = 51_000;
    assert.equal(await auth.authorization(REG, [], ACTION), "Bearer t2");
  });

  it("fetches a new token when the cached one was rejected, once for concurrent callers", async () => {
    const ts = tokenServer((_c, n) => ({ status: 200, body: { token: `t${n}`, expires_in: 300 } }));
    const auth = new Authenticator({ send: ts.send });
    auth.learn(REG, bearer());
    const first = await auth.authorization(REG, [], ACTION);
    const again = await Promise.all(
      [1, 2, 3].map(() => auth.authorization(REG, [], { ...ACTION, rejected: first })),
    );
    assert.deepEqual(again, ["Bearer t2", "Bearer t2", "Bearer t2"]);
    // Someone already replaced the rejected token: no new request.
    assert.equal(await auth.authorization(REG, [], { ...ACTION, rejected: first }), "Bearer t2");
    assert.equal(ts.calls.length, 2);
  });

  it("shares one token request among concurrent callers", async () => {
    const ts = tokenServer(() => ({ status: 200, body: { token: "t" } }));
    const auth = new Authenticator({ send: ts.send });
    auth.learn(REG, bearer());
    await Promise.all(
      Array.from({ length: 5 }, () => auth.authorization(REG, [pushScope("a")], ACTION)),
    );
    assert.equal(ts.calls.length, 1);
  });

  it("reports refused credentials as AUTH without the password", async () => {
    const ts = tokenServer((call) => ({
      status: 401,
      body: { details: `incorrect username or password ${call.init.headers.authorization}` },
    }));
    const auth = new Authenticator({
      send: ts.send,
      credentials: { username: "u", password: "hunter22" },
    });
    auth.learn(REG, bearer());
    await assert.rejects(auth.authorization(REG, [pushScope("team/app")], ACTION), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, "AUTH");
      assert.equal(
        e.message,
        `Cannot push to ${REG}/team/app: authentication failed for ${REG}: incorrect username or password Basic ***`,
      );
      return true;
    });
  });

  it("refuses plain-HTTP realms on remote hosts unless insecure", async () => {
    const ts = tokenServer(() => ({ status: 200, body: { token: "t" } }));
    const auth = new Authenticator({
      send: ts.send,
      credentials: { username: "u", password: "p" },
    });
    auth.learn(REG, bearer("http://auth.example/token"));
    await assert.rejects(auth.authorization(REG, [], ACTION), /is not HTTPS; use --insecure/);
    const insecure = new Authenticator({ send: ts.send, insecure: true });
    insecure.learn(REG, bearer("http://auth.example/token"));
    assert.equal(await insecure.authorization(REG, [], ACTION), "Bearer t");
    const local = new Authenticator({ send: ts.send });
    local.learn(REG, bearer("http://127.0.0.1:1/token"));
    assert.equal(await local.authorization(REG, [], ACTION), "Bearer t");
  });

  it("rejects token answers without a token", async () => {
    const ts = tokenServer(() => ({ status: 200, body: { nothing: true } }));
    const auth = new Authenticator({ send: ts.send });
    auth.learn(REG, bearer());
    await assert.rejects(auth.authorization(REG, [], ACTION), /answered without a token/);
  });

  it("reads scopes from a challenge", () => {
    const [c] = parseChallenges(
      'Bearer realm="r",scope="repository:a:pull repository:b:pull,push"',
    );
    assert.deepEqual(challengeScopes(c), ["repository:a:pull", "repository:b:pull,push"]);
  });
});

describe("Transport with Bearer auth", () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  // A token server that hands out numbered tokens, and a registry stub that
  // accepts the tokens in `accepted`.
  async function setup(accepted: (token: string) => boolean) {
    let issued = 0;
    const token = await startServer((_req, res) => {
      issued++;
      reply(
        res,
        200,
        { "content-type": "application/json" },
        JSON.stringify({ token: `tok${issued}`, expires_in: 300 }),
      );
    });
    servers.push(token);
    const reg = await startServer((req, res) => {
      const auth = req.headers.authorization ?? "";
      const t = auth.startsWith("Bearer ") ? auth.slice(7) : "";
      if (t && accepted(t)) return reply(res, 200);
      const error = t ? ',error="insufficient_scope"' : "";
      reply(
        res,
        401,
        {
          "www-authenticate":
            `Bearer realm="${token.url}/token",service="svc",scope="repository:team/app:pull,push"${error}`,
        },
        JSON.stringify({
          errors: [{ code: "DENIED", message: "requested access to the resource is denied" }],
        }),
      );
    });
    servers.push(reg);
    return { token, reg };
  }

  it("retries once with a fresh token after insufficient_scope", async () => {
    const { token, reg } = await setup((t) => t === "tok2");
    const tr = new Transport({ credentials: { username: "u", password: "p" } });
    const res = await tr.request({
      registry: reg.host,
      method: "HEAD",
      url: "/v2/team/app/blobs/x",
      scopes: [pushScope("team/app")],
      action: "push",
    });
    assert.equal(res.status, 200);
    assert.equal(token.seen.length, 2);
    assert.deepEqual(reg.seen.map((r) => r.headers.authorization), [
      undefined,
      "Bearer tok1",
      "Bearer tok2",
    ]);
    // The cached fresh token serves the next request.
    await tr.request({
      registry: reg.host,
      method: "HEAD",
      url: "/v2/team/app/blobs/y",
      scopes: [pushScope("team/app")],
      action: "push",
    });
    assert.equal(token.seen.length, 2);
  });

  it("reports a scope still refused after a fresh token as DENIED", async () => {
    const { token, reg } = await setup(() => false);
    const tr = new Transport({ credentials: { username: "u", password: "p" } });
    await assert.rejects(
      tr.request({
        registry: reg.host,
        method: "POST",
        url: "/v2/team/app/blobs/uploads/",
        scopes: [pushScope("team/app")],
        action: `push to ${reg.host}/team/app`,
      }),
      (e: unknown) => {
        assert.ok(e instanceof RegistryError);
        assert.equal(e.code, "DENIED");
        assert.equal(e.status, 401);
        assert.equal(
          e.message,
          `push to ${reg.host}/team/app denied: DENIED: requested access to the resource is denied`,
        );
        return true;
      },
    );
    assert.equal(token.seen.length, 2);
  });

  it("asks anonymously without credentials and says so when refused", async () => {
    const { token, reg } = await setup(() => false);
    const tr = new Transport();
    await assert.rejects(
      tr.request({
        registry: reg.host,
        method: "GET",
        url: "/v2/team/app/tags/list",
        scopes: [pushScope("team/app")],
        action: "push to x",
      }),
      (e: unknown) =>
        e instanceof RegistryError && e.code === "AUTH" &&
        /no credentials were found/.test(e.message),
    );
    assert.equal(token.seen[0].headers.authorization, undefined);
  });
});
