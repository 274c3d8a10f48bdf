// The seed's example flow with the seed-compatible `Client`, almost line for
// line, against real registries (token auth and none); skopeo and podman read
// back what it pushed.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Client, tarDirectory } from "../../mod.ts";
import { type RegistryHandle, startRegistry } from "../_fixtures/registry.ts";
import {
  assertOk,
  type Creds,
  HELLO_OUTPUT,
  podmanPullRun,
  repoRoot,
  skopeoInspect,
} from "../_fixtures/tools.ts";

const ROOTFS = join(repoRoot(), "testdata", "rootfs");
const WRONG_PASSWORD = "Wr0ngPa55-unique-xyz";

interface Inspected {
  Digest: string;
}

interface InspectedConfig {
  config: { Entrypoint: string[] };
  rootfs: { diff_ids: string[] };
}

/** `skopeo inspect` of HOST/NAME:TAG and its config; throws when skopeo fails. */
async function inspect(
  ref: string,
  creds: Creds | undefined,
): Promise<{ manifest: Inspected; config: InspectedConfig }> {
  const m = await skopeoInspect(`docker://${ref}`, { creds });
  assertOk(m, `skopeo inspect ${ref}`);
  const c = await skopeoInspect(`docker://${ref}`, { creds, config: true });
  assertOk(c, `skopeo inspect --config ${ref}`);
  return { manifest: m.json as Inspected, config: c.json as InspectedConfig };
}

describe("Client (seed flow), token-auth registry", () => {
  let registry: RegistryHandle;
  let creds: Creds;

  before(async () => {
    registry = await startRegistry({ auth: "token" });
    creds = { username: registry.username!, password: registry.password! };
  });
  after(async () => {
    await registry?.stop();
  });

  it("auth() returns a token; buildImage pushes what skopeo then finds", async () => {
    const user = registry.username;
    const password = registry.password;

    const layer = await tarDirectory(ROOTFS);
    const c = new Client({
      name: "seed/test",
      baseURL: registry.url,
      tag: "latest",
      user,
      password,
    });
    const token = await c.auth();
    assert.equal(typeof token, "string");
    assert.match(token!, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a JWT");
    assert.equal(c.token, token);
    c.token = token;
    const result = await c.buildImage({ Entrypoint: ["/bin/hello"] }, layer);

    assert.deepEqual(result.pushed, [`${registry.host}/seed/test:latest@${result.digest}`]);
    assert.deepEqual(result.blobs.map((b) => b.status), ["uploaded", "uploaded"]);
    const { manifest, config } = await inspect(`${registry.host}/seed/test:latest`, creds);
    assert.equal(manifest.Digest, result.digest);
    assert.deepEqual(config.config.Entrypoint, ["/bin/hello"]);
    assert.ok(registry.tokenServer!.tokensIssued() >= 1);
  });

  it("a token set by hand on a client without credentials is used", async () => {
    const source = new Client({
      name: "seed/test",
      baseURL: registry.url,
      user: registry.username,
      password: registry.password,
    });
    const token = await source.auth();
    assert.equal(typeof token, "string");

    const c = new Client({ name: "seed/test", baseURL: registry.url, tag: "by-hand" });
    c.token = token;
    const result = await c.buildImage({ Entrypoint: ["/bin/hello"] }, await tarDirectory(ROOTFS));
    assert.deepEqual(result.pushed, [`${registry.host}/seed/test:by-hand@${result.digest}`]);
    const { manifest } = await inspect(`${registry.host}/seed/test:by-hand`, creds);
    assert.equal(manifest.Digest, result.digest);
  });

  it("tags: ['a', 'b'] pushes both tags", async () => {
    const c = new Client({
      name: "seed/tags",
      baseURL: registry.url,
      tags: ["a", "b"],
      user: registry.username,
      password: registry.password,
    });
    c.token = await c.auth();
    const result = await c.buildImage({ Entrypoint: ["/bin/hello"] }, await tarDirectory(ROOTFS));
    assert.deepEqual(result.pushed, [
      `${registry.host}/seed/tags:a@${result.digest}`,
      `${registry.host}/seed/tags:b@${result.digest}`,
    ]);
    // Blobs once, the manifest once per tag.
    assert.deepEqual(result.blobs.map((b) => b.status), ["uploaded", "uploaded"]);
    for (const tag of ["a", "b"]) {
      const { manifest, config } = await inspect(`${registry.host}/seed/tags:${tag}`, creds);
      assert.equal(manifest.Digest, result.digest, tag);
      assert.deepEqual(config.config.Entrypoint, ["/bin/hello"], tag);
    }
  });

  it("a wrong password rejects with a message that does not contain it", async () => {
    const c = new Client({
      name: "seed/test",
      baseURL: registry.url,
      tag: "wrong",
      user: registry.username,
      password: WRONG_PASSWORD,
    });
    const layer = await tarDirectory(ROOTFS);
    for (
      const [what, attempt] of [
        ["auth()", () => c.auth()],
        ["buildImage()", () => c.buildImage({ Entrypoint: ["/bin/hello"] }, layer)],
      ] as const
    ) {
      await assert.rejects(attempt, (e: unknown) => {
        assert.ok(e instanceof Error, `${what}: ${e}`);
        assert.match(e.message, /authentication failed/, `${what}: ${e.message}`);
        assert.ok(e.message.includes(registry.host), `${what}: ${e.message}`);
        assert.ok(!e.message.includes(WRONG_PASSWORD), `${what}: password in the message`);
        assert.ok(!String(e.stack).includes(WRONG_PASSWORD), `${what}: password in the stack`);
        return true;
      });
    }
    const tags = await skopeoInspect(`docker://${registry.host}/seed/test:wrong`, { creds });
    assert.notEqual(tags.code, 0, "nothing was pushed");
  });
});

describe("Client (seed flow), registry without auth", () => {
  let registry: RegistryHandle;

  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.stop();
  });

  it("auth() returns undefined; buildImage pushes; podman runs the image", async () => {
    const layer = await tarDirectory(ROOTFS);
    const c = new Client({ name: "seed/test", baseURL: registry.url, tag: "latest" });
    const token = await c.auth();
    assert.equal(token, undefined);
    c.token = token;
    const result = await c.buildImage({ Entrypoint: ["/bin/hello"] }, layer);

    const ref = `${registry.host}/seed/test:latest`;
    assert.deepEqual(result.pushed, [`${ref}@${result.digest}`]);
    const { manifest, config } = await inspect(ref, undefined);
    assert.equal(manifest.Digest, result.digest);
    assert.deepEqual(config.config.Entrypoint, ["/bin/hello"]);

    const { fetch, run } = await podmanPullRun(ref);
    assertOk(fetch, `podman pull ${ref}`);
    assert.ok(run, "podman pull gave no image");
    assertOk(run, `podman run ${ref}`);
    assert.equal(run.stdout, HELLO_OUTPUT);
  });

  it("tags: ['a', 'b'] pushes both tags", async () => {
    const c = new Client({ name: "seed/tags", baseURL: registry.url, tags: ["a", "b"] });
    assert.equal(await c.auth(), undefined);
    const result = await c.buildImage({ Entrypoint: ["/bin/hello"] }, await tarDirectory(ROOTFS));
    assert.deepEqual(result.pushed, [
      `${registry.host}/seed/tags:a@${result.digest}`,
      `${registry.host}/seed/tags:b@${result.digest}`,
    ]);
    for (const tag of ["a", "b"]) {
      const { manifest } = await inspect(`${registry.host}/seed/tags:${tag}`, undefined);
      assert.equal(manifest.Digest, result.digest, tag);
    }
  });
});
