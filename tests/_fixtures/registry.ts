/**
 * Runs a real registry (CNCF distribution 2.8, `/usr/bin/docker-registry`)
 * on a free 127.0.0.1 port for tests, with no auth, htpasswd (Basic) auth or
 * token auth (backed by {@linkcode startTokenServer}).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertOk, freePort, run, tempDir } from "./tools.ts";
import {
  startTokenServer,
  type TokenServerHandle,
  type TokenServerOptions,
} from "./token_server.ts";

/** Options for {@linkcode startRegistry}. */
export interface RegistryOptions {
  /** Authentication scheme. Default `"none"`. */
  auth?: "none" | "htpasswd" | "token";
  /** Set `http.relativeurls: true` (Location headers become relative). */
  relativeURLs?: boolean;
  /** User for htpasswd/token auth. Default `"testuser"`. */
  username?: string;
  /** Password for htpasswd/token auth. Default `"testpassword"`. */
  password?: string;
  /** Extra token server options (deny list, lifetime, grant callback…); `auth: "token"` only. */
  token?: Omit<TokenServerOptions, "username" | "password" | "issuer" | "service">;
  /** Binary to run. Default `/usr/bin/docker-registry`. */
  binary?: string;
}

/** A running registry. */
export interface RegistryHandle {
  /** `127.0.0.1:PORT`, for image references like `${host}/repo:tag`. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** User name (htpasswd/token auth only). */
  username?: string;
  /** Password (htpasswd/token auth only). */
  password?: string;
  /** Token realm URL (token auth only). */
  tokenRealm?: string;
  /** The token server (token auth only): request records, counters. */
  tokenServer?: TokenServerHandle;
  /** Directory of the registry's filesystem storage. */
  storageDir: string;
  /** Everything the registry printed so far (stdout and stderr interleaved). */
  logs(): string;
  /** Stops the registry (and token server) and deletes all temp files. Idempotent. */
  stop(): Promise<void>;
}

const LOG_LIMIT = 4 * 1024 * 1024;

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("REGISTRY_")) env[k] = v;
  }
  return env;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, 5000);
  });
  await Promise.race([exited(child), killed]);
  clearTimeout(timer);
  await exited(child);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts a registry and waits until `GET /v2/` answers (200 or 401).
 * Throws, with the registry's logs, if it does not come up.
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RegistryHandle> {
  const auth = opts.auth ?? "none";
  const username = auth === "none" ? undefined : opts.username ?? "testuser";
  const password = auth === "none" ? undefined : opts.password ?? "testpassword";
  const tmp = tempDir("scratchbuild-registry-");
  const storageDir = join(tmp.path, "storage");
  let tokenServer: TokenServerHandle | undefined;
  let authYaml = "";
  try {
    if (auth === "htpasswd") {
      const res = assertOk(
        await run("htpasswd", ["-nbB", username!, password!]),
        "htpasswd -nbB",
      );
      const file = join(tmp.path, "htpasswd");
      writeFileSync(file, res.stdout.trim() + "\n");
      authYaml = `auth:\n  htpasswd:\n    realm: scratchbuild-test\n    path: ${file}\n`;
    } else if (auth === "token") {
      tokenServer = await startTokenServer({ ...(opts.token ?? {}), username, password });
      authYaml = [
        "auth:",
        "  token:",
        `    realm: ${tokenServer.realm}`,
        `    service: ${tokenServer.service}`,
        `    issuer: ${tokenServer.issuer}`,
        `    rootcertbundle: ${tokenServer.certPath}`,
        "",
      ].join("\n");
    }
  } catch (e) {
    await tokenServer?.stop();
    tmp.cleanup();
    throw e;
  }

  let log = "";
  const append = (chunk: Uint8Array | string): void => {
    log += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT / 2);
  };

  let lastError = "";
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    const config = [
      "version: 0.1",
      "log:",
      "  level: info",
      "  formatter: text",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${storageDir}`,
      "  delete:",
      "    enabled: true",
      "  maintenance:",
      "    uploadpurging:",
      "      enabled: false",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${crypto.randomUUID()}`,
      `  relativeurls: ${opts.relativeURLs ? "true" : "false"}`,
      "",
    ].join("\n") + authYaml;
    const configPath = join(tmp.path, "config.yml");
    writeFileSync(configPath, config);
    const child = spawn(opts.binary ?? "/usr/bin/docker-registry", ["serve", configPath], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    let spawnError: Error | undefined;
    child.on("error", (e: Error) => {
      spawnError = e;
      append(`\n[fixture] spawn error: ${e.message}\n`);
    });
    const url = `http://127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 300 && !spawnError && child.exitCode === null; i++) {
      try {
        const res = await fetch(`${url}/v2/`);
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 401) {
          up = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    if (!up) {
      await killChild(child);
      lastError = spawnError?.message ?? `registry did not answer on ${url}`;
      if (spawnError) break;
      continue;
    }
    let stopped = false;
    return {
      host: `127.0.0.1:${port}`,
      url,
      username,
      password,
      tokenRealm: tokenServer?.realm,
      tokenServer,
      storageDir,
      logs: () => log,
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await killChild(child);
        await tokenServer?.stop();
        tmp.cleanup();
      },
    };
  }
  await tokenServer?.stop();
  tmp.cleanup();
  throw new Error(`startRegistry failed: ${lastError}\n--- registry logs:\n${log}`);
}
