/**
 * The `scratchbuild` command line. Runs unchanged on every runtime:
 *
 * ```sh
 * deno run -A src/cli.ts build testdata/rootfs --entrypoint /bin/hello -o oci:out/oci
 * bun src/cli.ts build …
 * node dist/cli.js build …   # after npm run build
 * ```
 *
 * Standard output carries only the manifest digest (or, with `--json`, one
 * JSON object); messages go to standard error. User mistakes exit with 2 and
 * one line naming the problem; other failures with 1.
 *
 * @module
 */

import { readSources } from "./adapters/fs.ts";
import { createGzipPool } from "./adapters/gzip_pool.ts";
import { writeOutputs, type WrittenOutput } from "./adapters/output.ts";
import * as proc from "./adapters/process.ts";
import { createImage, type CreateImageOptions } from "./build.ts";
import type { TarEntry } from "./tar/entry.ts";
import { type BuildPlan, parseCommand, USAGE } from "./cli_args.ts";
import { ScratchbuildError, UsageError } from "./errors.ts";
import type { Image } from "./image/image.ts";
import { VERSION } from "./version.ts";

export type { BuildPlan } from "./cli_args.ts";
import { resolveCredentials } from "./adapters/docker_config.ts";
import { type PushedBlob, pushImage } from "./registry/push.ts";
import { parseReference } from "./registry/reference.ts";

/** The `--json` report of one build. */
export interface BuildReport {
  /** Manifest digest. */
  digest: string;
  /** Manifest media type. */
  mediaType: string;
  /** Manifest size. */
  size: number;
  /** Config blob. */
  config: { digest: string; size: number };
  /** Layers. */
  layers: { digest: string; size: number; diffID: string; mediaType: string }[];
  /** Local outputs written. */
  outputs: WrittenOutput[];
  /** Every `HOST/NAME:TAG@DIGEST` pushed (with `--tag`). */
  pushed?: string[];
  /** Per blob and repository: uploaded, mounted or already present (with `--tag`). */
  blobs?: PushedBlob[];
}

/** Secrets and settings for pushing that do not belong in the plan. */
export interface PushContext {
  /** Environment (credential lookup, `DOCKER_CONFIG`). */
  env: Record<string, string | undefined>;
  /** The password read by `--password-stdin`. */
  password?: string;
}

/** Where the CLI reads and writes; the real process by default, replaceable in tests. */
export interface CliIO {
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Writes to standard output. */
  stdout(text: string): Promise<void>;
  /** Writes to standard error. */
  stderr(text: string): Promise<void>;
  /** Reads all of standard input. */
  stdin(): Promise<string>;
}

function report(image: Image, outputs: WrittenOutput[]): BuildReport {
  const m = image.manifestBlob.descriptor;
  return {
    digest: m.digest,
    mediaType: m.mediaType,
    size: m.size,
    config: { digest: image.configBlob.descriptor.digest, size: image.configBlob.descriptor.size },
    layers: image.layers.map((l) => ({
      digest: l.digest,
      size: l.size,
      diffID: l.diffID,
      mediaType: l.mediaType,
    })),
    outputs,
  };
}

/**
 * The {@link createImage} options a plan describes (without a compressor:
 * the CLI adds its worker pool).
 *
 * @example
 * ```ts
 * import { imageOptions } from "./cli.ts";
 * import { parseCommand } from "./cli_args.ts";
 * const cmd = parseCommand(["build", "testdata/rootfs", "--entrypoint", "/bin/hello"], {});
 * if (cmd.kind === "build") console.log(imageOptions(cmd.plan, []).entrypoint); // ["/bin/hello"]
 * ```
 */
export function imageOptions(plan: BuildPlan, entries: TarEntry[]): CreateImageOptions {
  return {
    entries,
    format: plan.format,
    compression: plan.compression,
    compressionLevel: plan.compressionLevel,
    uid: plan.owner?.uid,
    gid: plan.owner?.gid,
    mtime: plan.mtime,
    platform: plan.platform,
    entrypoint: plan.entrypoint,
    cmd: plan.cmd,
    env: plan.env,
    workdir: plan.workdir,
    user: plan.user,
    exposedPorts: plan.exposedPorts,
    volumes: plan.volumes,
    labels: plan.labels,
    stopSignal: plan.stopSignal,
    created: plan.created,
    annotations: plan.annotations,
    keepTar: plan.outputs.some((o) => o.kind === "docker-archive"),
  };
}

