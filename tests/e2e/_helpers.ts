/**
 * How end-to-end tests start the `scratchbuild` CLI on each runtime. The
 * command list lives here only: to test the bundled Node build instead of
 * the TypeScript source, change the `node` entry to `["node", [dist/cli.js]]`.
 *
 * @module
 */

import { join } from "node:path";
import { repoRoot, run, type RunOptions, type RunResult } from "../_fixtures/tools.ts";

/** A way to start the CLI: a program and the arguments before the CLI's own. */
export interface CliRuntime {
  /** Short name for messages: deno, bun, node. */
  name: string;
  /** Program to start. */
  cmd: string;
  /** Arguments placed before the CLI arguments. */
  prefix: string[];
}

const ROOT = repoRoot();
const CLI_SOURCE = join(ROOT, "src", "cli.ts");

/** Every runtime the CLI must run on, with the same flags and the same results. */
export const CLI_RUNTIMES: readonly CliRuntime[] = [
  {
    name: "deno",
    cmd: join(ROOT, "node_modules", ".bin", "deno"),
    prefix: ["run", "-A", CLI_SOURCE],
  },
  { name: "bun", cmd: join(ROOT, "node_modules", ".bin", "bun"), prefix: [CLI_SOURCE] },
  // After `npm run build`: { name: "node", cmd: "node", prefix: [join(ROOT, "dist", "cli.js")] }
  { name: "node", cmd: "node", prefix: ["--import", "tsx", CLI_SOURCE] },
];

/**
 * Runs `scratchbuild ARGS...` on one runtime, from the repository root (so
 * `tsx` and the import map resolve). Never throws for a non-zero exit.
 */
export function runCli(rt: CliRuntime, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(rt.cmd, [...rt.prefix, ...args], { cwd: ROOT, ...opts });
}
