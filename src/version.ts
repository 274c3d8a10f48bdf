/**
 * The version of scratchbuild, sent as part of the `User-Agent`.
 *
 * @module
 */

/**
 * The package version. Kept equal to `deno.json` and `package.json` by a test.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(VERSION); // e.g. 0.1.0
 * ```
 */
export const VERSION = "0.1.0";
