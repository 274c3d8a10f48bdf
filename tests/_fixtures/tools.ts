/**
 * Helpers for tests that drive real clients (skopeo, umoci, podman) and need
 * temporary directories or free ports.
 *
 * Only `node:` modules that Deno, Bun and Node 20 all support are used.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingMessage } from "node:http";
import { concatBytes } from "../../src/bytes.ts";

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Data written to the child's standard input (then closed). Default: nothing (closed). */
  stdin?: string | Uint8Array;
  /** Extra environment variables, merged over `process.env`; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Working directory. */
  cwd?: string;
  /** Kill the child (SIGKILL) after this many milliseconds. Default 180000. */
  timeoutMs?: number;
}

/** Result of {@linkcode run}. */
export interface RunResult {
  /** Exit code; -1 when the child was killed by a signal or could not start. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8 (plus a note when the timeout fired or spawn failed). */
  stderr: string;
  /** The command line, for error messages. */
  command: string;
}

/**
 * Runs a command to completion and collects its output. Never throws for a
 * non-zero exit: check `code` or use {@linkcode assertOk}.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = [cmd, ...args].join(" ");
  return new Promise((resolve) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...(opts.env ?? {}) })) {
      if (v !== undefined) env[k] = v;
    }
    const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    let note = "";
    let settled = false;
    const timer = setTimeout(() => {
      note += `\n[run] timeout after ${opts.timeoutMs ?? 180000} ms: ${command}\n`;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 180000);
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const dec = new TextDecoder();
      resolve({
        code,
        stdout: dec.decode(concatBytes(out)),
        stderr: dec.decode(concatBytes(err)) + note,
        command,
      });
    };
    child.stdout.on("data", (c: Uint8Array) => out.push(c));
    child.stderr.on("data", (c: Uint8Array) => err.push(c));
    child.on("error", (e: Error) => {
      note += `\n[run] spawn failed: ${e.message}\n`;
      finish(-1);
    });
    child.on("close", (code: number | null) => finish(code ?? -1));
    child.stdin.on("error", () => {/* child may exit before reading stdin */});
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

/** What testdata/rootfs/bin/hello prints. */
export const HELLO_OUTPUT = "Hello from scratchbuild!\n";

/** Throws (with stdout/stderr in the message) unless `result.code` is 0; returns `result`. */
export function assertOk<T extends RunResult>(result: T, what?: string): T {
  if (result.code !== 0) {
    throw new Error(
      `${what ?? result.command} failed with exit code ${result.code}\n` +
        `--- command: ${result.command}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`,
    );
  }
  return result;
}

/** Reads a whole request body (for the fixtures' HTTP servers). */
export function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", () => resolve(concatBytes(chunks)));
    req.on("error", reject);
  });
}

/** A temporary directory and a function that removes it. */
export interface TempDir {
  /** Absolute path of the new, empty directory. */
  path: string;
  /** Removes the directory recursively; safe to call more than once. */
  cleanup(): void;
}

