/**
 * Registry authentication: HTTP Basic, and the Docker token flow (Bearer) in
 * which a token server at the challenge's `realm` trades credentials, or
 * nothing for anonymous access, for a short-lived token scoped to
 * repositories and actions.
 *
 * @module
 */

import { RegistryError } from "../errors.ts";
import { type Challenge, findChallenge } from "./challenge.ts";
import { _redact, _summariseBody } from "./_messages.ts";
import { isLoopbackHost } from "./reference.ts";

/**
 * Credentials for one registry: a user name and password (or personal access
 * token used as one), an OAuth2 identity (refresh) token as `docker login`
 * stores for some registries, or a ready registry bearer token such as the
 * output of `gcloud auth print-access-token`.
 *
 * @example
 * ```ts
 * import type { Credentials } from "./auth.ts";
 * const credentials: Credentials = { username: "me", password: "secret" };
 * console.log("username" in credentials ? credentials.username : "token"); // me
 * ```
 */
export type Credentials =
  | { username: string; password: string }
  | { identityToken: string }
  | { registryToken: string };

/**
 * Where credentials come from: fixed credentials for every registry, or a
 * function asked once per registry host.
 *
 * @example
 * ```ts
 * import type { CredentialsSource } from "./auth.ts";
 * import { Transport } from "./transport.ts";
 * const source: CredentialsSource = (registry) =>
 *   registry === "ghcr.io" ? { registryToken: "example-token" } : undefined;
 * const transport = new Transport({ credentials: source });
 * console.log(transport.baseURL("ghcr.io")); // https://ghcr.io
 * ```
 */
export type CredentialsSource =
  | Credentials
  | ((registry: string) => Promise<Credentials | undefined> | Credentials | undefined);

/** The minimal request an authenticator needs sent (redirects, retries and timeouts are the sender's). */
export interface AuthSendInit {
  /** HTTP method. */
  method: "GET" | "POST";
  /** Request headers. */
  headers: Record<string, string>;
  /** Form body for the OAuth2 POST. */
  body?: Uint8Array;
}

/** Sends a request to a token server; provided by the transport. */
export type AuthSend = (url: string, init: AuthSendInit, action: string) => Promise<{
  status: number;
  headers: Headers;
  body: Uint8Array;
}>;

/** Options of {@link Authenticator}. */
export interface AuthenticatorOptions {
  /** Sends token requests (the transport's redirect/retry/timeout logic, without registry auth). */
  send: AuthSend;
  /** Credentials for registries; none means anonymous. */
  credentials?: CredentialsSource;
  /** OAuth2 client id sent with identity-token grants; default `scratchbuild`. */
  clientId?: string;
  /** Allow token realms over plain HTTP on non-loopback hosts. */
  insecure?: boolean;
  /** Clock in milliseconds, for the token cache; default `Date.now`. */
  now?: () => number;
}

/** Options of {@link Authenticator.authorization}. */
export interface AuthorizationOptions {
  /** What we are doing, for error messages: `push to HOST/NAME`. */
  action: string;
  /**
   * An `Authorization` value the registry just refused: when the cache still
   * holds it, a new token is fetched instead.
   */
  rejected?: string;
}

const DEFAULT_EXPIRES_IN = 60;
// Tokens are renewed this long before they expire, so one never lapses mid-request.
const EARLY_RENEWAL_MS = 10_000;

interface _CachedToken {
  header: string;
  expiresAt: number;
}

/**
 * Produces `Authorization` header values for registry requests and owns the
 * per-registry, per-scope-set token cache. Concurrent requests for the same
 * scopes share one token request.
 *
 * @example
 * ```ts
 * import { Authenticator } from "./auth.ts";
 * import { parseChallenges } from "./challenge.ts";
 * const auth = new Authenticator({
 *   credentials: { username: "me", password: "secret" },
 *   send: () => Promise.reject(new Error("no token server in this example")),
 * });
 * auth.learn("registry.example", parseChallenges('Basic realm="registry"'));
 * const header = await auth.authorization("registry.example", [], { action: "push to registry.example/app" });
 * console.log(header?.startsWith("Basic ")); // true
 * ```
 */