/**
 * Builds the image a plan describes and writes its outputs.
 *
 * @example
 * ```ts ignore
 * import { runBuild } from "./cli.ts";
 * import { parseCommand } from "./cli_args.ts";
 * const cmd = parseCommand(["build", "testdata/rootfs", "-o", "oci:out/oci"], {});
 * if (cmd.kind === "build") console.log((await runBuild(cmd.plan)).digest);
 * ```
 */
export async function runBuild(
  plan: BuildPlan,
  log: (line: string) => Promise<void> = async () => {},
  push: PushContext = { env: {} },
): Promise<BuildReport> {
  // Refuse a bad reference before any work is done.
  const targets = plan.tags.map(parseReference);
  const entries = await readSources(plan.sources);
  // Workers start only for layers of several blocks, and stop once it is built.
  const compressor = createGzipPool();
  let image: Image;
  try {
    image = await createImage({ ...imageOptions(plan, entries), compressor });
  } finally {
    await compressor.close();
  }
  await log(`Built ${image.manifestBlob.descriptor.digest}`);
  const outputs = await writeOutputs(image, plan.outputs);
  for (const written of outputs) await log(`Wrote ${written.output} (${written.digest})`);
  const result = report(image, outputs);
  if (targets.length === 0) return result;
  const pending: Promise<void>[] = [];
  const pushed = await pushImage(image, targets, {
    insecure: plan.insecure,
    chunkSize: plan.chunkSize || undefined,
    concurrency: plan.concurrency,
    credentials: (host) =>
      resolveCredentials(host, {
        username: plan.username,
        password: push.password,
        token: plan.token,
        env: push.env,
      }),
    onProgress: (e) => {
      if (e.type === "blob-done") {
        pending.push(log(`${e.registry}/${e.repository}: ${e.digest} ${e.status}`));
      } else if (e.type === "manifest-done") {
        pending.push(log(`Pushed ${e.registry}/${e.repository}:${e.reference}`));
      }
    },
  });
  await Promise.all(pending);
  return { ...result, pushed: pushed.pushed, blobs: pushed.blobs };
}

/**
 * Runs the CLI with these arguments and returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * const code = await main(["build", "testdata/rootfs", "--entrypoint", "/bin/hello", "-o", "oci:out/oci"]);
 * ```
 */
export async function main(argv: readonly string[], io?: Partial<CliIO>): Promise<number> {
  const out: CliIO = {
    env: io?.env ?? proc.env(),
    stdout: io?.stdout ?? proc.writeStdout,
    stderr: io?.stderr ?? proc.writeStderr,
    stdin: io?.stdin ?? proc.readStdin,
  };
  try {
    const command = parseCommand(argv, out.env);
    if (command.kind === "help") {
      await out.stdout(USAGE);
      return 0;
    }
    if (command.kind === "version") {
      await out.stdout(`scratchbuild ${VERSION}\n`);
      return 0;
    }
    const plan = command.plan;
    const log = plan.quiet ? undefined : (line: string) => out.stderr(line + "\n");
    const password = plan.passwordStdin ? (await out.stdin()).replace(/\r?\n$/, "") : undefined;
    if (plan.passwordStdin && !password) {
      throw new UsageError(
        "Cannot read the password: --password-stdin got nothing on standard input",
      );
    }
    const result = await runBuild(plan, log, { env: out.env, password });
    await out.stdout(plan.json ? JSON.stringify(result, null, 2) + "\n" : result.digest + "\n");
    return 0;
  } catch (e) {
    if (e instanceof ScratchbuildError) {
      await out.stderr(`scratchbuild: ${e.message}\n`);
      return e.exitCode;
    }
    // A bug, not a user mistake: keep the stack to make it reportable.
    await out.stderr(`scratchbuild: unexpected error: ${(e as Error)?.stack ?? e}\n`);
    return 1;
  }
}

if (proc.isMainModule(import.meta.url)) {
  proc.setExitCode(await main(proc.args()));
}
