/**
 * How end-to-end tests start the `scratchbuild` CLI on each runtime. The
 * command list lives here only. Node runs the bundled `dist/cli.js` (what the
 * npm package ships; `npm run build` makes it and scripts/test.sh builds it
 * before the tests) when it exists, and the TypeScript source through `tsx`
 * otherwise. Deno and Bun always run the source.
 *
 * @module
 */

import { existsSync } from "node:fs";
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
const CLI_BUNDLE = join(ROOT, "dist", "cli.js");

/** Every runtime the CLI must run on, with the same flags and the same results. */
export const CLI_RUNTIMES: readonly CliRuntime[] = [
  {
    name: "deno",
    cmd: join(ROOT, "node_modules", ".bin", "deno"),
    prefix: ["run", "-A", CLI_SOURCE],
  },
  { name: "bun", cmd: join(ROOT, "node_modules", ".bin", "bun"), prefix: [CLI_SOURCE] },
  existsSync(CLI_BUNDLE)
    ? { name: "node", cmd: "node", prefix: [CLI_BUNDLE] }
    : { name: "node", cmd: "node", prefix: ["--import", "tsx", CLI_SOURCE] },
];

/**
 * Runs `scratchbuild ARGS...` on one runtime, from the repository root (so
 * `tsx` and the import map resolve). Never throws for a non-zero exit.
 */
export function runCli(rt: CliRuntime, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(rt.cmd, [...rt.prefix, ...args], { cwd: ROOT, ...opts });
}
