/**
 * The process edge: arguments, environment, standard streams, exit codes.
 * Deno, Bun and Node all provide `node:process`, so one code path serves all.
 *
 * @module
 */

import process from "node:process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { concatBytes } from "../bytes.ts";

/**
 * The command-line arguments after the program name.
 *
 * @example
 * ```ts
 * import { args } from "./process.ts";
 * console.log(Array.isArray(args())); // true
 * ```
 */
export function args(): string[] {
  return process.argv.slice(2);
}

/**
 * The environment as a plain object.
 *
 * @example
 * ```ts
 * import { env } from "./process.ts";
 * console.log(typeof env().PATH); // "string"
 * ```
 */
export function env(): Record<string, string | undefined> {
  return { ...process.env };
}

/**
 * Reads all of standard input as text (for `--password-stdin`).
 *
 * @example
 * ```ts ignore
 * import { readStdin } from "./process.ts";
 * const password = (await readStdin()).trim();
 * ```
 */
export async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new TextDecoder().decode(concatBytes(chunks));
}

/**
 * Writes text to standard output, waiting until it is flushed.
 *
 * @example
 * ```ts
 * import { writeStdout } from "./process.ts";
 * await writeStdout("hello\n");
 * ```
 */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

/**
 * Writes text to standard error.
 *
 * @example
 * ```ts
 * import { writeStderr } from "./process.ts";
 * await writeStderr("working…\n");
 * ```
 */
export function writeStderr(text: string): Promise<void> {
  return new Promise((resolve) => process.stderr.write(text, () => resolve()));
}

/**
 * Sets the exit code the process ends with.
 *
 * @example
 * ```ts ignore
 * import { setExitCode } from "./process.ts";
 * setExitCode(2);
 * ```
 */
export function setExitCode(code: number): void {
  process.exitCode = code;
}

/**
 * Whether the module with this `import.meta.url` is the program being run:
 * `deno run`, `bun` and `node` (directly or through an npm bin link).
 *
 * @example
 * ```ts
 * import { isMainModule } from "./process.ts";
 * console.log(typeof isMainModule(import.meta.url)); // "boolean"
 * ```
 */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