export class Authenticator {
  #send: AuthSend;
  #source?: CredentialsSource;
  #clientId: string;
  #insecure: boolean;
  #now: () => number;
  #challenges = new Map<string, Challenge[]>();
  #credentials = new Map<string, Promise<Credentials | undefined>>();
  #tokens = new Map<string, _CachedToken>();
  #inflight = new Map<string, Promise<_CachedToken>>();
  #issued = new Set<string>();

  /** Creates an authenticator. */
  constructor(options: AuthenticatorOptions) {
    this.#send = options.send;
    this.#source = options.credentials;
    this.#clientId = options.clientId ?? "scratchbuild";
    this.#insecure = options.insecure ?? false;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records the challenges a registry answered with (from `GET /v2/` or a
   * 401). An empty list means the registry wants no authentication.
   */
  learn(registry: string, challenges: Challenge[]): void {
    this.#challenges.set(registry, challenges);
  }

  /** Whether the authenticator knows the registry's challenges yet. */
  knows(registry: string): boolean {
    return this.#challenges.has(registry);
  }

  /** The credentials configured for a registry, looked up once. */
  credentials(registry: string): Promise<Credentials | undefined> {
    let found = this.#credentials.get(registry);
    if (!found) {
      const source = this.#source;
      found = Promise.resolve(typeof source === "function" ? source(registry) : source);
      this.#credentials.set(registry, found);
    }
    return found;
  }

  /**
   * Every secret the authenticator has seen or been issued for a registry, so
   * error messages can be scrubbed of them.
   */
  async secrets(registry: string): Promise<string[]> {
    const out = [...this.#issued];
    const creds = await this.credentials(registry).catch(() => undefined);
    if (creds && "password" in creds) {
      out.push(creds.password, _basic(creds.username, creds.password).slice("Basic ".length));
    }
    if (creds && "identityToken" in creds) out.push(creds.identityToken);
    if (creds && "registryToken" in creds) out.push(creds.registryToken);
    return out;
  }

  /**
   * The `Authorization` value for a request needing `scopes`
   * (`repository:NAME:pull,push`), or `undefined` when the registry asked for
   * none. Fetches and caches a token when the registry uses Bearer auth.
   */
  async authorization(
    registry: string,
    scopes: string[],
    options: AuthorizationOptions,
  ): Promise<string | undefined> {
    const challenges = this.#challenges.get(registry) ?? [];
    // A registry that asks for nothing gets nothing: credentials (and a
    // credential helper that may not even be installed) are not looked up.
    if (challenges.length === 0) return undefined;
    const creds = await this.credentials(registry);
    const bearer = findChallenge(challenges, "bearer");
    if (creds && "registryToken" in creds) {
      return bearer ? `Bearer ${creds.registryToken}` : undefined;
    }
    if (bearer) {
      // Order is kept (the push scope first) but does not split the cache.
      const scopeSet = [...new Set(scopes)];
      const key = `${registry}\n${[...scopeSet].sort().join(" ")}`;
      const cached = this.#tokens.get(key);
      const stale = !cached || cached.expiresAt <= this.#now() ||
        (options.rejected !== undefined && options.rejected === cached.header);
      if (!stale) return cached.header;
      let pending = this.#inflight.get(key);
      if (!pending) {
        pending = this.#fetchToken(registry, bearer, scopeSet, creds, options.action);
        this.#inflight.set(key, pending);
        pending.then((t) => this.#tokens.set(key, t), () => {}).finally(() =>
          this.#inflight.delete(key)
        );
      }
      return (await pending).header;
    }
    if (findChallenge(challenges, "basic") && creds && "password" in creds) {
      return _basic(creds.username, creds.password);
    }
    return undefined;
  }

  async #fetchToken(
    registry: string,
    challenge: Challenge,
    scopes: string[],
    creds: Credentials | undefined,
    action: string,
  ): Promise<_CachedToken> {
    const realm = challenge.params.realm;
    let realmURL: URL;
    try {
      realmURL = new URL(realm ?? "");
      if (realmURL.protocol !== "https:" && realmURL.protocol !== "http:") throw new Error();
    } catch {
      throw new RegistryError(
        "AUTH",
        `Cannot ${action}: ${registry} sent a Bearer challenge without a usable realm URL`,
      );
    }
    if (realmURL.protocol === "http:" && !this.#insecure && !isLoopbackHost(realmURL.host)) {
      throw new RegistryError(
        "AUTH",
        `Cannot ${action}: the token server ${realmURL.origin} for ${registry} is not HTTPS; use --insecure to allow it`,
      );
    }
    const service = challenge.params.service ?? registry;
    const headers: Record<string, string> = { accept: "application/json" };
    // OAuth2 form POST: the only way for identity (refresh) tokens, and the
    // fallback for token servers that refuse the classic GET (404/405).
    const postGrant = (grant: Record<string, string>) => {
      const form = new URLSearchParams(grant);
      form.set("client_id", this.#clientId);
      form.set("service", service);
      if (scopes.length > 0) form.set("scope", scopes.join(" "));
      return this.#send(realmURL.href, {
        method: "POST",
        headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
        body: new TextEncoder().encode(form.toString()),
      }, action);
    };
    let response;
    if (creds && "identityToken" in creds) {
      response = await postGrant({
        grant_type: "refresh_token",
        refresh_token: creds.identityToken,
      });
    } else {
      const getURL = new URL(realmURL.href);
      getURL.searchParams.set("service", service);
      for (const scope of scopes) getURL.searchParams.append("scope", scope);
      const getHeaders = { ...headers };
      if (creds && "password" in creds) {
        getHeaders["authorization"] = _basic(creds.username, creds.password);
      }
      response = await this.#send(getURL.href, { method: "GET", headers: getHeaders }, action);
      if ((response.status === 404 || response.status === 405) && creds && "password" in creds) {
        response = await postGrant({
          grant_type: "password",
          username: creds.username,
          password: creds.password,
        });
      }
    }

