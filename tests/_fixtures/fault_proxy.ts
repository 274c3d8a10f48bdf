/**
 * A reverse proxy on 127.0.0.1 in front of a registry, for fault-injection
 * tests: it records and counts requests, can answer some of them itself
 * (one-time 5xx, 401, …) or drop the connection, caps request bodies (413),
 * and can redirect blob downloads/uploads to a second origin (another port)
 * that acts like a pre-signed storage URL, so tests can check which headers
 * (e.g. `Authorization`) each origin saw.
 *
 * Request bodies are buffered (they are small in tests); responses stream.
 *
 * @module
 */

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from "node:http";
import { readBody } from "./tools.ts";

/** Which listener a request arrived on. */
export type ProxyOrigin = "primary" | "secondary";

/** A response the proxy sends instead of forwarding. */
export interface FaultResponse {
  /** Status code. */
  status: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** Response body. */
  body?: string | Uint8Array;
}

/** What to do with a request: forward it, answer it, or close the connection. */
export type FaultAction = "pass" | "drop" | FaultResponse;

/** A request as seen by hooks and rules. */
export interface ProxyRequestInfo {
  /** Listener the request arrived on. */
  origin: ProxyOrigin;
  /** HTTP method. */
  method: string;
  /** URL path (no query). */
  path: string;
  /** Raw query string without `?` ("" if none). */
  query: string;
  /** Request headers as received (lower-case names). */
  headers: IncomingHttpHeaders;
  /** The request body. */
  body: Uint8Array;
}

/** A recorded request. */
export interface ProxyRecord {
  /** Listener the request arrived on. */
  origin: ProxyOrigin;
  /** HTTP method. */
  method: string;
  /** URL path (no query). */
  path: string;
  /** Raw query string without `?`. */
  query: string;
  /** Request headers exactly as this origin received them. */
  headers: IncomingHttpHeaders;
  /** Request body size in bytes. */
  bodyBytes: number;
  /** How it was handled. */
  action: "pass" | "drop" | "injected" | "redirect" | "too-large" | "forbidden" | "error";
  /** Status returned to the client (0 for dropped requests or before the answer). */
  status: number;
}

/** A queued fault: matches requests and answers them instead of the registry. */
export interface FaultRule {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Path to match: exact string or RegExp (any when omitted). */
  path?: string | RegExp;
  /** Origin to match. Default `"primary"`. */
  origin?: ProxyOrigin;
  /** How many matching requests to affect. Default 1. */
  times?: number;
  /** The answer, or `"drop"` to close the connection without one. */
  response: FaultResponse | "drop";
}

/** Blob redirect settings. */
export interface RedirectOptions {
  /** Redirect `GET /v2/<name>/blobs/<digest>` to the second origin. */
  blobGet?: boolean;
  /** Redirect `HEAD /v2/<name>/blobs/<digest>` too. */
  blobHead?: boolean;
  /** Redirect `PATCH`/`PUT /v2/<name>/blobs/uploads/<id>` to the second origin. */
  uploads?: boolean;
  /** Redirect status. Default 307. */
  status?: number;
}

/** Options for {@linkcode startFaultProxy}. */
export interface FaultProxyOptions {
  /** Called for every request (after queued rules) on both origins; `undefined` means pass. */
  onRequest?: (
    req: ProxyRequestInfo,
  ) => FaultAction | undefined | Promise<FaultAction | undefined>;
  /** Reject request bodies larger than this with 413 (not forwarded). */
  maxBodyBytes?: number;
  /** Redirect blob traffic to the second origin. */
  redirect?: RedirectOptions;
}