/** Creates a fresh directory under the OS temp dir (prefix `scratchbuild-`). */
export function tempDir(prefix = "scratchbuild-"): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    cleanup(): void {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Registry credentials. */
export interface Creds {
  /** User name. */
  username: string;
  /** Password. */
  password: string;
}

function credsArg(c: Creds): string {
  return `${c.username}:${c.password}`;
}

/** Options for {@linkcode skopeoInspect}. */
export interface SkopeoInspectOptions {
  /** Credentials (`--creds`); default: none. */
  creds?: Creds;
  /** Verify TLS (`--tls-verify`); default false (for 127.0.0.1 registries over HTTP). */
  tls?: boolean;
  /** Print the raw manifest (`--raw`). */
  raw?: boolean;
  /** Print the image config (`--config`). */
  config?: boolean;
}

/** Result of {@linkcode skopeoInspect}: the run result plus stdout parsed as JSON (when it parses). */
export interface SkopeoInspectResult extends RunResult {
  /** Parsed stdout, or `undefined` when the command failed or printed no JSON. */
  json: unknown;
}

/** `skopeo inspect [--raw|--config] REF`, e.g. `docker://127.0.0.1:5000/repo:tag` or `oci:DIR:TAG`. */
export async function skopeoInspect(
  ref: string,
  opts: SkopeoInspectOptions = {},
): Promise<SkopeoInspectResult> {
  const args = ["inspect", "--retry-times", "0"];
  if (ref.startsWith("docker://")) args.push(`--tls-verify=${opts.tls ?? false}`);
  if (opts.creds) args.push("--creds", credsArg(opts.creds));
  if (opts.raw) args.push("--raw");
  if (opts.config) args.push("--config");
  args.push(ref);
  const res = await run("skopeo", args, { env: authEnv() });
  let json: unknown = undefined;
  if (res.code === 0) {
    try {
      json = JSON.parse(res.stdout);
    } catch {
      json = undefined;
    }
  }
  return { ...res, json };
}

/** Options for {@linkcode skopeoCopy}. */
export interface SkopeoCopyOptions {
  /** Credentials for the source (`--src-creds`). */
  srcCreds?: Creds;
  /** Credentials for the destination (`--dest-creds`). */
  destCreds?: Creds;
  /** Manifest format to write (`--format oci|v2s2`). */
  format?: "oci" | "v2s2";
  /** More arguments, inserted before the source and destination. */
  extraArgs?: string[];
}

/**
 * `skopeo --insecure-policy copy SRC DST` with TLS verification off on both
 * sides (refs like `docker://127.0.0.1:PORT/repo:tag`, `oci:DIR:TAG`,
 * `docker-archive:FILE`).
 */
export function skopeoCopy(
  src: string,
  dst: string,
  opts: SkopeoCopyOptions = {},
): Promise<RunResult> {
  const args = [
    "--insecure-policy",
    "copy",
    "--retry-times",
    "0",
    "--src-tls-verify=false",
    "--dest-tls-verify=false",
  ];
  if (opts.srcCreds) args.push("--src-creds", credsArg(opts.srcCreds));
  if (opts.destCreds) args.push("--dest-creds", credsArg(opts.destCreds));
  if (opts.format) args.push("--format", opts.format);
  args.push(...(opts.extraArgs ?? []), src, dst);
  return run("skopeo", args, { env: authEnv() });
}

/** Points skopeo/podman at an auth file that does not exist, so no stored login leaks in. */
function authEnv(): Record<string, string> {
  return { REGISTRY_AUTH_FILE: join(tmpdir(), "scratchbuild-no-such-auth.json") };
}

/**
 * `umoci unpack --rootless --image LAYOUT:TAG DEST` (works as root too). The
 * root filesystem ends up in `DEST/rootfs`; DEST must not exist yet.
 */
export function umociUnpack(layoutDir: string, tag: string, destDir: string): Promise<RunResult> {
  return run("umoci", ["unpack", "--rootless", "--image", `${layoutDir}:${tag}`, destDir]);
}

/** Options for {@linkcode buildUmociImage}. */
export interface UmociImageOptions {
  /** Tag to create. Default `"latest"`. */
  tag?: string;
  /** Directories whose contents are inserted at `/`, one layer each. Default: `testdata/rootfs`. */
  rootfsDirs?: string[];
  /** Entrypoint. Default `["/bin/hello"]`. */
  entrypoint?: string[];
}

/**
 * Makes an OCI image layout with umoci (`init`, `new`, `insert`, `config`,
 * `gc`) at `layoutDir` (which must not exist; its last path element must be
 * lowercase for podman's `oci:` transport). Throws on failure.
 */
export async function buildUmociImage(
  layoutDir: string,
  opts: UmociImageOptions = {},
): Promise<void> {
  const tag = opts.tag ?? "latest";
  const image = `${layoutDir}:${tag}`;
  const dirs = opts.rootfsDirs ?? [join(repoRoot(), "testdata", "rootfs")];
  assertOk(await run("umoci", ["init", "--layout", layoutDir]));
  assertOk(await run("umoci", ["new", "--image", image]));
  for (const d of dirs) assertOk(await run("umoci", ["insert", "--image", image, d, "/"]));
  const cfg = ["config", "--image", image, "--os", "linux", "--architecture", "amd64"];
  for (const e of opts.entrypoint ?? ["/bin/hello"]) cfg.push("--config.entrypoint", e);
  assertOk(await run("umoci", cfg));
  assertOk(await run("umoci", ["gc", "--layout", layoutDir]));
}

/** Absolute path of the repository root (the directory holding `tests/`). */
export function repoRoot(): string {
  const here = new URL(".", import.meta.url).pathname; // .../tests/_fixtures/
  return join(decodeURIComponent(here), "..", "..");
}

/** Options for {@linkcode PodmanStore.run}. */
export interface PodmanRunOptions {
  /** Arguments after the image (passed to the entrypoint). */
  args?: string[];
  /** Override the entrypoint (`--entrypoint`, JSON array form). */
  entrypoint?: string[];
  /** Environment variables (`--env K=V`). */
  env?: Record<string, string>;
  /**
   * `--pull` policy; default `never` (the image was pulled or loaded first).
   * `missing` lets podman read a transport reference such as `oci-archive:FILE`.
   */
  pull?: "never" | "missing";
}

/** Options for {@linkcode PodmanStore.pull}. */
export interface PodmanPullOptions {
  /** Credentials (`--creds`). */
  creds?: Creds;
  /** `--tls-verify`; default false (127.0.0.1 registries speak plain HTTP). */
  tls?: boolean;
}

/** Result of a podman pull/load: the run result plus the ID of the single image in the store. */
export interface PodmanImageResult extends RunResult {
  /** Full image ID (hex, no `sha256:`), or `undefined` when the command failed. */
  imageId?: string;
}

/**
 * A throw-away podman storage (vfs driver, runc, cgroupfs, no events, no
 * network) in its own temp dir. Call `cleanup()` when done.
 */
export interface PodmanStore {
  /** The temp directory holding `root/`, `run/` and `tmp/`. */
  dir: string;
  /** Global podman flags that select this store. */
  globalArgs: string[];
  /** Runs `podman GLOBAL... ARGS...`. */
  podman(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** `podman pull REF` (e.g. `127.0.0.1:PORT/repo:tag`, `oci:DIR:TAG`, `docker-archive:FILE`). */
  pull(ref: string, opts?: PodmanPullOptions): Promise<PodmanImageResult>;
  /** `podman load -i ARCHIVE` (docker-archive or oci-archive tarball). */
  load(archive: string): Promise<PodmanImageResult>;
  /** `podman run --rm --network none ... IMAGE` (an image ID or name in this store). */
  run(image: string, opts?: PodmanRunOptions): Promise<RunResult>;
  /** `podman image inspect IMAGE`, parsed (first element). Throws on failure. */
  inspect(image: string): Promise<Record<string, unknown>>;
  /** Deletes the store. */
  cleanup(): void;
}

/**
 * Creates a fresh podman store. The flags were checked as root on Debian 12
 * (podman 4.3): the vfs driver avoids overlay mounts, the ulimits are lowered
 * because runc may not raise them above the sandbox's hard limits.
 */
export function podmanStore(): PodmanStore {
  const tmp = tempDir("scratchbuild-podman-");
  const d = tmp.path;
  const globalArgs = [
    "--root",
    join(d, "root"),
    "--runroot",
    join(d, "run"),
    "--tmpdir",
    join(d, "tmp"),
    "--storage-driver",
    "vfs",
    "--runtime",
    "runc",
    "--cgroup-manager",
    "cgroupfs",
    "--events-backend",
    "none",
  ];
  const env = { REGISTRY_AUTH_FILE: join(d, "auth.json") };
  writeFileSync(env.REGISTRY_AUTH_FILE, '{"auths":{}}\n');
  const podman = (args: string[], opts: RunOptions = {}): Promise<RunResult> =>
    run("podman", [...globalArgs, ...args], { ...opts, env: { ...env, ...(opts.env ?? {}) } });
  const onlyImage = async (res: RunResult): Promise<PodmanImageResult> => {
    if (res.code !== 0) return res;
    const ids = await podman(["images", "--quiet", "--no-trunc"]);
    const id = ids.stdout.trim().split("\n")[0]?.replace(/^sha256:/, "");
    return { ...res, imageId: id || undefined };
  };
  return {
    dir: d,
    globalArgs,
    podman,
    async pull(ref: string, opts: PodmanPullOptions = {}): Promise<PodmanImageResult> {
      const args = ["pull", `--tls-verify=${opts.tls ?? false}`];
      if (opts.creds) args.push("--creds", credsArg(opts.creds));
      args.push(ref);
      return onlyImage(await podman(args));
    },
    async load(archive: string): Promise<PodmanImageResult> {
      return onlyImage(await podman(["load", "-i", archive]));
    },
    run(image: string, opts: PodmanRunOptions = {}): Promise<RunResult> {
      const args = [
        "run",
        "--rm",
        "--pull",
        opts.pull ?? "never",
        "--network",
        "none",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
      ];
      if (opts.entrypoint) args.push("--entrypoint", JSON.stringify(opts.entrypoint));
      for (const [k, v] of Object.entries(opts.env ?? {})) args.push("--env", `${k}=${v}`);
      args.push(image, ...(opts.args ?? []));
      return podman(args);
    },
    async inspect(image: string): Promise<Record<string, unknown>> {
      const res = assertOk(await podman(["image", "inspect", image]));
      return (JSON.parse(res.stdout) as Record<string, unknown>[])[0];
    },
    cleanup(): void {
      tmp.cleanup();
    },
  };
}

/** Result of {@linkcode podmanPullRun} / {@linkcode podmanLoadRun}. */
export interface PodmanPullRunResult {
  /** The pull or load step. */
  fetch: PodmanImageResult;
  /** The run step; `undefined` when the pull/load failed. */
  run?: RunResult;
}

/** Pulls REF into a fresh store, runs it, deletes the store. */
export async function podmanPullRun(
  ref: string,
  opts: PodmanPullOptions & PodmanRunOptions = {},
): Promise<PodmanPullRunResult> {
  const store = podmanStore();
  try {
    const fetch = await store.pull(ref, opts);
    if (!fetch.imageId) return { fetch };
    return { fetch, run: await store.run(fetch.imageId, opts) };
  } finally {
    store.cleanup();
  }
}

/** Loads ARCHIVE (docker-archive / oci-archive tar) into a fresh store, runs it, deletes the store. */
export async function podmanLoadRun(
  archive: string,
  opts: PodmanRunOptions = {},
): Promise<PodmanPullRunResult> {
  const store = podmanStore();
  try {
    const fetch = await store.load(archive);
    if (!fetch.imageId) return { fetch };
    return { fetch, run: await store.run(fetch.imageId, opts) };
  } finally {
    store.cleanup();
  }
}
