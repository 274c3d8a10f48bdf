/**
 * Deterministic gzip over fflate. The input is cut into fixed-size blocks and
 * each block is compressed on its own with `gzipSync` (mtime 0, no file
 * name, a fixed level), giving a multi-member gzip stream that every gunzip
 * reads as one. Because the blocks are fixed, the bytes depend only on the
 * input and the level: never on how the input arrived in chunks, nor on the
 * runtime. Fixed blocks also let blocks be compressed in parallel.
 *
 * Neither fflate's streaming classes nor the web Compression Streams API is
 * used, on purpose: the former have an open corruption bug (fflate #260/#282)
 * and chunk-dependent output, the latter's bytes differ per runtime.
 *
 * @module
 */

import { gzipSync } from "fflate";
import { concatBytes } from "../bytes.ts";
import { UsageError } from "../errors.ts";

/**
 * The default block size: 1 MiB, about 0.1 % larger than one gzip member.
 *
 * @example
 * ```ts
 * import { DEFAULT_BLOCK_SIZE } from "./gzip.ts";
 * console.log(DEFAULT_BLOCK_SIZE); // 1048576
 * ```
 */
export const DEFAULT_BLOCK_SIZE = 1024 * 1024;

/**
 * The default compression level.
 *
 * @example
 * ```ts
 * import { DEFAULT_LEVEL } from "./gzip.ts";
 * console.log(DEFAULT_LEVEL); // 6
 * ```
 */
export const DEFAULT_LEVEL = 6;

/**
 * Options for deterministic gzip.
 *
 * @example
 * ```ts
 * import { gzipBlocks, type GzipOptions } from "./gzip.ts";
 * const options: GzipOptions = { level: 9, blockSize: 64 * 1024 };
 * console.log(gzipBlocks(new TextEncoder().encode("hello"), options).length > 0); // true
 * ```
 */
export interface GzipOptions {
  /** Compression level 0–9; default 6. */
  level?: number;
  /** Block size in bytes; default 1 MiB. Output bytes depend on it. */
  blockSize?: number;
}

type Level = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

function checkOptions(options: GzipOptions): { level: Level; blockSize: number } {
  const level = checkLevel(options.level ?? DEFAULT_LEVEL);
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1024) {
    throw new UsageError(`Cannot compress with block size ${blockSize}: use at least 1024 bytes`);
  }
  return { level, blockSize };
}

function checkLevel(level: number): Level {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new UsageError(`Cannot compress with level ${level}: use a whole number from 0 to 9`);
  }
  return level as Level;
}

/**
 * Gzips one block as one gzip member (mtime 0, no file name): the call every
 * function here makes per block, and the one a {@link BlockCompressor}
 * running elsewhere (a worker) must make to give the same bytes.
 *
 * @example
 * ```ts
 * import { gzipBlock } from "./gzip.ts";
 * import { gunzipSync } from "fflate";
 * const gz = gzipBlock(new TextEncoder().encode("hi"), 6);
 * console.log(new TextDecoder().decode(gunzipSync(gz))); // "hi"
 * ```
 */
export function gzipBlock(block: Uint8Array, level: number): Uint8Array {
  return gzipSync(block, { level: checkLevel(level), mtime: 0 });
}

/**
 * Gzips bytes deterministically, as a multi-member stream of fixed blocks.
 *
 * @example
 * ```ts
 * import { gzipBlocks } from "./gzip.ts";
 * import { gunzipSync } from "fflate";
 * const data = new TextEncoder().encode("hello hello hello");
 * const gz = gzipBlocks(data, { level: 9 });
 * console.log(new TextDecoder().decode(gunzipSync(gz))); // "hello hello hello"
 * ```
 */
export function gzipBlocks(data: Uint8Array, options: GzipOptions = {}): Uint8Array {
  const { level, blockSize } = checkOptions(options);
  const parts: Uint8Array[] = [];
  // An empty input still needs one (empty) member to be valid gzip.
  for (let offset = 0; offset < data.length || offset === 0; offset += blockSize) {
    const part = gzipBlock(data.subarray(offset, offset + blockSize), level);
    parts.push(part);
    if (data.length === 0) break;
  }
  return concatBytes(parts);
}

