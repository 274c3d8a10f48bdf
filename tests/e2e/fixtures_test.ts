// Proves the test fixtures work with real clients (skopeo, podman, umoci):
// registries with each auth mode, the token server and the fault proxy.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type RegistryHandle, type RegistryOptions, startRegistry } from "../_fixtures/registry.ts";
import { startFaultProxy } from "../_fixtures/fault_proxy.ts";
import {
  assertOk,
  buildUmociImage,
  type Creds,
  HELLO_OUTPUT,
  podmanLoadRun,
  podmanPullRun,
  repoRoot,
  run,
  skopeoCopy,
  skopeoInspect,
  type TempDir,
  tempDir,
  umociUnpack,
} from "../_fixtures/tools.ts";

function credsOf(r: RegistryHandle): Creds | undefined {
  return r.username ? { username: r.username, password: r.password! } : undefined;
}

async function withRegistry(
  opts: RegistryOptions,
  fn: (r: RegistryHandle) => Promise<void>,
): Promise<void> {
  const r = await startRegistry(opts);
  try {
    await fn(r);
  } catch (e) {
    console.error(`--- registry logs (${opts.auth ?? "none"}):\n${r.logs().slice(-20000)}`);
    throw e;
  } finally {
    await r.stop();
  }
}

async function sha256(data: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(data)));
  return "sha256:" + [...h].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("test fixtures", () => {
  let work: TempDir;
  let layout: string;
  let manifestDigest: string;

  before(async () => {
    work = tempDir();
    layout = join(work.path, "layout");
    await buildUmociImage(layout, { tag: "t" });
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    manifestDigest = index.manifests[0].digest;
  });

  after(() => {
    work?.cleanup();
  });

  it("testdata hello binary runs and umoci unpacks the image", async () => {
    const res = assertOk(await run(join(repoRoot(), "testdata", "rootfs", "bin", "hello"), []));
    assert.equal(res.stdout, HELLO_OUTPUT);
    const dest = join(work.path, "unpacked");
    assertOk(await umociUnpack(layout, "t", dest));
    assert.ok(existsSync(join(dest, "rootfs", "bin", "hello")));
    assert.equal(
      readFileSync(join(dest, "rootfs", "etc", "app", "config.json"), "utf8").trim(),
      '{"greeting":"hello"}',
    );
  });

  const cases: { name: string; opts: RegistryOptions }[] = [
    { name: "no auth", opts: {} },
    { name: "no auth, relative URLs", opts: { relativeURLs: true } },
    { name: "htpasswd", opts: { auth: "htpasswd" } },
    { name: "token", opts: { auth: "token" } },
  ];
  for (const c of cases) {
    it(`registry (${c.name}): skopeo push + inspect, podman pull + run`, async () => {
      await withRegistry(c.opts, async (r) => {
        const creds = credsOf(r);
        const ref = `${r.host}/fixtures/hello:1`;
        if (creds) {
          const anon = await skopeoCopy(`oci:${layout}:t`, `docker://${ref}`);
          assert.notEqual(anon.code, 0, "anonymous push must fail");
          const bad = await skopeoCopy(`oci:${layout}:t`, `docker://${ref}`, {
            destCreds: { username: creds.username, password: "wrong" },
          });
          assert.notEqual(bad.code, 0, "push with a wrong password must fail");
        }
        assertOk(await skopeoCopy(`oci:${layout}:t`, `docker://${ref}`, { destCreds: creds }));
        const info = await skopeoInspect(`docker://${ref}`, { creds });
        assertOk(info);
        assert.equal((info.json as { Digest: string }).Digest, manifestDigest);
        if (creds) {
          const bad = await skopeoInspect(`docker://${ref}`, {
            creds: { username: creds.username, password: "wrong" },
          });
          assert.notEqual(bad.code, 0, "inspect with a wrong password must fail");
        }
        const pr = await podmanPullRun(ref, { creds });
        assertOk(pr.fetch, "podman pull");
        assert.equal(assertOk(pr.run!, "podman run").stdout, HELLO_OUTPUT);

        if (!creds) {
          // Upload Location is relative only with http.relativeurls.
          const res = await fetch(`${r.url}/v2/fixtures/hello/blobs/uploads/`, { method: "POST" });
          await res.arrayBuffer();
          assert.equal(res.status, 202);
          const loc = res.headers.get("location") ?? "";
          if (c.opts.relativeURLs) assert.match(loc, /^\/v2\/fixtures\/hello\/blobs\/uploads\//);
          else assert.ok(loc.startsWith(`${r.url}/v2/`), loc);
        }
        if (r.tokenServer) {
          assert.ok(r.tokenServer.tokensIssued() > 0);
          assert.ok(r.tokenServer.requests.some((q) => q.basicAuth && q.status === 200));
          assert.ok(r.tokenServer.requests.some((q) => q.status === 401));
        }
      });
    });
  }

  it("podman loads a docker-archive written by skopeo", async () => {
    const archive = join(work.path, "hello.tar");
    assertOk(await skopeoCopy(`oci:${layout}:t`, `docker-archive:${archive}:fixtures/hello:1`));
    const res = await podmanLoadRun(archive);
    assertOk(res.fetch, "podman load");
    assert.equal(assertOk(res.run!, "podman run").stdout, HELLO_OUTPUT);
  });

  it("token server: deny list, OAuth2 password and refresh grants, anonymous", async () => {
    await withRegistry({ auth: "token", token: { deny: ["denied/repo"] } }, async (r) => {
      const ts = r.tokenServer!;
      const creds = credsOf(r)!;
      const denied = await skopeoCopy(`oci:${layout}:t`, `docker://${r.host}/denied/repo:1`, {
        destCreds: creds,
      });
      assert.notEqual(denied.code, 0, "push to a denied repository must fail");

      const v2 = await fetch(`${r.url}/v2/`);
      await v2.arrayBuffer();
      assert.equal(v2.status, 401);
      assert.match(v2.headers.get("www-authenticate") ?? "", /^Bearer realm="http:\/\/127/);

      const form = (f: Record<string, string>): RequestInit => ({
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(f).toString(),
      });
      const scope = "repository:fixtures/oauth:pull,push";
      const before = ts.tokensIssued();
      const bad = await fetch(
        ts.realm,
        form({
          grant_type: "password",
          username: creds.username,
          password: "wrong",
          service: ts.service,
          scope,
        }),
      );
      await bad.arrayBuffer();
      assert.equal(bad.status, 401);
      const good = await fetch(
        ts.realm,
        form({
          grant_type: "password",
          username: creds.username,
          password: creds.password,
          service: ts.service,
          scope,
          client_id: "test",
        }),
      );
      assert.equal(good.status, 200);
      const g = await good.json() as { access_token: string; refresh_token: string };
      assert.ok(g.access_token && g.refresh_token);
      const refreshed = await fetch(
        ts.realm,
        form({
          grant_type: "refresh_token",
          refresh_token: g.refresh_token,
          service: ts.service,
          scope,
        }),
      );
      assert.equal(refreshed.status, 200);
      const rt = await refreshed.json() as { access_token: string };
      assert.equal(ts.tokensIssued(), before + 2);

      // The registry accepts the token: start an upload with it.
      const up = await fetch(`${r.url}/v2/fixtures/oauth/blobs/uploads/`, {
        method: "POST",
        headers: { authorization: `Bearer ${rt.access_token}` },
      });
      await up.arrayBuffer();
      assert.equal(up.status, 202);

      // Anonymous token: no access.
      const anon = await fetch(`${ts.realm}?service=${ts.service}&scope=${scope}`);
      const a = await anon.json() as { token: string };
      const denied2 = await fetch(`${r.url}/v2/fixtures/oauth/blobs/uploads/`, {
        method: "POST",
        headers: { authorization: `Bearer ${a.token}` },
      });
      await denied2.arrayBuffer();
      assert.equal(denied2.status, 401);

      const json = JSON.stringify(ts.requests);
      assert.ok(!json.includes(creds.password), "no password in request records");
    });
  });

  it("fault proxy: counts, injected faults, 413 cap, blob redirects to a second origin", async () => {
    await withRegistry({ auth: "htpasswd" }, async (r) => {
      const creds = credsOf(r)!;
      const basic = "Basic " + btoa(`${creds.username}:${creds.password}`);
      // skopeo re-sends an empty body on a redirected upload PUT, so only GETs are redirected here.
      const proxy = await startFaultProxy(r.url, { redirect: { blobGet: true } });
      try {
        // Push and pull through the proxy; blob GETs are redirected.
        const ref = `${proxy.host}/fixtures/proxied:1`;
        assertOk(await skopeoCopy(`oci:${layout}:t`, `docker://${ref}`, { destCreds: creds }));
        const back = join(work.path, "pulled");
        assertOk(
          await skopeoCopy(`docker://${ref}`, `oci:${back}:t`, { srcCreds: creds }),
        );
        assert.ok(proxy.count("GET", /\/blobs\/sha256:/, "secondary") > 0);
        assert.ok(proxy.count("PUT", /\/manifests\//) > 0);

        proxy.setRedirect({ blobGet: true, uploads: true });

        // Injected one-time 503, then pass.
        proxy.inject({ method: "GET", path: "/v2/", response: { status: 503, body: "{}" } });
        const r1 = await fetch(`${proxy.url}/v2/`);
        await r1.arrayBuffer();
        const r2 = await fetch(`${proxy.url}/v2/`);
        await r2.arrayBuffer();
        assert.deepEqual([r1.status, r2.status], [503, 401]);

        // Blob GET redirect: Authorization goes to the primary only.
        const layer = readFileSync(join(repoRoot(), "testdata", "rootfs", "bin", "hello"));
        const digest = await sha256(layer);
        const post = await fetch(`${proxy.url}/v2/fixtures/raw/blobs/uploads/`, {
          method: "POST",
          headers: { authorization: basic },
        });
        await post.arrayBuffer();
        assert.equal(post.status, 202);
        const loc = new URL(post.headers.get("location")!, proxy.url);
        assert.equal(loc.host, proxy.host);
        loc.searchParams.set("digest", digest);

        proxy.setMaxBodyBytes(100);
        const big = await fetch(loc, {
          method: "PUT",
          headers: { authorization: basic },
          body: layer,
        });
        await big.arrayBuffer();
        assert.equal(big.status, 413);
        proxy.setMaxBodyBytes(undefined);

        const put = await fetch(loc, {
          method: "PUT",
          headers: { authorization: basic },
          body: layer,
          redirect: "manual",
        });
        await put.arrayBuffer();
        assert.equal(put.status, 307);
        const put2 = await fetch(put.headers.get("location")!, { method: "PUT", body: layer });
        await put2.arrayBuffer();
        assert.equal(put2.status, 201);

        const get = await fetch(`${proxy.url}/v2/fixtures/raw/blobs/${digest}`, {
          headers: { authorization: basic },
          redirect: "manual",
        });
        await get.arrayBuffer();
        assert.equal(get.status, 307);
        const target = new URL(get.headers.get("location")!);
        assert.equal(target.host, proxy.secondaryHost);
        const got = await fetch(target);
        assert.equal(got.status, 200);
        assert.equal(await sha256(new Uint8Array(await got.arrayBuffer())), digest);

        const unsigned = await fetch(`${proxy.secondaryUrl}/v2/fixtures/raw/blobs/${digest}`);
        await unsigned.arrayBuffer();
        assert.equal(unsigned.status, 403);

        const secondary = proxy.requests.filter((q) => q.origin === "secondary");
        assert.ok(secondary.length > 0);
        const ours = secondary.filter((q) => q.path.startsWith("/v2/fixtures/raw/"));
        assert.ok(ours.every((q) => q.headers.authorization === undefined));
        assert.ok(
          proxy.requests.some((q) => q.origin === "primary" && q.headers.authorization === basic),
        );

        // Dropped connection.
        proxy.inject({ path: "/v2/", response: "drop" });
        await assert.rejects(fetch(`${proxy.url}/v2/`));
      } finally {
        await proxy.stop();
      }
    });
  });
});
