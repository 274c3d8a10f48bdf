/**
 * The one place scratchbuild talks HTTP to registries: base URLs, auth
 * headers, redirects (followed by hand so `Authorization` never reaches
 * another origin), retries with backoff, per-request timeouts and the mapping
 * of failures to {@link RegistryError}s with secret-free messages.
 *
 * @module
 */

import { RegistryError } from "../errors.ts";
import {
  Authenticator,
  type AuthSendInit,
  challengeScopes,
  type CredentialsSource,
} from "./auth.ts";
import { findChallenge, parseChallenges } from "./challenge.ts";
import { _displayURL, _redact, _summariseBody } from "./_messages.ts";
import { isLoopbackHost } from "./reference.ts";
import { VERSION } from "../version.ts";

/**
 * Options of {@link Transport}.
 *
 * @example
 * ```ts
 * import { Transport, type TransportOptions } from "./transport.ts";
 * const options: TransportOptions = { insecure: true, timeoutMs: 30_000, tries: 5 };
 * const transport = new Transport(options);
 * console.log(transport.baseURL("registry.internal:5000")); // http://registry.internal:5000
 * ```
 */
export interface TransportOptions {
  /** The fetch implementation; default the global `fetch`. */
  fetch?: typeof fetch;
  /** Credentials, fixed or looked up per registry host. */
  credentials?: CredentialsSource;
  /** Speak plain HTTP to registries that are not loopback hosts (and accept HTTP token realms). */
  insecure?: boolean;
  /** `User-Agent` header; default `scratchbuild/VERSION`. */
  userAgent?: string;
  /**
   * Milliseconds a request may take before it is aborted and retried; default
   * 60 000. Requests with a body get one more second per 256 KiB.
   */
  timeoutMs?: number;
  /** Attempts per retryable request, including the first; default 3. */
  tries?: number;
  /** First backoff delay in milliseconds, doubled each retry; default 500. */
  retryDelayMs?: number;
  /** Aborts every request of this transport. */
  signal?: AbortSignal;
  /** OAuth2 client id for identity-token grants; default `scratchbuild`. */
  clientId?: string;
  /** Clock for the token cache; default `Date.now`. */
  now?: () => number;
}

/**
 * One registry API request.
 *
 * @example
 * ```ts
 * import type { RegistryRequest } from "./transport.ts";
 * const request: RegistryRequest = {
 *   registry: "ghcr.io",
 *   method: "HEAD",
 *   url: "/v2/example/app/blobs/sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 *   scopes: ["repository:example/app:pull"],
 *   action: "push to ghcr.io/example/app",
 *   accept: [200, 404],
 * };
 * console.log(request.method, request.url.startsWith("/v2/")); // HEAD true
 * ```
 */
export interface RegistryRequest {
  /** Registry host the request belongs to (its auth and base URL). */
  registry: string;
  /** HTTP method. */
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A path like `/v2/NAME/blobs/uploads/` or an absolute URL (a `Location`). */
  url: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body; replayable with a known length. */
  body?: Uint8Array | Blob;
  /** Token scopes the request needs, e.g. `repository:NAME:pull,push`. */
  scopes?: string[];
  /** What we are doing, for error messages: `push to HOST/NAME`. */
  action: string;
  /** Statuses returned rather than thrown; default any 2xx. */
  accept?: number[];
  /** Whether the request may be resent after a network error, 5xx or 429; default by method. */
  retry?: boolean;
}

/**
 * A registry response with its body read.
 *
 * @example
 * ```ts
 * import type { RegistryResponse } from "./transport.ts";
 * const response: RegistryResponse = {
 *   status: 201,
 *   headers: new Headers({
 *     "Docker-Content-Digest": "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 *   }),
 *   url: "https://ghcr.io/v2/example/app/manifests/v1",
 *   body: new Uint8Array(0),
 * };
 * console.log(response.headers.get("docker-content-digest")?.startsWith("sha256:")); // true
 * ```
 */
export interface RegistryResponse {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The URL that produced this response (after redirects), for resolving `Location`. */
  url: string;
  /** The response body. */
  body: Uint8Array;
}

interface _SendInit {
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array | Blob;
  retry: boolean;
  action: string;
  registry: string;
}

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE"]);
const MAX_RETRY_AFTER_MS = 30_000;
const BYTES_PER_EXTRA_SECOND = 256 * 1024;

