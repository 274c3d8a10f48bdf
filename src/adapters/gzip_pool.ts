/**
 * A pool of worker threads that compresses gzip blocks in parallel: the
 * runtime-specific {@link BlockCompressor} the CLI hands to `createImage`.
 * Uses the web `Worker` where the runtime has one (Deno, Bun) and
 * `node:worker_threads` otherwise (Node): Deno also provides the latter, but
 * its messages are about 100 times slower (~80 ms per 1 MiB block). Workers
 * start on the first block, one per block in flight up to the pool size;
 * `close()` terminates them. On Node and Bun idle workers do not keep the
 * process alive.
 *
 * The worker module is `gzip_worker.js` beside this module: in `src/adapters/`
 * when running the sources, in `dist/` beside the bundle (scripts/build.mjs
 * emits it as its own entry point).
 *
 * @module
 */

import os from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import type { BlockCompressor } from "../compress/gzip.ts";

/** Most workers a pool starts by default. */
const MAX_DEFAULT_WORKERS = 8;

/**
 * Options of {@link createGzipPool}.
 *
 * @example
 * ```ts
 * import type { GzipPoolOptions } from "./gzip_pool.ts";
 * const options: GzipPoolOptions = { size: 2 };
 * console.log(options.size); // 2
 * ```
 */
export interface GzipPoolOptions {
  /** Number of workers; default the available parallelism, at most 8. */
  size?: number;
  /** The worker module; default `gzip_worker.js` beside this module. */
  workerUrl?: URL;
  /** `web` (the global `Worker`) or `node` (`node:worker_threads`); default web when there is one. */
  threads?: "web" | "node";
}

/**
 * A {@link BlockCompressor} backed by worker threads.
 *
 * @example
 * ```ts
 * import { createGzipPool, type GzipPool } from "./gzip_pool.ts";
 * const pool: GzipPool = createGzipPool({ size: 1 });
 * console.log(pool.concurrency); // 1
 * await pool.close();
 * ```
 */
export interface GzipPool extends BlockCompressor {
  /** Number of workers the pool may run. */
  readonly concurrency: number;
  /** Terminates every worker; later `compress` calls start new ones. */
  close(): Promise<void>;
}

interface Task {
  id: number;
  block: Uint8Array;
  level: number;
  resolve(data: Uint8Array): void;
  reject(error: Error): void;
}

/** One worker thread, whichever API started it. */
interface Thread {
  post(message: unknown, transfer: ArrayBuffer[]): void;
  /** Keep the process alive while a block is out (a no-op where unsupported). */
  ref(): void;
  unref(): void;
  terminate(): Promise<void>;
}

interface ThreadEvents {
  message(reply: Reply): void;
  error(error: Error): void;
}

interface Slot {
  thread: Thread;
  task?: Task;
}

type Reply = { id: number; data: Uint8Array; error?: undefined } | { id: number; error: string };

/**
 * The default pool size: the available parallelism, at most 8.
 *
 * @example
 * ```ts
 * import { defaultPoolSize } from "./gzip_pool.ts";
 * console.log(defaultPoolSize() >= 1); // true
 * ```
 */
export function defaultPoolSize(): number {
  const n = typeof os.availableParallelism === "function"
    ? os.availableParallelism()
    : os.cpus().length;
  return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, n || 1));
}

type WebWorker = {
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  ref?(): void;
  unref?(): void;
};
type WebWorkerConstructor = new (url: URL, options: { type: "module" }) => WebWorker;

function webWorkerConstructor(): WebWorkerConstructor | undefined {
  const ctor = (globalThis as { Worker?: unknown }).Worker;
  return typeof ctor === "function" ? ctor as WebWorkerConstructor : undefined;
}

function startWebThread(ctor: WebWorkerConstructor, url: URL, on: ThreadEvents): Thread {
  const worker = new ctor(url, { type: "module" });
  worker.onmessage = (event) => on.message(event.data as Reply);
  worker.onerror = (event) => {
    // Handled here: otherwise Deno rethrows a worker's error in the main thread.
    event.preventDefault();
    on.error(new Error(`gzip worker: ${event.message || "failed"}`));
  };
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    ref: () => worker.ref?.(),
    unref: () => worker.unref?.(),
    terminate: () => Promise.resolve(worker.terminate()),
  };
}

