/**
 * A small Docker token server (the `auth.token` side of a registry) for tests.
 *
 * - `GET REALM?service=S&scope=S1&scope=S2[&offline_token=true]` with
 *   optional Basic auth → `{token, access_token, expires_in, issued_at[, refresh_token]}`.
 * - `POST REALM` with a form body, `grant_type=password` (`username`,
 *   `password`) or `grant_type=refresh_token` (`refresh_token`) →
 *   `{access_token, refresh_token, expires_in, issued_at, scope}` (OAuth2).
 *
 * Wrong credentials get 401. Anonymous requests get a token without access
 * (unless `allowAnonymousPull`). Tokens are ES256 JWTs signed with WebCrypto;
 * the header names the key with a libtrust `kid`, as distribution 2.8 wants.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assertOk, readBody, run, tempDir } from "./tools.ts";

/** One entry of a token's `access` claim. */
export interface AccessEntry {
  /** Resource type, e.g. `repository` or `registry`. */
  type: string;
  /** Resource name, e.g. `library/hello` or `catalog`. */
  name: string;
  /** Granted actions, e.g. `["pull", "push"]`. */
  actions: string[];
}

/** What a grant callback is asked about: one requested scope. */
export interface GrantRequest {
  /** The authenticated user, or `undefined` for anonymous requests. */
  user?: string;
  /** Resource type from the scope. */
  type: string;
  /** Resource name from the scope. */
  name: string;
  /** Actions requested in the scope. */
  actions: string[];
}

/** Options for {@linkcode startTokenServer}. */
export interface TokenServerOptions {
  /** Single user name (default `"testuser"`); ignored when `users` is given. */
  username?: string;
  /** Password of `username` (default `"testpassword"`). */
  password?: string;
  /** All accepted users and their passwords. */
  users?: Record<string, string>;
  /** `iss` claim; must match the registry's `auth.token.issuer`. Default `"scratchbuild-test-issuer"`. */
  issuer?: string;
  /** Expected `service`, used as `aud`; must match `auth.token.service`. Default `"scratchbuild-test-registry"`. */
  service?: string;
  /** Token lifetime in seconds (`expires_in`, `exp`). Default 300. */
  lifetimeSeconds?: number;
  /** Repositories for which only `pull` is ever granted (to test "push denied"). */
  deny?: string[];
  /** Give anonymous requests `pull` access (default: anonymous tokens grant nothing). */
  allowAnonymousPull?: boolean;
  /** Full control: returns the actions granted for one scope (overrides `deny`/anonymous rules). */
  grant?: (req: GrantRequest) => string[];
  /** Answer `GET` with 405, as token servers that only speak the OAuth2 `POST` grants do. */
  refuseGet?: boolean;
  /** PEM files of an EC P-256 key (PKCS#8) and its certificate; generated with openssl when omitted. */
  keyPath?: string;
  /** Certificate PEM matching `keyPath`. */
  certPath?: string;
}

/** One request the token server saw (never contains passwords or tokens). */
export interface TokenRequestRecord {
  /** HTTP method. */
  method: string;
  /** URL path. */
  path: string;
  /** Query parameters (GET) — `scope` may repeat. */
  query: [string, string][];
  /** Requested scopes (from the query or the POST form). */
  scopes: string[];
  /** `service` parameter, if any. */
  service?: string;
  /** Whether a Basic `Authorization` header was present. */
  basicAuth: boolean;
  /** POST `grant_type`, if any. */
  grantType?: string;
  /** The user the request authenticated as (or tried to), without password. */
  account?: string;
  /** Status code sent. */
  status: number;
}

/** A running token server. */
export interface TokenServerHandle {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** The realm for the registry config, `http://127.0.0.1:PORT/token`. */
  realm: string;
  /** `iss` of issued tokens. */
  issuer: string;
  /** Service name (`aud`). */
  service: string;
  /** Path of the certificate PEM (the registry's `rootcertbundle`). */
  certPath: string;
  /** The libtrust key ID put in the JWT header. */
  kid: string;
  /** Every request so far, oldest first (live array). */
  requests: TokenRequestRecord[];
  /** Number of access tokens issued so far. */
  tokensIssued(): number;
  /** Number of refresh tokens issued so far. */
  refreshTokensIssued(): number;
  /** Forgets all refresh tokens (later refresh grants get 401). */
  revokeRefreshTokens(): void;
  /** Stops the server and deletes generated key material. */
  stop(): Promise<void>;
}

const enc = new TextEncoder();

function b64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const bin = atob(body);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function base32(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The libtrust key ID of a public key: SHA-256 of the DER
 * SubjectPublicKeyInfo, first 30 bytes, base32, 12 groups of 4 joined by `:`.
 */
export async function libtrustKeyId(spki: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(spki)));
  const b32 = base32(hash.slice(0, 30));
  return b32.match(/.{4}/g)!.join(":");
}

/** Parses `type:name:actions` (name may contain `:`; type may carry `(class)`). */
export function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last <= first) return undefined;
  const type = scope.slice(0, first).replace(/\(.*\)$/, "");
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(",").filter((a) => a !== "");
  return { type, name, actions };
}