/**
 * An HTTP client for registry APIs. It owns the authentication state (the
 * challenges each registry answered with and the token cache), so one
 * transport should serve a whole push.
 *
 * @example
 * ```ts
 * import { Transport } from "./transport.ts";
 * const transport = new Transport({ credentials: { username: "me", password: "secret" } });
 * console.log(transport.baseURL("localhost:5000")); // http://localhost:5000
 * console.log(transport.baseURL("ghcr.io")); // https://ghcr.io
 * ```
 */
export class Transport {
  #fetch: typeof fetch;
  #insecure: boolean;
  #userAgent: string;
  #timeoutMs: number;
  #tries: number;
  #retryDelayMs: number;
  #signal?: AbortSignal;
  #auth: Authenticator;
  #pings = new Map<string, Promise<void>>();

  /** Creates a transport. */
  constructor(options: TransportOptions = {}) {
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#insecure = options.insecure ?? false;
    this.#userAgent = options.userAgent ?? `scratchbuild/${VERSION}`;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#tries = Math.max(1, options.tries ?? 3);
    this.#retryDelayMs = options.retryDelayMs ?? 500;
    this.#signal = options.signal;
    this.#auth = new Authenticator({
      credentials: options.credentials,
      clientId: options.clientId,
      insecure: options.insecure,
      now: options.now,
      send: (url: string, init: AuthSendInit, action: string) =>
        this.#send(url, { ...init, retry: true, action, registry: new URL(url).host }),
    });
  }

  /**
   * The base URL of a registry: `http://` for loopback hosts or with
   * `insecure`, `https://` otherwise.
   */
  baseURL(registry: string): string {
    const http = this.#insecure || isLoopbackHost(registry);
    return `${http ? "http" : "https"}://${registry}`;
  }

  /**
   * Sends a registry request with authentication, following redirects and
   * retrying transient failures. Statuses outside `accept` become
   * {@link RegistryError}s: 401 → `AUTH` (or `DENIED` when a fresh token was
   * refused), 403 → `DENIED`, a `DIGEST_INVALID` error → `DIGEST_MISMATCH`,
   * anything else → `REGISTRY`; unreachable hosts and timeouts → `NETWORK`.
   */
  async request(req: RegistryRequest): Promise<RegistryResponse> {
    const base = this.baseURL(req.registry);
    const url = resolveLocation(req.url, base + "/");
    const sameOrigin = new URL(url).origin === new URL(base).origin;
    await this.#ping(req.registry, req.action);

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    const init: _SendInit = {
      method: req.method,
      headers,
      body: req.body,
      retry: req.retry ?? IDEMPOTENT.has(req.method),
      action: req.action,
      registry: req.registry,
    };
    let scopes = req.scopes ?? [];
    const authorize = async (rejected?: string) => {
      // A Location on another origin (blob storage) never gets registry credentials.
      const value = sameOrigin
        ? await this.#auth.authorization(req.registry, scopes, { action: req.action, rejected })
        : undefined;
      if (value) headers["authorization"] = value;
      else delete headers["authorization"];
      return value;
    };

    let sent = await authorize();
    let res = await this.#send(url, init);
    let refreshed = false;
    if (res.status === 401 && sameOrigin) {
      const challenges = parseChallenges(_headerValues(res.headers, "www-authenticate"));
      if (challenges.length > 0) {
        this.#auth.learn(req.registry, challenges);
        const bearer = findChallenge(challenges, "bearer");
        if (bearer) scopes = [...new Set([...scopes, ...challengeScopes(bearer)])];
        const next = await authorize(sent);
        // Basic credentials that were already sent would only fail again.
        if (next !== undefined && (bearer !== undefined || next !== sent)) {
          refreshed = bearer !== undefined;
          sent = next;
          res = await this.#send(url, init);
        }
      }
    }
    const accept = req.accept;
    const ok = accept ? accept.includes(res.status) : res.status >= 200 && res.status <= 299;
    if (ok) return res;
    throw await this.#error(req, url, res, sent !== undefined, refreshed);
  }

  /**
   * The `Authorization` value requests to `registry` needing `scopes` carry:
   * asks the registry how it authenticates (once), then fetches and caches a
   * bearer token if it wants one. `undefined` for registries that want none.
   */
  async authorization(
    registry: string,
    scopes: string[],
    action: string,
  ): Promise<string | undefined> {
    await this.#ping(registry, action);
    return await this.#auth.authorization(registry, scopes, { action });
  }

  /** Learns how a registry authenticates, once per registry. */
  #ping(registry: string, action: string): Promise<void> {
    let ping = this.#pings.get(registry);
    if (!ping) {
      ping = (async () => {
        if (this.#auth.knows(registry)) return;
        const res = await this.#send(`${this.baseURL(registry)}/v2/`, {
          method: "GET",
          headers: {},
          retry: true,
          action,
          registry,
        });
        const challenges = res.status === 401
          ? parseChallenges(_headerValues(res.headers, "www-authenticate"))
          : [];
        if (!this.#auth.knows(registry)) this.#auth.learn(registry, challenges);
      })();
      this.#pings.set(registry, ping);
      // A failed ping (registry unreachable) is retried by the next request.
      ping.catch(() => this.#pings.delete(registry));
    }
    return ping;
  }

  async #error(
    req: RegistryRequest,
    url: string,
    res: RegistryResponse,
    hadAuth: boolean,
    refreshed: boolean,
  ): Promise<RegistryError> {
    const secrets = await this.#auth.secrets(req.registry);
    const { text, codes } = _summariseBody(res.body);
    const detail = text ? `: ${_redact(text, secrets)}` : "";
    const where = `${req.method} ${_displayURL(url)}`;
    if (res.status === 401) {
      const creds = await this.#auth.credentials(req.registry).catch(() => undefined);
      if (!creds) {
        return new RegistryError(
          "AUTH",
          `Cannot ${req.action}: ${req.registry} requires authentication and no credentials were found for it${detail}`,
          401,
        );
      }
      if ("registryToken" in creds) {
        return new RegistryError(
          "AUTH",
          `Cannot ${req.action}: authentication failed for ${req.registry}: the registry token was refused${detail}`,
          401,
        );
      }
      if (refreshed) {
        return new RegistryError(
          "DENIED",
          `${req.action} denied${detail}`,
          401,
        );
      }
      return new RegistryError(
        "AUTH",
        `Cannot ${req.action}: authentication failed for ${req.registry}${
          hadAuth ? "" : " (the registry's challenge could not be answered)"
        }${detail}`,
        401,
      );
    }
    if (res.status === 403) {
      return new RegistryError(
        "DENIED",
        `${req.action} denied${detail}`,
        403,
      );
    }
    if (codes.includes("DIGEST_INVALID")) {
      return new RegistryError(
        "DIGEST_MISMATCH",
        `Cannot ${req.action}: ${req.registry} computed a different digest for ${where}${detail}`,
        res.status,
      );
    }
    return new RegistryError(
      "REGISTRY",
      `Cannot ${req.action}: ${req.registry} answered ${res.status}${
        _statusText(res.status)
      } to ${where}${detail}`,
      res.status,
    );
  }

  /** Sends without registry auth logic: redirects, retries, timeouts. */
  async #send(url: string, init: _SendInit): Promise<RegistryResponse> {
    let current = url;
    let method = init.method;
    let body = init.body;
    const headers: Record<string, string> = { ...init.headers, "user-agent": this.#userAgent };
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await this.#sendWithRetry(current, method, headers, body, init);
      const location = res.headers.get("location");
      if (!REDIRECTS.has(res.status) || location === null) return res;
      const next = resolveLocation(location, current);
      if (new URL(next).origin !== new URL(current).origin) delete headers["authorization"];
      // Same rewriting as the Fetch standard: 303 becomes GET, and so do 301/302 after a POST.
      if (
        (res.status === 303 && method !== "HEAD") ||
        ((res.status === 301 || res.status === 302) && method === "POST")
      ) {
        method = "GET";
        body = undefined;
        delete headers["content-type"];
        delete headers["content-length"];
        delete headers["content-range"];
      }
      current = next;
    }
    throw new RegistryError(
      "REGISTRY",
      `Cannot ${init.action}: more than ${MAX_REDIRECTS} redirects from ${_displayURL(url)}`,
    );
  }

  async #sendWithRetry(
    url: string,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | Blob | undefined,
    init: _SendInit,
  ): Promise<RegistryResponse> {
    const size = body === undefined ? 0 : body instanceof Blob ? body.size : body.byteLength;
    const timeoutMs = this.#timeoutMs + Math.floor(size / BYTES_PER_EXTRA_SECOND) * 1000;
    for (let attempt = 1;; attempt++) {
      const last = !init.retry || attempt >= this.#tries;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
      let failure: unknown;
      try {
        const res = await this.#fetch(url, {
          method,
          headers,
          body: body as BodyInit | undefined,
          redirect: "manual",
          signal,
        });
        let bytes = new Uint8Array(0);
        if (method === "HEAD") await res.body?.cancel();
        else bytes = new Uint8Array(await res.arrayBuffer());
        const retryable = res.status >= 500 || res.status === 429;
        if (!retryable || last) {
          return { status: res.status, headers: res.headers, url, body: bytes };
        }
        await this.#sleep(_retryAfter(res.headers) ?? this.#backoff(attempt));
        continue;
      } catch (e) {
        if (this.#signal?.aborted) throw this.#signal.reason;
        failure = e;
      }
      if (last) {
        const host = _safeHost(url);
        const reason = timeout.aborted
          ? `${host} did not answer within ${Math.round(timeoutMs / 1000)} s`
          : `cannot reach ${host}: ${_causeMessage(failure)}`;
        throw new RegistryError(
          "NETWORK",
          `Cannot ${init.action}: ${reason} (${method} ${_displayURL(url)})`,
          undefined,
          { cause: failure },
        );
      }
      await this.#sleep(this.#backoff(attempt));
    }
  }

  #backoff(attempt: number): number {
    const base = this.#retryDelayMs * 2 ** (attempt - 1);
    return base / 2 + Math.random() * base / 2;
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const signal = this.#signal;
      const done = () => {
        signal?.removeEventListener("abort", abort);
        resolve();
      };
      const abort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(done, Math.min(ms, MAX_RETRY_AFTER_MS));
      signal?.addEventListener("abort", abort, { once: true });
    });
  }
}

