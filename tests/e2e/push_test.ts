// `scratchbuild build … --tag` end to end: the CLI on Deno, Bun and Node pushes
// to real registries (token auth, htpasswd, none with relative Location URLs),
// with every credential source, and skopeo, umoci and podman read back what
// it pushed. A fault proxy in front of each registry counts the requests of
// the later pushes (re-push, several tags, chunked upload).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type RegistryHandle, startRegistry } from "../_fixtures/registry.ts";
import { type FaultProxyHandle, startFaultProxy } from "../_fixtures/fault_proxy.ts";
import {
  assertOk,
  type Creds,
  HELLO_OUTPUT,
  podmanPullRun,
  repoRoot,
  type RunResult,
  skopeoCopy,
  skopeoInspect,
  type TempDir,
  tempDir,
  umociUnpack,
} from "../_fixtures/tools.ts";
import { CLI_RUNTIMES, type CliRuntime, runCli } from "./_helpers.ts";
import { incompressibleBytes } from "../_fixtures/data.ts";

const ROOTFS = join(repoRoot(), "testdata", "rootfs");
const HELLO_BINARY = join(ROOTFS, "bin", "hello");
const WRONG_PASSWORD = "Wr0ngPa55-unique-xyz";
const BIG_FILE_SIZE = 300 * 1024;
const CHUNK = 1024;

