/**
 * Platforms as `OS/ARCH[/VARIANT]` strings, checked against the values Go and
 * the OCI image spec use.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Platform } from "./types.ts";

const KNOWN_OS = new Set([
  "aix",
  "android",
  "darwin",
  "dragonfly",
  "freebsd",
  "illumos",
  "ios",
  "js",
  "linux",
  "netbsd",
  "openbsd",
  "plan9",
  "solaris",
  "wasip1",
  "windows",
]);
const KNOWN_ARCH = new Set([
  "386",
  "amd64",
  "arm",
  "arm64",
  "loong64",
  "mips",
  "mips64",
  "mips64le",
  "mipsle",
  "ppc64",
  "ppc64le",
  "riscv64",
  "s390x",
  "wasm",
]);

/**
 * Parses `OS/ARCH[/VARIANT]`, e.g. `linux/amd64` or `linux/arm/v7`.
 *
 * @example
 * ```ts
 * import { parsePlatform } from "./platform.ts";
 * console.log(parsePlatform("linux/arm64/v8")); // { os: "linux", architecture: "arm64", variant: "v8" }
 * ```
 */
export function parsePlatform(value: string): Platform {
  const parts = value.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new UsageError(
      `Cannot parse platform "${value}": expected OS/ARCH[/VARIANT], e.g. linux/amd64`,
    );
  }
  const [os, architecture, variant] = parts;
  if (!KNOWN_OS.has(os)) {
    throw new UsageError(
      `Cannot use platform "${value}": unknown OS "${os}" (e.g. linux, windows)`,
    );
  }
  if (!KNOWN_ARCH.has(architecture)) {
    throw new UsageError(
      `Cannot use platform "${value}": unknown architecture "${architecture}" (e.g. amd64, arm64, arm)`,
    );
  }
  if (variant !== undefined && !/^v[0-9]+$/.test(variant)) {
    throw new UsageError(
      `Cannot use platform "${value}": unknown variant "${variant}" (e.g. v7, v8)`,
    );
  }
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/**
 * Formats a platform back to `OS/ARCH[/VARIANT]`.
 *
 * @example
 * ```ts
 * import { formatPlatform } from "./platform.ts";
 * console.log(formatPlatform({ os: "linux", architecture: "arm", variant: "v7" })); // "linux/arm/v7"
 * ```
 */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join("/");
}