/**
 * Resolves a `Location` header against the URL of the response that carried
 * it. Registries send absolute URLs, host-relative paths (`/v2/...`) and, more
 * rarely, path-relative ones; all three resolve as a browser would.
 *
 * @example
 * ```ts
 * import { resolveLocation } from "./transport.ts";
 * const from = "https://ghcr.io/v2/me/app/blobs/uploads/";
 * console.log(resolveLocation("/v2/me/app/blobs/uploads/abc?_state=x", from));
 * // https://ghcr.io/v2/me/app/blobs/uploads/abc?_state=x
 * console.log(resolveLocation("abc", from)); // https://ghcr.io/v2/me/app/blobs/uploads/abc
 * ```
 */
export function resolveLocation(location: string, requestURL: string): string {
  try {
    return new URL(location, requestURL).href;
  } catch {
    throw new RegistryError(
      "REGISTRY",
      `Cannot follow Location "${_displayURL(location)}": it is not a valid URL`,
    );
  }
}

/**
 * Appends `key=value` to a URL's query as text. The existing query (such as
 * distribution's signed `_state`) is kept byte for byte: re-serialising it
 * through `URLSearchParams` can re-encode characters and break the signature.
 *
 * @example
 * ```ts
 * import { appendQuery } from "./transport.ts";
 * console.log(appendQuery("http://r/v2/a/blobs/uploads/1?_state=a%2Bb", "digest", "sha256:00"));
 * // http://r/v2/a/blobs/uploads/1?_state=a%2Bb&digest=sha256%3A00
 * ```
 */
