/**
 * Docker credential helpers (`docker-credential-NAME get`): the programs
 * `credHelpers` and `credsStore` in Docker's config.json point at, which keep
 * registry passwords in the OS keychain or fetch cloud tokens.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { ScratchbuildError } from "../errors.ts";
import type { Credentials } from "../registry/auth.ts";

/** Options of {@link runCredentialHelper}. */
export interface CredentialHelperOptions {
  /** Environment of the helper (and its `PATH`); default this process's. */
  env?: Record<string, string | undefined>;
}

/**
 * Asks `docker-credential-NAME` for the credentials of `serverURL`. Returns
 * `undefined` when the helper has none; a helper that is not installed or
 * fails otherwise is an error naming it. A `Username` of `<token>` marks the
 * secret as an identity token.
 *
 * @example
 * ```ts ignore
 * import { runCredentialHelper } from "./cred_helper.ts";
 * const creds = await runCredentialHelper("gcloud", "gcr.io");
 * console.log(creds === undefined ? "none" : "found");
 * ```
 */
export async function runCredentialHelper(
  name: string,
  serverURL: string,
  options: CredentialHelperOptions = {},
): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`;
  const fail = (reason: string): never => {
    throw new ScratchbuildError("AUTH", `Cannot get credentials for ${serverURL}: ${reason}`);
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    fail(`credential helper name "${name}" is invalid`);
  }

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env ?? process.env)) if (v !== undefined) env[k] = v;
  const result = await _run(program, ["get"], serverURL + "\n", env).catch((e) => {
    if ((e as { code?: string })?.code === "ENOENT") {
      fail(`credential helper ${program} is not installed (not found on PATH)`);
    }
    return fail(`cannot run ${program}: ${(e as Error)?.message ?? e}`);
  });
  const stdout = result.stdout.trim();
  if (result.code !== 0) {
    // docker-credential-helpers' "not found" is an answer, not a failure.
    if (/credentials not found/i.test(stdout) || /credentials not found/i.test(result.stderr)) {
      return undefined;
    }
    // Only the first line: helpers do not print secrets on failure, and a
    // long dump would bury the message.
    const why = (result.stderr.trim() || stdout).split("\n")[0].slice(0, 200);
    fail(`${program} exited with code ${result.code}${why ? `: ${why}` : ""}`);
  }
  let json: { Username?: unknown; Secret?: unknown };
  try {
    json = JSON.parse(stdout);
  } catch {
    return fail(`${program} did not print JSON`);
  }
  const username = typeof json.Username === "string" ? json.Username : "";
  const secret = typeof json.Secret === "string" ? json.Secret : "";
  if (secret === "") return undefined;
  if (username === "<token>") return { identityToken: secret };
  return { username, password: secret };
}

function _run(
  program: string,
  args: string[],
  stdin: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (c: string) => (stdout += c));
    child.stderr.on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A helper that exits without reading stdin makes the write fail; its exit code says more.
    child.stdin.on("error", () => {});
    child.stdin.end(stdin);
  });
}