/** Starts a token server on a free 127.0.0.1 port. */
export async function startTokenServer(opts: TokenServerOptions = {}): Promise<TokenServerHandle> {
  const issuer = opts.issuer ?? "scratchbuild-test-issuer";
  const service = opts.service ?? "scratchbuild-test-registry";
  const lifetime = opts.lifetimeSeconds ?? 300;
  const users: Record<string, string> = opts.users ??
    { [opts.username ?? "testuser"]: opts.password ?? "testpassword" };
  const deny = new Set(opts.deny ?? []);

  const tmp = tempDir("scratchbuild-token-");
  let keyPath = opts.keyPath;
  let certPath = opts.certPath;
  try {
    if (!keyPath || !certPath) {
      keyPath = join(tmp.path, "key.pem");
      certPath = join(tmp.path, "cert.pem");
      assertOk(
        await run("openssl", [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          keyPath,
          "-out",
          certPath,
          "-days",
          "2",
          "-subj",
          "/CN=scratchbuild-test-token",
        ]),
        "openssl req (token key)",
      );
    }
  } catch (e) {
    tmp.cleanup();
    throw e;
  }
  const keyDer = pemToDer(readFileSync(keyPath, "utf8"));
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    keyDer,
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true },
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["verify"],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
  const kid = await libtrustKeyId(spki);

  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>(); // token -> user
  let tokens = 0;
  let refreshes = 0;

  const grantFor = (user: string | undefined, scopes: string[]): AccessEntry[] => {
    const access: AccessEntry[] = [];
    for (const s of scopes) {
      const p = parseScope(s);
      if (!p) continue;
      let actions: string[];
      if (opts.grant) {
        actions = opts.grant({ user, ...p });
      } else if (user === undefined) {
        actions = opts.allowAnonymousPull ? p.actions.filter((a) => a === "pull") : [];
      } else if (p.type === "repository" && deny.has(p.name)) {
        actions = p.actions.filter((a) => a === "pull");
      } else {
        actions = p.actions;
      }
      if (actions.length > 0) access.push({ type: p.type, name: p.name, actions });
    }
    return access;
  };

  const sign = async (user: string | undefined, access: AccessEntry[]): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", kid };
    const claims = {
      iss: issuer,
      sub: user ?? "",
      aud: service,
      exp: now + lifetime,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, enc.encode(input)),
    );
    tokens++;
    return `${input}.${b64url(sig)}`;
  };

  const newRefreshToken = (user: string): string => {
    const t = `rt-${crypto.randomUUID()}`;
    refreshTokens.set(t, user);
    refreshes++;
    return t;
  };

  const send = (res: ServerResponse, status: number, body: unknown, extra = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": String(enc.encode(text).length),
      connection: "close",
      ...extra,
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const rec: TokenRequestRecord = {
      method: req.method ?? "",
      path: url.pathname,
      query: [...url.searchParams.entries()],
      scopes: [],
      basicAuth: false,
      status: 0,
    };
    requests.push(rec);
    const body = await readBody(req);
    const reply = (status: number, payload: unknown, extra = {}): void => {
      rec.status = status;
      send(res, status, payload, extra);
    };
    if (url.pathname !== "/token") return reply(404, { error: "not found" });
    const issuedAt = new Date().toISOString();

    if (req.method === "GET" && opts.refuseGet) {
      return reply(405, { error: "method not allowed" });
    }
    if (req.method === "GET") {
      rec.scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" ")).filter(Boolean);
      rec.service = url.searchParams.get("service") ?? undefined;
      let user: string | undefined;
      const auth = req.headers.authorization ?? "";
      if (/^basic /i.test(auth)) {
        rec.basicAuth = true;
        const decoded = atob(auth.slice(6).trim());
        const i = decoded.indexOf(":");
        const name = i < 0 ? decoded : decoded.slice(0, i);
        const pass = i < 0 ? "" : decoded.slice(i + 1);
        rec.account = name;
        if (!(name in users) || users[name] !== pass) {
          return reply(401, { errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }, {
            "www-authenticate": 'Basic realm="scratchbuild-test-token"',
          });
        }
        user = name;
      }
      const token = await sign(user, grantFor(user, rec.scopes));
      const payload: Record<string, unknown> = {
        token,
        access_token: token,
        expires_in: lifetime,
        issued_at: issuedAt,
      };
      if (user !== undefined && url.searchParams.get("offline_token") === "true") {
        payload.refresh_token = newRefreshToken(user);
      }
      return reply(200, payload);
    }

    if (req.method === "POST") {
      const form = new URLSearchParams(new TextDecoder().decode(body));
      rec.grantType = form.get("grant_type") ?? undefined;
      rec.service = form.get("service") ?? undefined;
      rec.scopes = form.getAll("scope").flatMap((s) => s.split(" ")).filter(Boolean);
      rec.basicAuth = /^basic /i.test(req.headers.authorization ?? "");
      let user: string | undefined;
      if (rec.grantType === "password") {
        const name = form.get("username") ?? "";
        rec.account = name;
        if (!(name in users) || users[name] !== (form.get("password") ?? "")) {
          return reply(401, { error: "invalid_grant", error_description: "bad credentials" });
        }
        user = name;
      } else if (rec.grantType === "refresh_token") {
        user = refreshTokens.get(form.get("refresh_token") ?? "");
        rec.account = user;
        if (user === undefined) {
          return reply(401, { error: "invalid_grant", error_description: "unknown refresh token" });
        }
      } else {
        return reply(400, { error: "unsupported_grant_type" });
      }
      const token = await sign(user, grantFor(user, rec.scopes));
      const refresh = rec.grantType === "refresh_token"
        ? form.get("refresh_token")!
        : newRefreshToken(user);
      return reply(200, {
        access_token: token,
        refresh_token: refresh,
        expires_in: lifetime,
        issued_at: issuedAt,
        scope: rec.scopes.join(" "),
      });
    }
    return reply(405, { error: "method not allowed" });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      try {
        send(res, 500, { error: String(e) });
      } catch {
        res.destroy();
      }
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  return {
    url,
    realm: `${url}/token`,
    issuer,
    service,
    certPath: certPath!,
    kid,
    requests,
    tokensIssued: () => tokens,
    refreshTokensIssued: () => refreshes,
    revokeRefreshTokens: () => refreshTokens.clear(),
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      tmp.cleanup();
    },
  };
}
