// The core acceptance criteria, end to end: the CLI builds a tricky source tree
// on Deno, Bun and Node with identical results, and real tools (skopeo, umoci,
// GNU tar, Python's tarfile, gzip, podman) read what it wrote.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  assertOk,
  HELLO_OUTPUT,
  podmanStore,
  repoRoot,
  run,
  type RunResult,
  skopeoCopy,
  skopeoInspect,
  type TempDir,
  tempDir,
  umociUnpack,
} from "../_fixtures/tools.ts";
import { CLI_RUNTIMES, type CliRuntime, runCli } from "./_helpers.ts";
import { pythonTarList } from "../_fixtures/readback.ts";
import { incompressibleBytes } from "../_fixtures/data.ts";

const HELLO_BINARY = join(repoRoot(), "testdata", "rootfs", "bin", "hello");
const EPOCH = 1700000000;
const REPO_TAG = "test/hello:latest";

/** Runtimes the bad-input cases run on (all three are cheap; narrow to one if needed). */
const ERROR_RUNTIMES: readonly CliRuntime[] = CLI_RUNTIMES;

// 6 + 71 + 61 + 44 = 182 bytes: too long for the 100-byte name field, fits the ustar prefix split.
const USTAR_PATH = `ustar/${"d".repeat(70)}/${"e".repeat(60)}/${"f".repeat(40)}.txt`;
// 4 + 121 + 121 + 34 = 280 bytes: needs a PAX path record.
const PAX_PATH = `pax/${"g".repeat(120)}/${"h".repeat(120)}/${"i".repeat(30)}.txt`;
const UNICODE_PATH = "héllo/日本.txt";

// ---------------------------------------------------------------------------
// The source tree

type SourceItem =
  | { path: string; type: "dir"; mode: number }
  | { path: string; type: "file"; mode: number; content: Uint8Array | string }
  | { path: string; type: "copy"; mode: number; from: string }
  | { path: string; type: "symlink"; target: string };

const pseudoRandom = incompressibleBytes;

const SOURCE: SourceItem[] = [
  { path: "bin", type: "dir", mode: 0o755 },
  { path: "bin/hello", type: "copy", mode: 0o755, from: HELLO_BINARY },
  { path: "bin/run.sh", type: "file", mode: 0o755, content: "#!/bin/sh\necho hi\n" },
  { path: "a/b/c/d/deep.txt", type: "file", mode: 0o644, content: "deep\n" },
  { path: "a/b/sibling.txt", type: "file", mode: 0o644, content: "sibling\n" },
  { path: "a-b.txt", type: "file", mode: 0o644, content: "sorts after a/ in a tree walk\n" },
  { path: "etc/secret.key", type: "file", mode: 0o600, content: "private\n" },
  { path: "private", type: "dir", mode: 0o750 },
  { path: "private/data.txt", type: "file", mode: 0o640, content: "group-readable\n" },
  { path: "tmp", type: "dir", mode: 0o1777 },
  { path: "empty-dir", type: "dir", mode: 0o755 },
  { path: "empty.txt", type: "file", mode: 0o644, content: "" },
  { path: ".hidden", type: "file", mode: 0o644, content: "hidden\n" },
  { path: "dir with spaces/file name.txt", type: "file", mode: 0o644, content: "spaces\n" },
  { path: "data/blob.bin", type: "file", mode: 0o644, content: pseudoRandom(200_000) },
  { path: UNICODE_PATH, type: "file", mode: 0o644, content: "こんにちは\n" },
  { path: USTAR_PATH, type: "file", mode: 0o644, content: "ustar prefix\n" },
  { path: PAX_PATH, type: "file", mode: 0o644, content: "pax path\n" },
  { path: "links/to-file", type: "symlink", target: "../a/b/c/d/deep.txt" },
  { path: "links/to-dir", type: "symlink", target: "../a/b" },
  { path: "links/to-long", type: "symlink", target: `../${PAX_PATH}` },
  { path: "links/to-unicode", type: "symlink", target: `../${UNICODE_PATH}` },
  { path: "links/absolute", type: "symlink", target: "/bin/hello" },
  { path: "links/dangling", type: "symlink", target: "does-not-exist" },
];