/**
 * Compresses single blocks somewhere else, typically on a pool of workers.
 * `compress` must return exactly `gzipBlock(block, level)` (see
 * {@link gzipBlock}); it may take ownership of `block` (e.g. transfer its
 * buffer to a worker), so callers hand it a block they no longer need.
 *
 * @example
 * ```ts
 * import { type BlockCompressor, gzipBlock, gzipBlocksParallel } from "./gzip.ts";
 * // A stand-in that compresses on the calling thread.
 * const inline: BlockCompressor = {
 *   compress: (block, level) => Promise.resolve(gzipBlock(block, level)),
 * };
 * const gz = await gzipBlocksParallel(new Uint8Array(5 << 20), { compressor: inline });
 * console.log(gz[0] === 0x1f && gz[1] === 0x8b); // true
 * ```
 */
export interface BlockCompressor {
  /** Gzips one block as `gzipBlock(block, level)` would; may detach `block`'s buffer. */
  compress(block: Uint8Array, level: number): Promise<Uint8Array>;
  /** How many blocks it compresses at once; sets how many are handed over at a time (default 4). */
  readonly concurrency?: number;
  /** Releases its resources (terminates workers). */
  close?(): void | Promise<void>;
}

/**
 * Options of {@link gzipBlocksParallel}.
 *
 * @example
 * ```ts
 * import type { ParallelGzipOptions } from "./gzip.ts";
 * const options: ParallelGzipOptions = { level: 6, minParallelBlocks: 3 };
 * console.log(options.compressor === undefined); // true
 * ```
 */
export interface ParallelGzipOptions extends GzipOptions {
  /** Where blocks are compressed; without one, on the calling thread. */
  compressor?: BlockCompressor;
  /** Use the compressor only from this many blocks on (default 3); smaller inputs stay inline. */
  minParallelBlocks?: number;
}

/**
 * Gzips bytes into exactly what {@link gzipBlocks} gives, compressing the
 * blocks on `compressor` (e.g. a worker pool) when one is given and the input
 * has at least `minParallelBlocks` blocks. Blocks keep their input order.
 * Without a compressor this is `gzipBlocks`.
 *
 * @example
 * ```ts
 * import { gzipBlocks, gzipBlocksParallel } from "./gzip.ts";
 * const data = new TextEncoder().encode("hello hello hello");
 * const gz = await gzipBlocksParallel(data, { level: 9 });
 * console.log(gz.join() === gzipBlocks(data, { level: 9 }).join()); // true
 * ```
 */
export async function gzipBlocksParallel(
  data: Uint8Array,
  options: ParallelGzipOptions = {},
): Promise<Uint8Array> {
  const { level, blockSize } = checkOptions(options);
  const compressor = options.compressor;
  const count = Math.max(1, Math.ceil(data.length / blockSize));
  const minBlocks = options.minParallelBlocks ?? 3;
  if (!compressor || count < minBlocks) return gzipBlocks(data, { level, blockSize });
  const parts: Uint8Array[] = new Array(count);
  let next = 0;
  let failed = false;
  // Two blocks per slot in flight keep every worker busy without copying
  // the whole input at once.
  const lanes = Math.min(count, Math.max(1, (compressor.concurrency ?? 4) * 2));
  const lane = async (): Promise<void> => {
    while (next < count && !failed) {
      const i = next++;
      // A copy: the compressor may detach it, and `data` stays intact.
      const block = data.slice(i * blockSize, (i + 1) * blockSize);
      try {
        parts[i] = await compressor.compress(block, level);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return concatBytes(parts);
}

/**
 * A `TransformStream` that gzips whatever arrives into exactly the bytes
 * {@link gzipBlocks} gives for the whole input, whatever the chunking.
 *
 * @example
 * ```ts
 * import { gzipBlockStream } from "./gzip.ts";
 * const input = new Blob([new Uint8Array(10), new Uint8Array(5)]).stream();
 * const gz = new Uint8Array(await new Response(input.pipeThrough(gzipBlockStream())).arrayBuffer());
 * console.log(gz[0] === 0x1f && gz[1] === 0x8b); // true
 * ```
 */
export function gzipBlockStream(
  options: GzipOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const { level, blockSize } = checkOptions(options);
  let pending = new Uint8Array(blockSize);
  let filled = 0;
  let emitted = false;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(blockSize - filled, chunk.length - offset);
        pending.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === blockSize) {
          controller.enqueue(gzipBlock(pending, level));
          emitted = true;
          pending = new Uint8Array(blockSize);
          filled = 0;
        }
      }
    },
    flush(controller) {
      if (filled > 0 || !emitted) controller.enqueue(gzipBlock(pending.subarray(0, filled), level));
    },
  });
}