function startNodeThread(url: URL, on: ThreadEvents): Thread {
  const worker = new NodeWorker(url);
  worker.on("message", (reply: Reply) => on.message(reply));
  worker.on("error", (e: Error) => on.error(e));
  worker.on("exit", (code: number) => on.error(new Error(`gzip worker exited with code ${code}`)));
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

function defaultWorkerUrl(): URL {
  // Same name in both layouts: src/adapters/gzip_worker.js and dist/gzip_worker.js.
  return new URL("./gzip_worker.js", import.meta.url);
}

/**
 * Starts a pool of gzip workers (lazily: no thread starts before the first
 * block). Give it to `createImage({ compressor })` and close it afterwards.
 *
 * @example
 * ```ts
 * import { createGzipPool } from "./gzip_pool.ts";
 * import { gzipBlocks, gzipBlocksParallel } from "../compress/gzip.ts";
 * const data = new Uint8Array(3 << 20).map((_, i) => i % 251);
 * const pool = createGzipPool({ size: 2 });
 * try {
 *   const gz = await gzipBlocksParallel(data, { compressor: pool });
 *   console.log(gz.join() === gzipBlocks(data).join()); // true
 * } finally {
 *   await pool.close();
 * }
 * ```
 */
export function createGzipPool(options: GzipPoolOptions = {}): GzipPool {
  const size = Math.max(1, Math.floor(options.size ?? defaultPoolSize()));
  const workerUrl = options.workerUrl ?? defaultWorkerUrl();
  const webCtor = options.threads === "node" ? undefined : webWorkerConstructor();
  if (options.threads === "web" && !webCtor) {
    throw new Error("Cannot start web workers: this runtime has no global Worker");
  }
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 0;

  const fail = (slot: Slot, error: Error): void => {
    const i = slots.indexOf(slot);
    if (i < 0) return;
    slots.splice(i, 1);
    slot.task?.reject(error);
    slot.task = undefined;
    void slot.thread.terminate();
    // A worker that cannot start will not start for the others either.
    for (const task of queue.splice(0)) task.reject(error);
  };

  const start = (): Slot => {
    const events: ThreadEvents = {
      message(reply) {
        const task = slot.task;
        if (!task || task.id !== reply.id) return;
        slot.task = undefined;
        if (reply.error !== undefined) task.reject(new Error(`gzip worker: ${reply.error}`));
        else task.resolve(reply.data);
        dispatch();
      },
      error: (e) => fail(slot, e),
    };
    const thread = webCtor
      ? startWebThread(webCtor, workerUrl, events)
      : startNodeThread(workerUrl, events);
    const slot: Slot = { thread };
    slots.push(slot);
    return slot;
  };

  const dispatch = (): void => {
    while (queue.length > 0) {
      let slot = slots.find((s) => !s.task);
      if (!slot && slots.length < size) slot = start();
      if (!slot) break;
      const task = queue.shift()!;
      slot.task = task;
      const { block } = task;
      // Transfer the block's buffer when it is the block alone; copy otherwise.
      const whole = block.byteOffset === 0 && block.byteLength === block.buffer.byteLength &&
        block.buffer instanceof ArrayBuffer;
      slot.thread.ref();
      slot.thread.post(
        { id: task.id, block, level: task.level },
        whole ? [block.buffer as ArrayBuffer] : [],
      );
    }
    // Idle workers must not keep the process alive.
    for (const s of slots) if (!s.task) s.thread.unref();
  };

  return {
    concurrency: size,
    compress(block: Uint8Array, level: number): Promise<Uint8Array> {
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ id: nextId++, block, level, resolve, reject });
        dispatch();
      });
    },
    async close(): Promise<void> {
      const closing = slots.splice(0);
      const error = new Error("gzip pool closed");
      for (const task of queue.splice(0)) task.reject(error);
      for (const s of closing) s.task?.reject(error);
      await Promise.all(closing.map((s) => s.thread.terminate()));
    },
  };
}
