// A tiny node:http server on 127.0.0.1 for transport unit tests. It records
// every request (method, URL, headers, body) and answers with a handler.

import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

export interface TestServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  host: string;
  seen: Seen[];
  close(): Promise<void>;
}

export type Handler = (req: Seen, res: ServerResponse) => void | Promise<void>;

export function startServer(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", async () => {
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const body = new Uint8Array(total);
      let o = 0;
      for (const c of chunks) {
        body.set(c, o);
        o += c.length;
      }
      const s: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(s);
      try {
        await handler(s, res);
      } catch (e) {
        res.statusCode = 599;
        res.end(String(e));
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        host: `127.0.0.1:${port}`,
        seen,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Answers with a status, headers and an optional body. */
export function reply(
  res: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
  body = "",
): void {
  res.writeHead(status, {
    "content-length": String(new TextEncoder().encode(body).length),
    ...headers,
  });
  res.end(body);
}