export function appendQuery(url: string, key: string, value: string): string {
  const hash = url.indexOf("#");
  const head = hash === -1 ? url : url.slice(0, hash);
  const pair = `${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
  const sep = !head.includes("?") ? "?" : head.endsWith("?") || head.endsWith("&") ? "" : "&";
  return head + sep + pair;
}

function _headerValues(headers: Headers, name: string): string[] {
  // Headers joins repeated fields with ", ", which the challenge parser reads
  // as a list separator, so one value is enough; getSetCookie-style splitting
  // is not needed.
  const v = headers.get(name);
  return v === null ? [] : [v];
}

function _retryAfter(headers: Headers): number | undefined {
  const v = headers.get("retry-after");
  if (v === null) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
}

function _safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function _causeMessage(e: unknown): string {
  // fetch wraps the useful part (ECONNREFUSED, certificate errors) in `cause`.
  let cur: unknown = e;
  let message = "request failed";
  for (let depth = 0; depth < 4 && cur instanceof Error; depth++) {
    const code = (cur as { code?: unknown }).code;
    message = typeof code === "string" && !cur.message.includes(code)
      ? `${cur.message} (${code})`
      : cur.message;
    cur = cur.cause;
  }
  return message;
}

function _statusText(status: number): string {
  const texts: Record<number, string> = {
    400: " Bad Request",
    404: " Not Found",
    405: " Method Not Allowed",
    409: " Conflict",
    413: " Payload Too Large",
    416: " Range Not Satisfiable",
    429: " Too Many Requests",
    500: " Internal Server Error",
    502: " Bad Gateway",
    503: " Service Unavailable",
    504: " Gateway Timeout",
  };
  return texts[status] ?? "";
}