/** A running fault proxy. */
export interface FaultProxyHandle {
  /** `127.0.0.1:PORT` of the primary origin (use as the registry host). */
  host: string;
  /** `http://127.0.0.1:PORT` of the primary origin. */
  url: string;
  /** `127.0.0.1:PORT` of the second origin (redirect target). */
  secondaryHost: string;
  /** `http://127.0.0.1:PORT` of the second origin. */
  secondaryUrl: string;
  /** All requests so far on both origins, oldest first (live array). */
  requests: ProxyRecord[];
  /** Counts recorded requests by method (any if undefined), path (string or RegExp) and origin (default primary). */
  count(method?: string, path?: string | RegExp, origin?: ProxyOrigin | "any"): number;
  /** Queues a fault rule (rules are tried in order; each matches `times` requests). */
  inject(rule: FaultRule): void;
  /** Changes the request body cap (undefined removes it). */
  setMaxBodyBytes(n: number | undefined): void;
  /** Changes the redirect settings. */
  setRedirect(r: RedirectOptions | undefined): void;
  /** Forgets recorded requests. */
  clear(): void;
  /** Stops both listeners. Idempotent. */
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const BLOB_RE = /^\/v2\/.+\/blobs\/[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const UPLOAD_RE = /^\/v2\/.+\/blobs\/uploads\/[^/]+$/;
const SIG = "fixture_sig";

function matches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === "string" ? pattern === path : pattern.test(path);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    });
  });
}

/**
 * Starts a proxy in front of `target` (`http://127.0.0.1:PORT` or
 * `127.0.0.1:PORT`). The `Host` header is passed through, so a registry
 * builds absolute `Location` URLs that point at the proxy.
 */
