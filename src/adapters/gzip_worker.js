// @ts-check
/**
 * The worker side of the gzip pool (`gzip_pool.ts`): receives
 * `{ id, block, level }` and answers `{ id, data }` (or `{ id, error }`),
 * transferring the result. `data` is exactly what `gzipBlock(block, level)`
 * of `src/compress/gzip.ts` gives: the same fflate call, `gzipSync` with
 * mtime 0 and no file name (the tests compare them byte for byte).
 *
 * Plain JavaScript on purpose: Node 20 runs worker threads without the
 * TypeScript loader (tsx) of the main thread, so a `.ts` worker would not
 * start there. Runs as a web `Worker` (Deno, Bun) or a `node:worker_threads`
 * worker (Node); bundled as `dist/gzip_worker.js` beside `dist/cli.js`.
 *
 * @module
 */

import { parentPort } from "node:worker_threads";
import { gzipSync } from "fflate";

/** @param {{ id: number, block: Uint8Array, level: number }} msg */
function handle(msg) {
  try {
    const level = msg.level;
    if (!Number.isInteger(level) || level < 0 || level > 9) {
      throw new RangeError(`Cannot compress with level ${level}: use a whole number from 0 to 9`);
    }
    let data = gzipSync(msg.block, {
      level: /** @type {0|1|2|3|4|5|6|7|8|9} */ (level),
      mtime: 0,
    });
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice();
    post({ id: msg.id, data }, [data.buffer]);
  } catch (e) {
    post({ id: msg.id, error: String(/** @type {Error} */ (e)?.message ?? e) });
  }
}

/** @typedef {(msg: unknown, transfer?: ArrayBuffer[]) => void} Post */

// A `node:worker_threads` worker has a parentPort; a web Worker (Deno, Bun) has `self`.
const port = parentPort;
/** @type {{ postMessage: Post, onmessage: ((e: { data: any }) => void) | null }} */
const scope = /** @type {any} */ (globalThis);
/** @type {Post} */
const post = port
  ? (msg, transfer) => port.postMessage(msg, transfer)
  : (msg, transfer) => scope.postMessage(msg, transfer ?? []);
if (port) port.on("message", handle);
else scope.onmessage = (e) => handle(e.data);