function makeSourceTree(root: string): void {
  mkdirSync(root, { recursive: true });
  const dirModes = new Map<string, number>();
  for (const item of SOURCE) {
    const p = join(root, item.path);
    if (item.type === "dir") {
      mkdirSync(p, { recursive: true });
      dirModes.set(p, item.mode);
      continue;
    }
    mkdirSync(dirname(p), { recursive: true });
    if (item.type === "file") writeFileSync(p, item.content);
    else if (item.type === "copy") copyFileSync(item.from, p);
    else symlinkSync(item.target, p);
    if (item.type !== "symlink") chmodSync(p, item.mode);
  }
  // Every folder gets an explicit mode (the umask must not matter), children first.
  const dirs: string[] = [];
  const collect = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (lstatSync(p).isDirectory()) {
        collect(p);
        dirs.push(p);
      }
    }
  };
  collect(root);
  for (const d of dirs) chmodSync(d, dirModes.get(d) ?? 0o755);
}

// ---------------------------------------------------------------------------
// Trees and files as comparable values

interface Node {
  type: "file" | "dir" | "symlink" | "other";
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  /** Content size (files only; 0 otherwise). */
  size: number;
  /** Symlink target. */
  target?: string;
  /** Content digest (files only). */
  sha256?: string;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Every entry under `root` (not `root` itself), by `/`-separated relative path, sorted. */
function walkTree(root: string): Record<string, Node> {
  const out: Record<string, Node> = {};
  const visit = (rel: string): void => {
    for (const name of readdirSync(rel ? join(root, rel) : root).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p);
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) {
        out[r] = { type: "symlink", mode, size: 0, target: readlinkSync(p) };
      } else if (st.isDirectory()) {
        out[r] = { type: "dir", mode, size: 0 };
        visit(r);
      } else if (st.isFile()) {
        out[r] = { type: "file", mode, size: st.size, sha256: sha256Hex(readFileSync(p)) };
      } else {
        out[r] = { type: "other", mode, size: 0 };
      }
    }
  };
  visit("");
  return out;
}

/** Every path under `root`, hidden files included, recursively. */
function listAll(root: string): string[] {
  if (!existsSync(root)) return [];
  return Object.keys(walkTree(root));
}

function hexOf(digest: string): string {
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  return digest.slice("sha256:".length);
}

function modeString(type: Node["type"], mode: number): string {
  const t = type === "dir" ? "d" : type === "symlink" ? "l" : "-";
  const rwx = (bits: number, special: boolean, set: string, unset: string): string =>
    (bits & 4 ? "r" : "-") + (bits & 2 ? "w" : "-") +
    (special ? (bits & 1 ? set : unset) : bits & 1 ? "x" : "-");
  return t +
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, "s", "S") +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, "s", "S") +
    rwx(mode & 7, (mode & 0o1000) !== 0, "t", "T");
}

// ---------------------------------------------------------------------------
// The builds

interface BuildReport {
  digest: string;
  mediaType: string;
  size: number;
  config: { digest: string; size: number };
  layers: { digest: string; size: number; diffID: string; mediaType: string }[];
  outputs: { output: string; digest: string }[];
}

interface Variant {
  name: string;
  /** SOURCE_DATE_EPOCH, or undefined to unset it. */
  epoch?: number;
  json: boolean;
}

const VARIANTS: Variant[] = [
  { name: "default", json: true },
  { name: "epoch", epoch: EPOCH, json: true },
  { name: "text", json: false },
];

interface Build {
  variant: Variant;
  runtime: CliRuntime;
  res: RunResult;
  /** The `--json` report (absent for the `text` variant). */
  report?: BuildReport;
  layout: string;
  ociArchive: string;
  dockerArchive: string;
}

function outputFlags(dir: string): string[] {
  return [
    "-o",
    `oci:${join(dir, "layout")}:latest`,
    "-o",
    `oci-archive:${join(dir, "image.oci.tar")}:latest`,
    "-o",
    `docker-archive:${join(dir, "image.docker.tar")}:${REPO_TAG}`,
  ];
}