// ---------------------------------------------------------------------------
// Small helpers

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function hexOf(digest: string): string {
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  return digest.slice("sha256:".length);
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

const pseudoRandom = incompressibleBytes;

/** Runs `fn` for every runtime at once; waits for all of them, then throws the first failure. */
async function forEachRuntime<T>(fn: (rt: CliRuntime, i: number) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(CLI_RUNTIMES.map((rt, i) => fn(rt, i)));
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** What the `--json` report says about a push. */
interface PushReport {
  digest: string;
  config: { digest: string; size: number };
  layers: { digest: string; size: number; diffID: string }[];
  pushed: string[];
  blobs: {
    digest: string;
    size: number;
    status: "uploaded" | "mounted" | "present";
    registry: string;
    repository: string;
  }[];
}

function parseReport(res: RunResult, who: string): PushReport {
  assertOk(res, who);
  try {
    return JSON.parse(res.stdout) as PushReport;
  } catch {
    throw new Error(`${who}: stdout is not JSON:\n${res.stdout}`);
  }
}

const PROGRESS_LINE =
  /^(Built sha256:[0-9a-f]{64}|Wrote .*|Pushed \S+|\S+: sha256:[0-9a-f]{64} (uploaded|mounted|present))$/;

/** The error lines of a failed run: stderr minus progress lines. */
function errorLines(res: RunResult): string[] {
  return res.stderr.trimEnd().split("\n").filter((l) => l !== "" && !PROGRESS_LINE.test(l));
}

function describeRun(res: RunResult): string {
  return `--- stdout:\n${res.stdout}\n--- stderr:\n${res.stderr}`;
}

// ---------------------------------------------------------------------------
// Credentials: each runtime gets them a different way

type CredSource = "stdin" | "env" | "docker-config";
const SOURCES: readonly CredSource[] = ["stdin", "env", "docker-config"];

/** A clean environment: no credentials from the caller's shell or ~/.docker. */
function baseEnv(emptyDockerConfig: string): Record<string, string | undefined> {
  return {
    DOCKER_CONFIG: emptyDockerConfig,
    SCRATCHBUILD_USERNAME: undefined,
    SCRATCHBUILD_PASSWORD: undefined,
    SCRATCHBUILD_TOKEN: undefined,
    NO_COLOR: "1",
  };
}

interface PushEnv {
  work: TempDir;
  /** Hosts (registry and proxy) a DOCKER_CONFIG must carry credentials for. */
  hosts: string[];
}

let configDirs = 0;

/** Runs the CLI with `creds` given by `source` (or no credentials at all). */
function runWithCreds(
  rt: CliRuntime,
  args: string[],
  ctx: PushEnv,
  source?: CredSource,
  creds?: Creds,
): Promise<RunResult> {
  const empty = join(ctx.work.path, "docker-config-empty");
  mkdirSync(empty, { recursive: true });
  const env = baseEnv(empty);
  let stdin: string | undefined;
  const all = [...args];
  if (source && creds) {
    if (source === "stdin") {
      all.push("--username", creds.username, "--password-stdin");
      stdin = `${creds.password}\n`;
    } else if (source === "env") {
      env.SCRATCHBUILD_USERNAME = creds.username;
      env.SCRATCHBUILD_PASSWORD = creds.password;
    } else {
      const dir = join(ctx.work.path, `docker-config-${++configDirs}`);
      mkdirSync(dir);
      const auth = base64(`${creds.username}:${creds.password}`);
      const auths: Record<string, { auth: string }> = {};
      for (const h of ctx.hosts) auths[h] = { auth };
      writeFileSync(join(dir, "config.json"), JSON.stringify({ auths }, null, 2));
      env.DOCKER_CONFIG = dir;
    }
  }
  return runCli(rt, all, { env, stdin });
}

// ---------------------------------------------------------------------------
// Reading an image back from a registry

interface ExpectedFile {
  path: string;
  content: Uint8Array;
  mode: number;
}

const HELLO_FILE: ExpectedFile = {
  path: "bin/hello",
  content: readFileSync(HELLO_BINARY),
  mode: 0o755,
};

/**
 * Checks `HOST/NAME:TAG` with real tools: skopeo sees `digest`, the config's
 * entrypoint and diff IDs; a `skopeo copy` to an OCI layout keeps the layer
 * bytes (their sha256 is the manifest's layer digest, the gunzipped layer's
 * sha256 the config's diff ID); `umoci unpack` shows the expected files.
 */
async function verifyPushed(
  ref: string,
  digest: string,
  creds: Creds | undefined,
  scratch: string,
  files: ExpectedFile[] = [HELLO_FILE],
): Promise<void> {
  const inspect = assertOk(
    await skopeoInspect(`docker://${ref}`, { creds }),
    `skopeo inspect ${ref}`,
  );
  const info = JSON.parse(inspect.stdout) as { Digest: string; Layers: string[] };
  assert.equal(info.Digest, digest, `skopeo inspect ${ref}`);

  const raw = assertOk(await skopeoInspect(`docker://${ref}`, { creds, raw: true }));
  const manifest = JSON.parse(raw.stdout) as {
    config: { digest: string };
    layers: { digest: string; size: number }[];
  };
  assert.equal(manifest.layers.length, 1, ref);
  const cfg = assertOk(await skopeoInspect(`docker://${ref}`, { creds, config: true }));
  const config = JSON.parse(cfg.stdout) as {
    config: { Entrypoint: string[] };
    rootfs: { diff_ids: string[] };
  };
  assert.deepEqual(config.config.Entrypoint, ["/bin/hello"], ref);
  assert.equal(config.rootfs.diff_ids.length, 1, ref);

  mkdirSync(scratch, { recursive: true });
  const layout = join(scratch, "layout");
  assertOk(await skopeoCopy(`docker://${ref}`, `oci:${layout}:copy`, { srcCreds: creds }));
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = index.manifests.find((m) =>
    m.annotations?.["org.opencontainers.image.ref.name"] === "copy"
  );
  assert.ok(entry, `${ref}: no "copy" tag in the copied layout`);
  const blob = (d: string): Buffer => readFileSync(join(layout, "blobs", "sha256", hexOf(d)));
  const copied = JSON.parse(blob(entry.digest).toString("utf8")) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  assert.equal(copied.layers.length, 1);
  assert.equal(copied.layers[0].digest, manifest.layers[0].digest, `${ref}: layer kept as is`);
  const layer = blob(copied.layers[0].digest);
  assert.equal(layer.length, manifest.layers[0].size, `${ref}: layer size`);
  assert.equal(`sha256:${sha256Hex(layer)}`, manifest.layers[0].digest, `${ref}: layer digest`);
  const copiedConfig = JSON.parse(blob(copied.config.digest).toString("utf8")) as {
    rootfs: { diff_ids: string[] };
  };
  assert.deepEqual(copiedConfig.rootfs.diff_ids, config.rootfs.diff_ids);
  assert.equal(
    `sha256:${sha256Hex(gunzipSync(layer))}`,
    config.rootfs.diff_ids[0],
    `${ref}: diff ID`,
  );

  const unpacked = join(scratch, "unpacked");
  assertOk(await umociUnpack(layout, "copy", unpacked), `umoci unpack ${ref}`);
  for (const f of files) {
    const p = join(unpacked, "rootfs", f.path);
    assert.ok(existsSync(p), `${ref}: /${f.path} missing`);
    assert.equal(statSync(p).mode & 0o7777, f.mode, `${ref}: /${f.path} mode`);
    assert.ok(readFileSync(p).equals(f.content), `${ref}: /${f.path} content`);
  }
}

async function podmanRuns(ref: string, creds: Creds | undefined): Promise<void> {
  const { fetch, run } = await podmanPullRun(ref, { creds });
  assertOk(fetch, `podman pull ${ref}`);
  assert.ok(run, `podman pull ${ref} gave no image`);
  assertOk(run, `podman run ${ref}`);
  assert.equal(run.stdout, HELLO_OUTPUT);
}

// ---------------------------------------------------------------------------
// One describe per registry kind

interface RegistryKind {
  name: string;
  start(): Promise<RegistryHandle>;
  /** Offset into SOURCES: runtime i uses SOURCES[(i + offset) % 3]; undefined = no credentials. */
  credOffset?: number;
  /** Whether the token server refuses pushes to `e2e/denied`. */
  denies?: boolean;
}

const DENIED_REPO = "e2e/denied";

const KINDS: RegistryKind[] = [
  {
    name: "token auth",
    start: () => startRegistry({ auth: "token", token: { deny: [DENIED_REPO] } }),
    credOffset: 0,
    denies: true,
  },
  { name: "htpasswd", start: () => startRegistry({ auth: "htpasswd" }), credOffset: 1 },
  { name: "no auth, relative URLs", start: () => startRegistry({ relativeURLs: true }) },
];

for (const kind of KINDS) {
  describe(`scratchbuild build --tag, ${kind.name} registry`, () => {
    let registry: RegistryHandle;
    let proxy: FaultProxyHandle;
    let ctx: PushEnv;
    let creds: Creds | undefined;
    /** Manifest digest each runtime printed for the first push. */
    const printed = new Map<string, string>();

    const sourceOf = (i: number): CredSource | undefined =>
      kind.credOffset === undefined ? undefined : SOURCES[(i + kind.credOffset) % SOURCES.length];
    const push = (rt: CliRuntime, i: number, args: string[], c = creds) =>
      runWithCreds(rt, args, ctx, sourceOf(i), c);
    const build = ["build", ROOTFS, "--entrypoint", "/bin/hello"];
    const scratch = (...parts: string[]) => join(ctx.work.path, "check", ...parts);

    before(async () => {
      const work = tempDir("scratchbuild-e2e-push-");
      try {
        registry = await kind.start();
        proxy = await startFaultProxy(registry.url);
      } catch (e) {
        await registry?.stop();
        work.cleanup();
        throw e;
      }
      ctx = { work, hosts: [registry.host, proxy.host] };
      creds = registry.username
        ? { username: registry.username, password: registry.password! }
        : undefined;
    });

    after(async () => {
      await proxy?.stop();
      await registry?.stop();
      ctx?.work.cleanup();
    });

    it("every runtime pushes; skopeo, umoci and the layer digests agree with what it printed", async () => {
      const results = await forEachRuntime((rt, i) =>
        push(rt, i, [...build, "--tag", `${registry.host}/e2e/${rt.name}:v1`])
      );
      results.forEach((res, i) => {
        const rt = CLI_RUNTIMES[i];
        const who = `${rt.name} (credentials: ${sourceOf(i) ?? "none"})\n${describeRun(res)}`;
        assert.equal(res.code, 0, who);
        assert.match(res.stdout, /^sha256:[0-9a-f]{64}\n$/, who);
        printed.set(rt.name, res.stdout.trim());
        assert.match(res.stderr, new RegExp(`Pushed ${registry.host}/e2e/${rt.name}:v1`), who);
      });
      assert.equal(new Set(printed.values()).size, 1, "every runtime builds the same image");
      if (kind.credOffset !== undefined) {
        assert.deepEqual(
          new Set(CLI_RUNTIMES.map((_, i) => sourceOf(i))),
          new Set(SOURCES),
          "every credential source is used",
        );
      }
      await forEachRuntime((rt) =>
        verifyPushed(
          `${registry.host}/e2e/${rt.name}:v1`,
          printed.get(rt.name)!,
          creds,
          scratch("first", rt.name),
        )
      );
    });

    if (kind.credOffset !== undefined) {
      it("every runtime pushes with every credential source (stdin, env, DOCKER_CONFIG)", async () => {
        for (const source of SOURCES) {
          const results = await forEachRuntime((rt) =>
            runWithCreds(
              rt,
              [...build, "--tag", `${registry.host}/e2e/${rt.name}-${source}:v1`],
              ctx,
              source,
              creds,
            )
          );
          for (const [i, res] of results.entries()) {
            const ref = `${registry.host}/e2e/${CLI_RUNTIMES[i].name}-${source}:v1`;
            assert.equal(res.code, 0, `${ref} with ${source}\n${describeRun(res)}`);
            const inspected = assertOk(
              await skopeoInspect(`docker://${ref}`, { creds }),
              `skopeo inspect ${ref}`,
            );
            assert.equal((inspected.json as { Digest: string }).Digest, res.stdout.trim(), ref);
          }
        }
      });
    }

    it("podman pulls the pushed image and runs it", async () => {
      const rt = CLI_RUNTIMES[KINDS.indexOf(kind) % CLI_RUNTIMES.length];
      assert.ok(printed.has(rt.name), "the first push failed");
      await podmanRuns(`${registry.host}/e2e/${rt.name}:v1`, creds);
    });

    it("pushing the same image again uploads nothing", async () => {
      assert.equal(printed.size, CLI_RUNTIMES.length, "the first push failed");
      proxy.clear();
      const results = await forEachRuntime((rt, i) =>
        push(rt, i, [...build, "--tag", `${proxy.host}/e2e/${rt.name}:v1`, "--json"])
      );
      results.forEach((res, i) => {
        const rt = CLI_RUNTIMES[i];
        const who = `${rt.name}\n${describeRun(res)}`;
        const r = parseReport(res, who);
        assert.equal(r.digest, printed.get(rt.name), who);
        assert.deepEqual(r.pushed, [`${proxy.host}/e2e/${rt.name}:v1@${r.digest}`], who);
        assert.deepEqual(
          r.blobs.map((b) => [b.digest, b.status, b.registry, b.repository]),
          [r.layers[0].digest, r.config.digest].map((d) => [
            d,
            "present",
            proxy.host,
            `e2e/${rt.name}`,
          ]),
          who,
        );
        const uploads = new RegExp(`^/v2/e2e/${rt.name}/blobs/uploads/`);
        assert.equal(proxy.count("POST", uploads), 0, `${rt.name}: POST to /blobs/uploads/`);
        assert.equal(proxy.count("PATCH", uploads), 0, `${rt.name}: PATCH to /blobs/uploads/`);
        assert.equal(proxy.count("PUT", uploads), 0, `${rt.name}: PUT to /blobs/uploads/`);
        assert.equal(proxy.count("HEAD", new RegExp(`^/v2/e2e/${rt.name}/blobs/sha256:`)), 2);
      });
    });

    it("several tags: blobs once, a manifest per tag; a second repository mounts them", async () => {
      proxy.clear();
      const results = await forEachRuntime((rt, i) =>
        push(rt, i, [
          ...build,
          "-t",
          `${proxy.host}/multi/${rt.name}:a`,
          "--tag",
          `${proxy.host}/multi/${rt.name}:b`,
          "--tag",
          `${proxy.host}/multi/${rt.name}-mirror:c`,
          "--json",
        ])
      );
      await forEachRuntime(async (rt, i) => {
        const who = `${rt.name}\n${describeRun(results[i])}`;
        const r = parseReport(results[i], who);
        const repo = `multi/${rt.name}`;
        const mirror = `multi/${rt.name}-mirror`;
        assert.deepEqual(r.pushed, [
          `${proxy.host}/${repo}:a@${r.digest}`,
          `${proxy.host}/${repo}:b@${r.digest}`,
          `${proxy.host}/${mirror}:c@${r.digest}`,
        ], who);
        const blobs = [r.layers[0].digest, r.config.digest];
        assert.deepEqual(
          r.blobs.map((b) => [b.repository, b.digest, b.status]),
          [
            ...blobs.map((d) => [repo, d, "uploaded"]),
            ...blobs.map((d) => [mirror, d, "mounted"]),
          ],
          who,
        );
        // Each blob went up once (one finishing PUT per digest), into the first repository only.
        const finished = proxy.requests.filter((q) =>
          q.method === "PUT" && q.path.startsWith(`/v2/${repo}/blobs/uploads/`)
        ).map((q) => new URLSearchParams(q.query).get("digest")).sort();
        assert.deepEqual(finished, [...blobs].sort(), `${rt.name}: blob uploads`);
        const mirrorUploads = new RegExp(`^/v2/${mirror}/blobs/uploads/.`);
        assert.equal(proxy.count("PUT", mirrorUploads), 0, `${rt.name}: uploads into the mirror`);
        assert.equal(proxy.count("PATCH", mirrorUploads), 0);
        for (const [r2, tag] of [[repo, "a"], [repo, "b"], [mirror, "c"]]) {
          assert.equal(proxy.count("PUT", `/v2/${r2}/manifests/${tag}`), 1, `${r2}:${tag}`);
        }
        for (const [r2, tag] of [[repo, "a"], [repo, "b"], [mirror, "c"]]) {
          const info = await skopeoInspect(`docker://${registry.host}/${r2}:${tag}`, { creds });
          assertOk(info, `skopeo inspect ${r2}:${tag}`);
          assert.equal((info.json as { Digest: string }).Digest, r.digest, `${r2}:${tag}`);
        }
      });
    });

    // One runtime per registry kind (deno → token, bun → htpasswd, node → relative URLs):
    // ~300 PATCHes each, so all three runtimes on all three kinds would be slow.
    it(`--chunk-size ${CHUNK} uploads a ~300 KB layer in chunks`, async () => {
      const i = KINDS.indexOf(kind) % CLI_RUNTIMES.length;
      const rt = CLI_RUNTIMES[i];
      const src = join(ctx.work.path, "chunk-src");
      const big = pseudoRandom(BIG_FILE_SIZE);
      mkdirSync(join(src, "bin"), { recursive: true });
      mkdirSync(join(src, "data"));
      copyFileSync(HELLO_BINARY, join(src, "bin", "hello"));
      chmodSync(join(src, "bin", "hello"), 0o755);
      writeFileSync(join(src, "data", "random.bin"), big);
      chmodSync(join(src, "data", "random.bin"), 0o644);
      const repo = `chunked/${rt.name}`;
      proxy.clear();
      const res = await push(rt, i, [
        "build",
        src,
        "--entrypoint",
        "/bin/hello",
        "--tag",
        `${proxy.host}/${repo}:v1`,
        "--chunk-size",
        String(CHUNK),
        "--json",
      ]);
      const who = `${rt.name} (credentials: ${sourceOf(i) ?? "none"})\n${describeRun(res)}`;
      const r = parseReport(res, who);
      assert.ok(r.layers[0].size > BIG_FILE_SIZE, `${who}: layer of ${r.layers[0].size} bytes`);
      assert.deepEqual(r.blobs.map((b) => b.status), ["uploaded", "uploaded"], who);
      assert.deepEqual(r.pushed, [`${proxy.host}/${repo}:v1@${r.digest}`], who);
      const patches = proxy.requests.filter((q) =>
        q.method === "PATCH" && q.path.startsWith(`/v2/${repo}/blobs/uploads/`)
      );
      const sizes = patches.map((q) => q.bodyBytes);
      assert.ok(sizes.every((n) => n > 0 && n <= CHUNK), `PATCH sizes: ${sizes}`);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        r.layers[0].size + r.config.size,
        "bytes sent in PATCHes",
      );
      assert.equal(
        patches.length,
        Math.ceil(r.layers[0].size / CHUNK) + Math.ceil(r.config.size / CHUNK),
        "number of PATCHes",
      );
      // The closing PUTs carry no data.
      const closing = proxy.requests.filter((q) =>
        q.method === "PUT" && q.path.startsWith(`/v2/${repo}/blobs/uploads/`)
      );
      assert.deepEqual(closing.map((q) => q.bodyBytes), [0, 0], "closing PUTs");
      await verifyPushed(
        `${registry.host}/${repo}:v1`,
        r.digest,
        creds,
        scratch("chunked", rt.name),
        [HELLO_FILE, { path: "data/random.bin", content: big, mode: 0o644 }],
      );
    });

    if (kind.credOffset !== undefined) {
      it("a wrong password: exit 1, one line saying authentication failed, the password nowhere", async () => {
        const wrong: Creds = { username: creds!.username, password: WRONG_PASSWORD };
        const secrets = [WRONG_PASSWORD, base64(`${wrong.username}:${WRONG_PASSWORD}`)];
        for (const json of [false, true]) {
          const results = await forEachRuntime((rt, i) =>
            push(rt, i, [
              ...build,
              "--tag",
              `${registry.host}/e2e/wrong-${rt.name}:v1`,
              ...(json ? ["--json"] : []),
            ], wrong)
          );
          results.forEach((res, i) => {
            const rt = CLI_RUNTIMES[i];
            const who = `${rt.name}${json ? " --json" : ""} (credentials: ${sourceOf(i)})\n${
              describeRun(res)
            }`;
            assert.equal(res.code, 1, who);
            assert.equal(res.stdout, "", who);
            const lines = errorLines(res);
            assert.equal(lines.length, 1, who);
            assert.match(lines[0], /^scratchbuild: /, who);
            assert.ok(lines[0].includes("authentication failed"), who);
            assert.ok(lines[0].includes(registry.host), who);
            assert.ok(!lines[0].includes("unexpected error"), who);
            for (const s of secrets) {
              assert.ok(
                !res.stdout.includes(s) && !res.stderr.includes(s),
                `secret printed: ${who}`,
              );
            }
          });
        }
      });
    }

    if (kind.denies) {
      it("a push the token server denies: exit 1, one line saying denied", async () => {
        const results = await forEachRuntime((rt, i) =>
          push(rt, i, [...build, "--tag", `${registry.host}/${DENIED_REPO}:${rt.name}`])
        );
        results.forEach((res, i) => {
          const rt = CLI_RUNTIMES[i];
          const who = `${rt.name}\n${describeRun(res)}`;
          assert.equal(res.code, 1, who);
          assert.equal(res.stdout, "", who);
          const lines = errorLines(res);
          assert.equal(lines.length, 1, who);
          assert.match(lines[0], /^scratchbuild: /, who);
          assert.match(lines[0], /denied/, who);
          assert.ok(lines[0].includes(DENIED_REPO), who);
          assert.ok(!res.stderr.includes(creds!.password), `password printed: ${who}`);
        });
        const tags = await skopeoInspect(`docker://${registry.host}/${DENIED_REPO}:deno`, {
          creds,
        });
        assert.notEqual(tags.code, 0, "nothing was pushed to the denied repository");
      });
    }
  });
}

describe("scratchbuild build --tag, bad reference", () => {
  let work: TempDir;
  before(() => {
    work = tempDir("scratchbuild-e2e-badref-");
  });
  after(() => {
    work?.cleanup();
  });

  it("an upper-case repository: exit 2 before any output is written", async () => {
    const results = await forEachRuntime((rt) =>
      runCli(rt, [
        "build",
        ROOTFS,
        "--entrypoint",
        "/bin/hello",
        "-o",
        `oci:${join(work.path, rt.name)}:latest`,
        "--tag",
        "127.0.0.1:5000/UPPER:tag",
      ], { env: baseEnv(join(work.path, "no-docker-config")) })
    );
    results.forEach((res, i) => {
      const rt = CLI_RUNTIMES[i];
      const who = `${rt.name}\n${describeRun(res)}`;
      assert.equal(res.code, 2, who);
      assert.equal(res.stdout, "", who);
      const lines = res.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `one line and no progress: ${who}`);
      assert.match(lines[0], /^scratchbuild: /, who);
      assert.ok(lines[0].includes("UPPER"), who);
      assert.ok(!/^\s+at /m.test(res.stderr), `stack trace: ${who}`);
      assert.equal(existsSync(join(work.path, rt.name)), false, `${rt.name}: output written`);
    });
  });
});
