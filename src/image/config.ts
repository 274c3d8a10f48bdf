/**
 * Building an image config from plain options, the way `--entrypoint`,
 * `--env` and friends describe it.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ContainerConfig, History, ImageConfig, Platform } from "./types.ts";

/**
 * What a container built from the image runs and how.
 *
 * @example
 * ```ts
 * import { buildConfig, type ConfigOptions } from "./config.ts";
 * const options: ConfigOptions = { entrypoint: ["/app"], exposedPorts: ["8080"], user: "1000:1000" };
 * console.log(buildConfig(options, 1).config?.ExposedPorts); // { "8080/tcp": {} }
 * ```
 */
export interface ConfigOptions {
  /** Target platform; default linux/amd64. */
  platform?: Platform;
  /** Entrypoint argv. */
  entrypoint?: string[];
  /** Default arguments. */
  cmd?: string[];
  /** Environment variables. */
  env?: Record<string, string>;
  /** Working directory (absolute). */
  workdir?: string;
  /** User, `UID[:GID]` or a name. */
  user?: string;
  /** Ports, `PORT[/tcp|udp|sctp]`. */
  exposedPorts?: string[];
  /** Volume paths (absolute). */
  volumes?: string[];
  /** Labels. */
  labels?: Record<string, string>;
  /** Stop signal, e.g. `SIGTERM`. */
  stopSignal?: string;
  /** Creation time as seconds since the epoch; default 0 (1970-01-01). */
  created?: number;
  /** Author. */
  author?: string;
  /** History entries, one per layer; default one "scratchbuild" entry per layer. */
  history?: History[];
}

/**
 * Formats seconds since the epoch as the RFC 3339 time the specs use.
 *
 * @example
 * ```ts
 * import { formatCreated } from "./config.ts";
 * console.log(formatCreated(0)); // "1970-01-01T00:00:00Z"
 * ```
 */
export function formatCreated(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`Cannot use creation time ${seconds}: expected seconds since 1970, >= 0`);
  }
  return new Date(Math.floor(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Normalises an exposed port to `PORT/PROTO`.
 *
 * @example
 * ```ts
 * import { parsePort } from "./config.ts";
 * console.log(parsePort("8080")); // "8080/tcp"
 * ```
 */
export function parsePort(value: string): string {
  const m = /^([0-9]{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
    throw new UsageError(
      `Cannot parse port "${value}": expected PORT[/tcp|udp|sctp] with PORT 1-65535`,
    );
  }
  return `${Number(m[1])}/${(m[2] ?? "tcp").toLowerCase()}`;
}

function requireAbsolute(what: string, path: string): void {
  if (!path.startsWith("/")) {
    throw new UsageError(`Cannot use ${what} "${path}": it must be an absolute path`);
  }
}

/**
 * Builds an image config (without `rootfs`, which {@link assembleImage} fills
 * from the layers). Only fields that were given appear, and maps are written
 * in sorted order, so the config is canonical.
 *
 * @example
 * ```ts
 * import { buildConfig } from "./config.ts";
 * const config = buildConfig({ entrypoint: ["/app"], env: { PORT: "8080" } }, 1);
 * console.log(config.config?.Env); // ["PORT=8080"]
 * ```
 */
export function buildConfig(options: ConfigOptions, layerCount: number): ImageConfig {
  const platform = options.platform ?? { os: "linux", architecture: "amd64" };
  const c: ContainerConfig = {};
  if (options.user !== undefined) c.User = options.user;
  if (options.exposedPorts?.length) {
    c.ExposedPorts = Object.fromEntries(options.exposedPorts.map((p) => [parsePort(p), {}]));
  }
  if (options.env && Object.keys(options.env).length > 0) {
    c.Env = Object.entries(options.env).map(([k, v]) => {
      if (k === "" || k.includes("=")) {
        throw new UsageError(
          `Cannot set environment variable "${k}": the name is empty or has "="`,
        );
      }
      return `${k}=${v}`;
    });
  }
  if (options.entrypoint) c.Entrypoint = [...options.entrypoint];
  if (options.cmd) c.Cmd = [...options.cmd];
  if (options.volumes?.length) {
    for (const v of options.volumes) requireAbsolute("volume", v);
    c.Volumes = Object.fromEntries(options.volumes.map((v) => [v, {}]));
  }
  if (options.workdir !== undefined) {
    requireAbsolute("working directory", options.workdir);
    c.WorkingDir = options.workdir;
  }
  if (options.labels && Object.keys(options.labels).length > 0) c.Labels = { ...options.labels };
  if (options.stopSignal !== undefined) c.StopSignal = options.stopSignal;
  const created = formatCreated(options.created ?? 0);
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    created,
    config: c,
    rootfs: { type: "layers", diff_ids: [] },
    history: options.history ??
      Array.from({ length: layerCount }, () => ({ created, created_by: "scratchbuild" })),
  };
  if (platform.variant) config.variant = platform.variant;
  if (platform["os.version"]) config["os.version"] = platform["os.version"];
  if (options.author !== undefined) config.author = options.author;
  return config;
}