export async function startFaultProxy(
  target: string,
  opts: FaultProxyOptions = {},
): Promise<FaultProxyHandle> {
  const upstream = new URL(target.includes("://") ? target : `http://${target}`);
  const requests: ProxyRecord[] = [];
  const rules: FaultRule[] = [];
  let maxBody = opts.maxBodyBytes;
  let redirect = opts.redirect;
  // Pre-signed URL stand-ins: signature -> Authorization header of the redirected request.
  const signatures = new Map<string, string | undefined>();
  let primaryHost = "";
  let secondaryBase = "";

  const answer = (res: ServerResponse, rec: ProxyRecord, r: FaultResponse): void => {
    const body = typeof r.body === "string" ? new TextEncoder().encode(r.body) : r.body;
    const headers: Record<string, string> = { connection: "close", ...(r.headers ?? {}) };
    if (body && body.length > 0 && !Object.keys(headers).some((k) => /^content-type$/i.test(k))) {
      headers["content-type"] = "application/json";
    }
    headers["content-length"] = String(body?.length ?? 0);
    rec.status = r.status;
    res.writeHead(r.status, headers);
    res.end(body);
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    rec: ProxyRecord,
    path: string,
    body: Uint8Array,
    override: Record<string, string | undefined>,
  ): void => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    for (const [k, v] of Object.entries(override)) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    if (body.length > 0 || req.headers["content-length"] !== undefined) {
      headers["content-length"] = String(body.length);
    }
    const up = httpRequest({
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path,
      headers,
      agent: false,
    }, (ur) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(ur.headers)) {
        if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      }
      out["connection"] = "close";
      rec.status = ur.statusCode ?? 502;
      res.writeHead(rec.status, out);
      ur.pipe(res);
      ur.on("error", () => res.destroy());
    });
    up.on("error", (e: Error) => {
      rec.action = "error";
      if (!res.headersSent) {
        answer(res, rec, { status: 502, body: JSON.stringify({ proxyError: e.message }) });
      } else res.destroy();
    });
    up.end(body);
  };

  const handle = async (
    origin: ProxyOrigin,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const rec: ProxyRecord = {
      origin,
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ""),
      headers: { ...req.headers },
      bodyBytes: 0,
      action: "pass",
      status: 0,
    };
    requests.push(rec);
    const body = await readBody(req);
    rec.bodyBytes = body.length;

    if (maxBody !== undefined && body.length > maxBody) {
      rec.action = "too-large";
      return answer(res, rec, {
        status: 413,
        headers: { "content-type": "text/html" },
        body: "<html><body><h1>413 Request Entity Too Large</h1></body></html>\n",
      });
    }

    let action: FaultAction | undefined;
    const i = rules.findIndex((r) =>
      (r.origin ?? "primary") === origin &&
      (r.method === undefined || r.method.toUpperCase() === method) &&
      matches(r.path, url.pathname)
    );
    if (i >= 0) {
      const rule = rules[i];
      rule.times = (rule.times ?? 1) - 1;
      if (rule.times <= 0) rules.splice(i, 1);
      action = rule.response;
    } else if (opts.onRequest) {
      action = await opts.onRequest({
        origin,
        method,
        path: url.pathname,
        query: rec.query,
        headers: rec.headers,
        body,
      });
    }
    if (action === "drop") {
      rec.action = "drop";
      req.socket.destroy();
      return;
    }
    if (action !== undefined && action !== "pass") {
      rec.action = "injected";
      return answer(res, rec, action);
    }

    if (origin === "primary") {
      const r = redirect;
      const isBlob = BLOB_RE.test(url.pathname) && !UPLOAD_RE.test(url.pathname);
      const doRedirect = r !== undefined && (
        (isBlob && method === "GET" && r.blobGet) ||
        (isBlob && method === "HEAD" && r.blobHead) ||
        (UPLOAD_RE.test(url.pathname) && (method === "PUT" || method === "PATCH") && r.uploads)
      );
      if (doRedirect) {
        const sig = crypto.randomUUID();
        signatures.set(sig, req.headers.authorization);
        const q = new URLSearchParams(url.search);
        q.set(SIG, sig);
        rec.action = "redirect";
        return answer(res, rec, {
          status: r!.status ?? 307,
          headers: { location: `${secondaryBase}${url.pathname}?${q}` },
        });
      }
      return forward(req, res, rec, url.pathname + url.search, body, {});
    }

    // Secondary origin: only pre-signed (redirected) URLs are served.
    const sig = url.searchParams.get(SIG);
    if (sig === null || !signatures.has(sig)) {
      rec.action = "forbidden";
      return answer(res, rec, {
        status: 403,
        body: JSON.stringify({ errors: [{ code: "DENIED", message: "missing signature" }] }),
      });
    }
    url.searchParams.delete(SIG);
    forward(req, res, rec, url.pathname + url.search, body, {
      host: primaryHost,
      authorization: signatures.get(sig),
    });
  };

  const serve = (origin: ProxyOrigin): Server =>
    createServer((req, res) => {
      handle(origin, req, res).catch((e) => {
        if (!res.headersSent) {
          res.writeHead(500, { connection: "close", "content-type": "text/plain" });
          res.end(String(e));
        } else res.destroy();
      });
    });

  const primary = serve("primary");
  const secondary = serve("secondary");
  const p1 = await listen(primary);
  let p2: number;
  try {
    p2 = await listen(secondary);
  } catch (e) {
    primary.close();
    throw e;
  }
  primaryHost = `127.0.0.1:${p1}`;
  secondaryBase = `http://127.0.0.1:${p2}`;
  let stopped = false;

  const close = (s: Server): Promise<void> =>
    new Promise((resolve) => {
      s.close(() => resolve());
      (s as { closeAllConnections?: () => void }).closeAllConnections?.();
    });

  return {
    host: primaryHost,
    url: `http://${primaryHost}`,
    secondaryHost: `127.0.0.1:${p2}`,
    secondaryUrl: secondaryBase,
    requests,
    count(
      method?: string,
      path?: string | RegExp,
      origin: ProxyOrigin | "any" = "primary",
    ): number {
      return requests.filter((r) =>
        (origin === "any" || r.origin === origin) &&
        (method === undefined || r.method === method.toUpperCase()) &&
        matches(path, r.path)
      ).length;
    },
    inject(rule: FaultRule): void {
      rules.push({ ...rule });
    },
    setMaxBodyBytes(n: number | undefined): void {
      maxBody = n;
    },
    setRedirect(r: RedirectOptions | undefined): void {
      redirect = r;
    },
    clear(): void {
      requests.length = 0;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await Promise.all([close(primary), close(secondary)]);
    },
  };
}