async function build(work: string, src: string, variant: Variant, rt: CliRuntime): Promise<Build> {
  const dir = join(work, "out", variant.name, rt.name);
  mkdirSync(dir, { recursive: true });
  const args = ["build", src, "--entrypoint", "/bin/hello", ...outputFlags(dir)];
  if (variant.json) args.push("--json");
  const res = await runCli(rt, args, {
    env: { SOURCE_DATE_EPOCH: variant.epoch === undefined ? undefined : String(variant.epoch) },
  });
  return {
    variant,
    runtime: rt,
    res,
    report: variant.json && res.code === 0 ? JSON.parse(res.stdout) as BuildReport : undefined,
    layout: join(dir, "layout"),
    ociArchive: join(dir, "image.oci.tar"),
    dockerArchive: join(dir, "image.docker.tar"),
  };
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe("scratchbuild build, end to end", () => {
  let work: TempDir;
  let src: string;
  let builds: Build[] = [];
  let expected: Record<string, Node>;

  const of = (variant: string): Build[] => builds.filter((b) => b.variant.name === variant);
  const first = (variant: string): Build => of(variant)[0];
  const reportOf = (variant: string): BuildReport => first(variant).report!;

  before(async () => {
    work = tempDir("scratchbuild-e2e-");
    src = join(work.path, "src");
    makeSourceTree(src);
    expected = walkTree(src);
    const jobs = VARIANTS.flatMap((v) => CLI_RUNTIMES.map((rt) => ({ v, rt })));
    builds = await mapLimit(jobs, 4, ({ v, rt }) => build(work.path, src, v, rt));
    for (const b of builds) assertOk(b.res, `build (${b.variant.name}) on ${b.runtime.name}`);
  });

  after(() => {
    work?.cleanup();
  });

  it("the source tree has every case the criteria name", () => {
    assert.equal(expected["bin/hello"].mode, 0o755);
    assert.equal(expected["etc/secret.key"].mode, 0o600);
    assert.equal(expected["private"].mode, 0o750);
    assert.equal(expected["tmp"].mode, 0o1777);
    assert.equal(expected["empty.txt"].size, 0);
    assert.equal(expected["links/to-dir"].type, "symlink");
    assert.ok(new TextEncoder().encode(USTAR_PATH).length > 100);
    assert.ok(new TextEncoder().encode(USTAR_PATH).length < 256);
    assert.ok(new TextEncoder().encode(PAX_PATH).length > 255);
    assert.equal(Object.keys(walkTree(join(src, "empty-dir"))).length, 0);
    assert.equal(expected[UNICODE_PATH].type, "file");
  });

  it("every runtime prints the same digests; SOURCE_DATE_EPOCH changes them", () => {
    for (const variant of ["default", "epoch"]) {
      const ref = first(variant);
      const r = ref.report!;
      assert.equal(r.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
      assert.equal(r.layers.length, 1);
      assert.equal(r.outputs.length, 3);
      // OCI outputs carry the converted OCI manifest; docker-archive reports the image ID.
      assert.equal(r.outputs[0].digest, r.outputs[1].digest);
      assert.notEqual(r.outputs[0].digest, r.digest);
      assert.equal(r.outputs[2].digest, r.config.digest);
      for (const b of of(variant)) {
        const who = `${variant}: ${b.runtime.name} vs ${ref.runtime.name}`;
        assert.equal(b.res.stdout.trim().startsWith("{"), true, who);
        assert.equal(b.report!.digest, r.digest, who);
        assert.deepEqual(b.report!.config, r.config, who);
        assert.deepEqual(b.report!.layers, r.layers, who);
        assert.deepEqual(
          b.report!.outputs.map((o) => o.digest),
          r.outputs.map((o) => o.digest),
          who,
        );
      }
    }
    const [d, e] = [reportOf("default"), reportOf("epoch")];
    assert.notEqual(d.digest, e.digest);
    assert.notEqual(d.config.digest, e.config.digest);
    assert.notEqual(d.layers[0].diffID, e.layers[0].diffID);
    assert.notEqual(d.outputs[0].digest, e.outputs[0].digest);
    // Without --json, stdout is the manifest digest and nothing else.
    for (const b of of("text")) assert.equal(b.res.stdout, `${d.digest}\n`, b.runtime.name);
  });

  it("every runtime writes byte-identical outputs", () => {
    for (const variant of VARIANTS.map((v) => v.name)) {
      const ref = first(variant);
      const refLayout = walkTree(ref.layout);
      assert.ok(refLayout["index.json"] && refLayout["oci-layout"], `${variant}: layout files`);
      for (const b of of(variant).slice(1)) {
        const who = `${variant}: ${b.runtime.name} vs ${ref.runtime.name}`;
        assert.deepEqual(walkTree(b.layout), refLayout, `${who}: OCI layout`);
        assert.ok(
          readFileSync(b.ociArchive).equals(readFileSync(ref.ociArchive)),
          `${who}: oci-archive`,
        );
        assert.ok(
          readFileSync(b.dockerArchive).equals(readFileSync(ref.dockerArchive)),
          `${who}: docker-archive`,
        );
      }
    }
    // The `text` run had the same inputs as `default`.
    assert.deepEqual(walkTree(first("text").layout), walkTree(first("default").layout));
    assert.ok(
      readFileSync(first("text").ociArchive).equals(readFileSync(first("default").ociArchive)),
    );
  });

  it("skopeo inspects and copies the OCI layout, OCI archive and docker-archive", async () => {
    for (const variant of ["default", "epoch"]) {
      const b = first(variant);
      const r = b.report!;
      const ociDigest = r.outputs[0].digest;

      const layout = await skopeoInspect(`oci:${b.layout}:latest`);
      assertOk(layout);
      const li = layout.json as {
        Digest: string;
        Layers: string[];
        Os: string;
        Architecture: string;
      };
      assert.equal(li.Digest, ociDigest);
      assert.deepEqual(li.Layers, r.layers.map((l) => l.digest));
      assert.equal(li.Os, "linux");
      assert.equal(li.Architecture, "amd64");

      const cfg = await skopeoInspect(`oci:${b.layout}:latest`, { config: true });
      assertOk(cfg);
      const c = cfg.json as {
        created: string;
        config: { Entrypoint: string[] };
        rootfs: { diff_ids: string[] };
      };
      assert.deepEqual(c.config.Entrypoint, ["/bin/hello"]);
      assert.deepEqual(c.rootfs.diff_ids, r.layers.map((l) => l.diffID));
      assert.equal(
        Date.parse(c.created) / 1000,
        variant === "epoch" ? EPOCH : 0,
        `created: ${c.created}`,
      );

      const archive = await skopeoInspect(`oci-archive:${b.ociArchive}:latest`);
      assertOk(archive);
      assert.equal((archive.json as { Digest: string }).Digest, ociDigest);

      // docker-archive holds layers uncompressed, so skopeo lists their diff IDs.
      const docker = await skopeoInspect(`docker-archive:${b.dockerArchive}`);
      assertOk(docker);
      assert.deepEqual((docker.json as { Layers: string[] }).Layers, r.layers.map((l) => l.diffID));
      const dockerCfg = await skopeoInspect(`docker-archive:${b.dockerArchive}`, { config: true });
      assertOk(dockerCfg);
      assert.deepEqual(dockerCfg.json, c, "same config through both outputs");
    }

    const b = first("default");
    const r = b.report!;
    const copies = join(work.path, "skopeo");
    mkdirSync(copies);

    // OCI layout → dir: keeps the manifest bytes, so its digest is the one we reported.
    assertOk(await skopeoCopy(`oci:${b.layout}:latest`, `dir:${join(copies, "from-oci-dir")}`));
    const manifest = readFileSync(join(copies, "from-oci-dir", "manifest.json"));
    assert.equal(`sha256:${sha256Hex(manifest)}`, r.outputs[0].digest);
    for (const l of r.layers) {
      const blob = readFileSync(join(copies, "from-oci-dir", hexOf(l.digest)));
      assert.equal(`sha256:${sha256Hex(blob)}`, l.digest);
    }
    assertOk(
      await skopeoCopy(`oci:${b.layout}:latest`, `oci:${join(copies, "from-oci-oci")}:copy`),
    );
    const again = await skopeoInspect(`oci:${join(copies, "from-oci-oci")}:copy`);
    assertOk(again);
    assert.equal((again.json as { Digest: string }).Digest, r.outputs[0].digest);

    // docker-archive → oci: and dir:.
    assertOk(
      await skopeoCopy(
        `docker-archive:${b.dockerArchive}`,
        `dir:${join(copies, "from-docker-dir")}`,
      ),
    );
    const dm = JSON.parse(
      readFileSync(join(copies, "from-docker-dir", "manifest.json"), "utf8"),
    ) as {
      config: { digest: string };
    };
    assert.equal(dm.config.digest, r.config.digest);
    assertOk(
      await skopeoCopy(
        `docker-archive:${b.dockerArchive}`,
        `oci:${join(copies, "from-docker-oci")}:copy`,
      ),
    );
    const fromDocker = await skopeoInspect(`oci:${join(copies, "from-docker-oci")}:copy`, {
      config: true,
    });
    assertOk(fromDocker);
    assert.deepEqual(
      (fromDocker.json as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids,
      r.layers.map((l) => l.diffID),
    );
  });

  it("the docker-archive holds the same layer, uncompressed", async () => {
    const b = first("default");
    const r = b.report!;
    const x = join(work.path, "docker-extract");
    mkdirSync(x);
    assertOk(await run("tar", ["-xf", b.dockerArchive, "-C", x]));
    const manifest = JSON.parse(readFileSync(join(x, "manifest.json"), "utf8")) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    assert.equal(manifest.length, 1);
    assert.deepEqual(manifest[0].RepoTags, [REPO_TAG]);
    assert.equal(`sha256:${sha256Hex(readFileSync(join(x, manifest[0].Config)))}`, r.config.digest);
    assert.equal(manifest[0].Layers.length, 1);
    const layerTar = readFileSync(join(x, manifest[0].Layers[0]));
    assert.equal(`sha256:${sha256Hex(layerTar)}`, r.layers[0].diffID);
    const blob = readFileSync(join(b.layout, "blobs", "sha256", hexOf(r.layers[0].digest)));
    assert.ok(
      Buffer.from(gunzipSync(blob)).equals(layerTar),
      "gunzip(OCI layer) = docker layer.tar",
    );
  });

  it("umoci unpack reproduces every entry's type, mode, content and link target", async () => {
    for (const variant of ["default", "epoch"]) {
      const dest = join(work.path, `umoci-${variant}`);
      assertOk(await umociUnpack(first(variant).layout, "latest", dest));
      const rootfs = join(dest, "rootfs");
      assert.deepEqual(walkTree(rootfs), expected, variant);
      const mtimes = new Set(
        Object.keys(expected).map((p) => lstatSync(join(rootfs, p)).mtimeMs / 1000),
      );
      assert.deepEqual([...mtimes], [variant === "epoch" ? EPOCH : 0], `${variant}: mtimes`);
    }
  });

  it("GNU tar, Python's tarfile and gzip read the layer as expected", async () => {
    for (const variant of ["default", "epoch"]) {
      const r = reportOf(variant);
      const layer = join(first(variant).layout, "blobs", "sha256", hexOf(r.layers[0].digest));
      const mtime = variant === "epoch" ? EPOCH : 0;
      assertOk(await run("gzip", ["-t", layer]));
      assertOk(await run("python3", ["-m", "tarfile", "-t", layer]));

      // GNU tar: raw names (no leading "/", "/" after folders), modes, owners, sizes, times.
      const gnu = assertOk(
        await run("tar", [
          "-tvzf",
          layer,
          "--numeric-owner",
          "--full-time",
          "--quoting-style=literal",
        ], { env: { TZ: "UTC", LC_ALL: "C.UTF-8" } }),
      );
      assert.equal(gnu.stderr, "", `${variant}: GNU tar warnings`);
      const when = new Date(mtime * 1000).toISOString().replace("T", " ").slice(0, 19);
      const listed: string[] = [];
      for (const line of gnu.stdout.trimEnd().split("\n")) {
        const m = /^(\S{10}) (\d+)\/(\d+) +(\d+) (\S+ \S+) (.*)$/.exec(line);
        assert.ok(m, `unexpected tar -tv line: ${line}`);
        const [, perms, uid, gid, size, date, rest] = m;
        const isLink = perms.startsWith("l");
        const name = isLink ? rest.slice(0, rest.indexOf(" -> ")) : rest;
        const path = name.replace(/\/$/, "");
        const want = expected[path];
        assert.ok(want, `${variant}: unexpected entry ${name}`);
        assert.equal(name, want.type === "dir" ? `${path}/` : path);
        assert.equal(perms, modeString(want.type, want.mode), name);
        assert.deepEqual([uid, gid], ["0", "0"], name);
        assert.equal(Number(size), want.size, name);
        assert.equal(date, when, name);
        if (isLink) assert.equal(rest.slice(name.length + 4), want.target, name);
        listed.push(path);
      }
      assert.deepEqual(
        [...listed].sort(),
        Object.keys(expected).sort(),
        `${variant}: GNU tar entries`,
      );

      // Python: full metadata and content, and how long paths were encoded.
      const entries = pythonTarList(layer);
      const seen = new Set<string>();
      const got: Record<string, Node> = {};
      for (const e of entries) {
        assert.ok(!e.name.startsWith("/") && !e.name.startsWith("./"), e.name);
        assert.ok(!seen.has(e.name), `duplicate entry ${e.name}`);
        const parent = e.name.includes("/") ? e.name.slice(0, e.name.lastIndexOf("/")) : undefined;
        if (parent !== undefined) assert.ok(seen.has(parent), `${e.name} comes before its parent`);
        seen.add(e.name);
        assert.deepEqual([e.uid, e.gid, e.uname, e.gname, e.mtime], [0, 0, "", "", mtime], e.name);
        const type = e.type as Node["type"];
        got[e.name] = {
          type,
          mode: e.mode,
          size: e.size,
          ...(type === "symlink" ? { target: e.linkname } : {}),
          ...(type === "file" ? { sha256: e.sha256 } : {}),
        };
      }
      assert.deepEqual(got, expected, `${variant}: tarfile entries`);
      const byName = new Map(entries.map((e) => [e.name, e]));
      const ustar = byName.get(USTAR_PATH)!;
      assert.deepEqual(ustar.pax, [], "a 182-byte path fits ustar without PAX");
      assert.equal(`${ustar.rawPrefix}/${ustar.rawName}`, USTAR_PATH);
      assert.ok(byName.get(PAX_PATH)!.pax.includes("path"), "a 280-byte path needs PAX");
      assert.ok(byName.get("links/to-long")!.pax.includes("linkpath"), "a long target needs PAX");
    }
  });

  it("podman loads the docker-archive and runs the OCI archive", async () => {
    const b = first("default");
    const loaded = podmanStore();
    try {
      assertOk(await loaded.load(b.dockerArchive), "podman load");
      const res = assertOk(await loaded.run(REPO_TAG), "podman run (docker-archive)");
      assert.equal(res.stdout, HELLO_OUTPUT);
    } finally {
      loaded.cleanup();
    }
    const direct = podmanStore();
    try {
      const res = assertOk(
        await direct.run(`oci-archive:${b.ociArchive}:latest`, { pull: "missing" }),
        "podman run oci-archive:",
      );
      assert.equal(res.stdout, HELLO_OUTPUT);
    } finally {
      direct.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------
// Bad input

interface BadCase {
  name: string;
  /** Expected exit code. */
  code: 1 | 2;
  /** CLI arguments; `out` is an output folder the case owns, `work` a scratch folder. */
  args(out: string, work: string): string[];
  /** Strings the error line must contain. */
  mentions(out: string, work: string): string[];
  /** Prepares `out` (and `work`) before the run; what it makes must be all that is left after. */
  prepare?(out: string, work: string): void;
}

describe("scratchbuild build, bad input", () => {
  let work: TempDir;
  const rootfs = join(repoRoot(), "testdata", "rootfs");

  before(async () => {
    work = tempDir("scratchbuild-e2e-bad-");
    mkdirSync(join(work.path, "with-fifo"));
    writeFileSync(join(work.path, "with-fifo", "a.txt"), "a\n");
    assertOk(await run("mkfifo", [join(work.path, "fifo")]));
    assertOk(await run("mkfifo", [join(work.path, "with-fifo", "pipe")]));
  });

  after(() => {
    work?.cleanup();
  });

  const cases: BadCase[] = [
    {
      name: "missing source",
      code: 1,
      args: (out, w) => ["build", join(w, "no-such-dir"), ...outputFlags(out)],
      mentions: (_out, w) => [join(w, "no-such-dir")],
    },
    {
      name: "a FIFO as the source",
      code: 1,
      args: (out, w) => ["build", join(w, "fifo"), ...outputFlags(out)],
      mentions: (_out, w) => [join(w, "fifo"), "FIFO"],
    },
    {
      name: "a FIFO inside the source folder",
      code: 1,
      args: (out, w) => ["build", join(w, "with-fifo"), ...outputFlags(out)],
      mentions: (_out, w) => [join(w, "with-fifo", "pipe"), "FIFO"],
    },
    {
      name: "DEST not absolute",
      code: 2,
      args: (out) => ["build", `${rootfs}:relative/dest`, ...outputFlags(out)],
      mentions: () => ["relative/dest", "absolute"],
    },
    {
      name: "unknown flag",
      code: 2,
      args: (out) => ["build", rootfs, "--frobnicate", ...outputFlags(out)],
      mentions: () => ["--frobnicate"],
    },
    {
      name: "--env without =",
      code: 2,
      args: (out) => ["build", rootfs, "--env", "FOO", ...outputFlags(out)],
      mentions: () => ["--env", "FOO"],
    },
    {
      name: "unknown --format",
      code: 2,
      args: (out) => ["build", rootfs, "--format", "xml", ...outputFlags(out)],
      mentions: () => ["--format", "xml"],
    },
    {
      name: "bad --platform",
      code: 2,
      args: (out) => ["build", rootfs, "--platform", "linux/notanarch", ...outputFlags(out)],
      mentions: () => ["linux/notanarch"],
    },
    {
      name: "unknown output scheme",
      code: 2,
      args: (out) => ["build", rootfs, ...outputFlags(out), "-o", `tarball:${join(out, "x.tar")}`],
      mentions: () => ["tarball"],
    },
    {
      name: "output folder does not exist",
      code: 1,
      args: (
        out,
      ) => ["build", rootfs, "-o", "oci-archive:/nonexistent/dir/x.tar", ...outputFlags(out)],
      mentions: () => ["/nonexistent/dir/x.tar"],
    },
    {
      name: "oci-archive onto an existing folder",
      code: 1,
      prepare: (out) => mkdirSync(join(out, "taken.tar")),
      args: (out) => ["build", rootfs, "-o", `oci-archive:${join(out, "taken.tar")}`],
      mentions: (out) => [join(out, "taken.tar")],
    },
    {
      name: "docker-archive under a file",
      code: 1,
      prepare: (out) => writeFileSync(join(out, "a-file"), "x"),
      args: (out) => ["build", rootfs, "-o", `docker-archive:${join(out, "a-file", "d.tar")}`],
      mentions: (out) => [join(out, "a-file", "d.tar")],
    },
    {
      name: "OCI layout onto an existing file",
      code: 1,
      prepare: (out) => writeFileSync(join(out, "layout"), "x"),
      args: (out) => ["build", rootfs, "-o", `oci:${join(out, "layout")}:latest`],
      mentions: (out) => [join(out, "layout")],
    },
  ];

  for (const c of cases) {
    it(`${c.name}: exit ${c.code}, one line naming the problem, nothing written`, async () => {
      await mapLimit(ERROR_RUNTIMES, ERROR_RUNTIMES.length, async (rt) => {
        const out = join(work.path, "out", rt.name, c.name.replace(/[^a-zA-Z0-9]+/g, "-"));
        mkdirSync(out, { recursive: true });
        c.prepare?.(out, work.path);
        const before = listAll(out);
        const res = await runCli(rt, c.args(out, work.path));
        const who = `${c.name} on ${rt.name}\n--- stderr:\n${res.stderr}`;
        assert.equal(res.code, c.code, who);
        assert.equal(res.stdout, "", who);
        assert.ok(!/^\s+at /m.test(res.stderr), `stack trace printed: ${who}`);
        // Progress lines may come before a late (output) error; the error itself is one line.
        const lines = res.stderr.trimEnd().split("\n").filter((l) => !/^(Built|Wrote) /.test(l));
        assert.equal(lines.length, 1, who);
        assert.match(lines[0], /^scratchbuild: /, who);
        assert.ok(!lines[0].includes("unexpected error"), who);
        // Names the user's path, not our temp file, in words, not a raw errno message.
        assert.ok(!lines[0].includes(".tmp-"), `temp name in the message: ${who}`);
        assert.doesNotMatch(lines[0], /\bE[A-Z]{3,}\b/, `raw error code in the message: ${who}`);
        for (const m of c.mentions(out, work.path)) {
          assert.ok(lines[0].includes(m), `"${m}": ${who}`);
        }
        assert.deepEqual(listAll(out), before, `files left behind: ${who}`);
      });
    });
  }

  it("nothing was created outside the output folders", () => {
    assert.equal(existsSync("/nonexistent"), false);
    assert.deepEqual(readdirSync(work.path).sort(), ["fifo", "out", "with-fifo"]);
    assert.deepEqual(readdirSync(join(work.path, "with-fifo")).sort(), ["a.txt", "pipe"]);
  });
});