    const secrets = await this.secrets(registry);
    if (response.status === 401 || response.status === 403) {
      const { text } = _summariseBody(response.body);
      const reason = creds
        ? `authentication failed for ${registry}`
        : `${registry} requires authentication and no credentials were found for it`;
      throw new RegistryError(
        "AUTH",
        `Cannot ${action}: ${reason}${text ? `: ${_redact(text, secrets)}` : ""}`,
        response.status,
      );
    }
    if (response.status < 200 || response.status > 299) {
      const { text } = _summariseBody(response.body);
      throw new RegistryError(
        "REGISTRY",
        `Cannot ${action}: the token server for ${registry} answered ${response.status}${
          text ? `: ${_redact(text, secrets)}` : ""
        }`,
        response.status,
      );
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(new TextDecoder().decode(response.body));
    } catch {
      throw new RegistryError(
        "REGISTRY",
        `Cannot ${action}: the token server for ${registry} did not answer with JSON`,
        response.status,
      );
    }
    const token = typeof json.token === "string" && json.token !== ""
      ? json.token
      : typeof json.access_token === "string" && json.access_token !== ""
      ? json.access_token
      : undefined;
    if (token === undefined) {
      throw new RegistryError(
        "REGISTRY",
        `Cannot ${action}: the token server for ${registry} answered without a token`,
        response.status,
      );
    }
    this.#issued.add(token);
    const expiresIn = typeof json.expires_in === "number" && json.expires_in > 0
      ? json.expires_in
      : DEFAULT_EXPIRES_IN;
    const lifetime = expiresIn * 1000;
    const margin = Math.min(EARLY_RENEWAL_MS, lifetime / 5);
    return { header: `Bearer ${token}`, expiresAt: this.#now() + lifetime - margin };
  }
}

/**
 * The scope for pushing to (and pulling from) a repository.
 *
 * @example
 * ```ts
 * import { pushScope } from "./auth.ts";
 * console.log(pushScope("team/app")); // repository:team/app:pull,push
 * ```
 */
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/**
 * The scope for pulling from a repository (what a cross-repository mount
 * needs on its source).
 *
 * @example
 * ```ts
 * import { pullScope } from "./auth.ts";
 * console.log(pullScope("team/base")); // repository:team/base:pull
 * ```
 */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/**
 * The scopes a Bearer challenge names (its space-separated `scope` parameter).
 *
 * @example
 * ```ts
 * import { challengeScopes } from "./auth.ts";
 * console.log(challengeScopes({ scheme: "bearer", params: { scope: "repository:a:pull repository:b:pull" } }));
 * // ["repository:a:pull", "repository:b:pull"]
 * ```
 */
export function challengeScopes(challenge: Challenge): string[] {
  const scope = challenge.params.scope;
  return scope ? scope.split(" ").filter(Boolean) : [];
}

function _basic(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}
