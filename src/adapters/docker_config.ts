/**
 * Finding registry credentials the way Docker does: explicit flags first,
 * then `SCRATCHBUILD_USERNAME`/`SCRATCHBUILD_PASSWORD`, then Docker's
 * config.json (`credHelpers`, `credsStore`, `auths`).
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ScratchbuildError, UsageError } from "../errors.ts";
import type { Credentials } from "../registry/auth.ts";
import { DOCKER_HUB_REGISTRY } from "../registry/reference.ts";
import { runCredentialHelper } from "./cred_helper.ts";

/** The key Docker uses for Docker Hub in config.json and credential stores. */
export const DOCKER_HUB_CONFIG_KEY = "https://index.docker.io/v1/";

/**
 * Options of {@link resolveCredentials}.
 *
 * @example
 * ```ts
 * import { resolveCredentials, type ResolveCredentialsOptions } from "./docker_config.ts";
 * const options: ResolveCredentialsOptions = { token: "example-token", env: {} };
 * console.log(await resolveCredentials("ghcr.io", options)); // { registryToken: "example-token" }
 * ```
 */
export interface ResolveCredentialsOptions {
  /** `--username`. */
  username?: string;
  /** The password (e.g. read with `--password-stdin`). */
  password?: string;
  /** `--token`: a registry bearer token used as is. */
  token?: string;
  /** Environment; default this process's. */
  env?: Record<string, string | undefined>;
  /** Folder of config.json; default `$DOCKER_CONFIG` or `~/.docker`. */
  dockerConfigDir?: string;
}

interface _DockerConfig {
  auths?: Record<string, {
    auth?: string;
    username?: string;
    password?: string;
    identitytoken?: string;
  }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/**
 * Finds the credentials for a registry host (`ghcr.io`, `localhost:5000`,
 * `registry-1.docker.io`), or `undefined` for anonymous access.
 *
 * @example
 * ```ts ignore
 * import { resolveCredentials } from "./docker_config.ts";
 * const creds = await resolveCredentials("ghcr.io");
 * console.log(creds ? "logged in" : "anonymous");
 * ```
 */
export async function resolveCredentials(
  registryHost: string,
  options: ResolveCredentialsOptions = {},
): Promise<Credentials | undefined> {
  if (options.token !== undefined && options.token !== "") {
    return { registryToken: options.token };
  }
  if (options.username !== undefined || options.password !== undefined) {
    if (!options.username || options.password === undefined) {
      throw new UsageError(
        "Cannot use --username and a password separately: give both (the password on stdin)",
      );
    }
    return { username: options.username, password: options.password };
  }
  const env = options.env ?? process.env;
  if (env.SCRATCHBUILD_USERNAME && env.SCRATCHBUILD_PASSWORD !== undefined) {
    return { username: env.SCRATCHBUILD_USERNAME, password: env.SCRATCHBUILD_PASSWORD };
  }

  const dir = options.dockerConfigDir ?? env.DOCKER_CONFIG ?? join(homedir(), ".docker");
  const config = await _readConfig(join(dir, "config.json"));
  if (!config) return undefined;
  const hub = registryHost === DOCKER_HUB_REGISTRY;
  const serverURL = hub ? DOCKER_HUB_CONFIG_KEY : registryHost;

  const helper = _lookup(config.credHelpers, registryHost);
  if (helper) return await runCredentialHelper(helper, serverURL, { env });
  if (config.credsStore) {
    const found = await runCredentialHelper(config.credsStore, serverURL, { env });
    if (found) return found;
  }
  const entry = _lookup(config.auths, registryHost);
  if (!entry) return undefined;
  if (entry.identitytoken) return { identityToken: entry.identitytoken };
  if (entry.auth) {
    const decoded = _decodeBase64(entry.auth);
    const colon = decoded?.indexOf(":") ?? -1;
    if (decoded === undefined || colon === -1) {
      // Never echo the value: it is the password.
      throw new ScratchbuildError(
        "AUTH",
        `Cannot read credentials for ${registryHost} from ${
          join(dir, "config.json")
        }: the "auth" field is not base64 of USER:PASSWORD`,
      );
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password !== undefined) {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

async function _readConfig(path: string): Promise<_DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as { code?: string })?.code === "ENOENT") return undefined;
    throw new ScratchbuildError("AUTH", `Cannot read ${path}: ${(e as Error)?.message ?? e}`);
  }
  try {
    const json = JSON.parse(text);
    return json && typeof json === "object" ? json : undefined;
  } catch {
    throw new ScratchbuildError("AUTH", `Cannot read ${path}: it is not valid JSON`);
  }
}

// config.json keys come as `host`, `https://host`, `http://host/v1/` and, for
// Docker Hub, `https://index.docker.io/v1/`.
function _lookup<T>(map: Record<string, T> | undefined, registryHost: string): T | undefined {
  if (!map || typeof map !== "object") return undefined;
  const want = _normaliseKey(registryHost);
  if (Object.hasOwn(map, registryHost)) return map[registryHost];
  for (const [key, value] of Object.entries(map)) {
    if (_normaliseKey(key) === want) return value;
  }
  return undefined;
}

function _normaliseKey(key: string): string {
  let host = key.trim().toLowerCase().replace(/^[a-z]+:\/\//, "");
  host = host.split("/")[0];
  if (host === "index.docker.io" || host === "docker.io" || host === DOCKER_HUB_REGISTRY) {
    return DOCKER_HUB_REGISTRY;
  }
  return host;
}

function _decodeBase64(value: string): string | undefined {
  try {
    const binary = atob(value.trim());
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
