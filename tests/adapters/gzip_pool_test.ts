// The worker pool gives exactly the bytes of single-threaded gzipBlocks, in
// every runtime, and the CLI's layer digests do not change with it.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createGzipPool, type GzipPool } from "../../src/adapters/gzip_pool.ts";
import { readSources } from "../../src/adapters/fs.ts";
import { parseCommand } from "../../src/cli_args.ts";
import { imageOptions } from "../../src/cli.ts";
import { createLayer } from "../../src/layer.ts";
import {
  type BlockCompressor,
  DEFAULT_BLOCK_SIZE,
  gzipBlock,
  gzipBlocks,
  gzipBlocksParallel,
} from "../../src/compress/gzip.ts";
import { repoRoot, type TempDir, tempDir } from "../_fixtures/tools.ts";
import { CLI_RUNTIMES, runCli } from "../e2e/_helpers.ts";
import { compressibleBytes } from "../_fixtures/data.ts";

const MIB = 1024 * 1024;

const sample = compressibleBytes;

function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: bytes differ`);
}

// Node has only node:worker_threads; Deno and Bun have both, and the default is the web Worker.
const THREADS: ("web" | "node")[] =
  typeof (globalThis as { Worker?: unknown }).Worker === "function" ? ["web", "node"] : ["node"];

for (const threads of THREADS) {
  describe(`gzip pool on ${threads} workers`, () => {
    let pool: GzipPool;
    before(() => {
      pool = createGzipPool({ size: 3, threads });
    });
    after(async () => {
      await pool.close();
    });

    const sizes = [0, 1, DEFAULT_BLOCK_SIZE, DEFAULT_BLOCK_SIZE + 1, 5 * MIB + 12345];
    for (const size of sizes) {
      test(`equals gzipBlocks for ${size} bytes`, async () => {
        const data = sample(size);
        const copy = data.slice();
        for (const level of [0, 1, 6, 9]) {
          const expected = gzipBlocks(data, { level });
          // minParallelBlocks 1: even one block goes through a worker.
          const got = await gzipBlocksParallel(data, {
            level,
            compressor: pool,
            minParallelBlocks: 1,
          });
          sameBytes(got, expected, `size ${size} level ${level}`);
        }
        sameBytes(data, copy, "input left intact");
      });
    }

    test("equals gzipBlocks with a small block size and the default threshold", async () => {
      const data = sample(300 * 1024 + 7);
      const expected = gzipBlocks(data, { blockSize: 4096, level: 5 });
      const got = await gzipBlocksParallel(data, { blockSize: 4096, level: 5, compressor: pool });
      sameBytes(got, expected, "75 blocks of 4 KiB");
    });

    test("a bad level is refused by the worker itself", async () => {
      await assert.rejects(pool.compress(sample(10), 11), /level 11/);
    });

    test("a missing worker module rejects instead of hanging", async () => {
      const bad = createGzipPool({
        size: 1,
        threads,
        workerUrl: new URL("./no_such_worker.js", import.meta.url),
      });
      try {
        await assert.rejects(bad.compress(sample(100), 6));
      } finally {
        await bad.close();
      }
    });
  });
}

describe("gzipBlocksParallel", () => {
  let pool: GzipPool;
  before(() => {
    pool = createGzipPool({ size: 2 });
  });
  after(async () => {
    await pool.close();
  });

  test("the default pool (auto threads) equals gzipBlocks for ~5 MiB", async () => {
    const data = sample(5 * MIB + 999);
    sameBytes(await gzipBlocksParallel(data, { compressor: pool }), gzipBlocks(data), "5 MiB");
  });

  test("without a compressor it is gzipBlocks", async () => {
    const data = sample(2 * MIB + 3);
    sameBytes(await gzipBlocksParallel(data), gzipBlocks(data), "no compressor");
  });

  test("keeps input order even when blocks finish out of order", async () => {
    const data = sample(6 * 4096);
    let calls = 0;
    const shuffled: BlockCompressor = {
      concurrency: 3,
      async compress(block, level) {
        const delay = (calls++ * 7) % 5;
        await new Promise((r) => setTimeout(r, delay));
        return gzipBlock(block, level);
      },
    };
    const got = await gzipBlocksParallel(data, { blockSize: 4096, compressor: shuffled });
    sameBytes(got, gzipBlocks(data, { blockSize: 4096 }), "out of order");
  });

  test("a compressor failure rejects", async () => {
    const broken: BlockCompressor = { compress: () => Promise.reject(new Error("boom")) };
    await assert.rejects(
      gzipBlocksParallel(sample(4 * 4096), { blockSize: 4096, compressor: broken }),
      /boom/,
    );
  });

  test("a bad level is refused by the worker path too", async () => {
    await assert.rejects(
      gzipBlocksParallel(sample(10), { level: 11, compressor: pool, minParallelBlocks: 1 }),
      /level 11/,
    );
  });
});

describe("CLI layer digests with the worker pool", () => {
  let tmp: TempDir;
  before(() => {
    tmp = tempDir("sb-pool-");
    mkdirSync(join(tmp.path, "big", "app"), { recursive: true });
    writeFileSync(join(tmp.path, "big", "app", "blob"), sample(5 * MIB + 4321));
    writeFileSync(join(tmp.path, "big", "app", "small.txt"), "small\n");
  });
  after(() => tmp.cleanup());

  const inputs = [
    { name: "testdata/rootfs", dir: () => join(repoRoot(), "testdata", "rootfs") },
    { name: "a ~5 MiB tree", dir: () => join(tmp.path, "big") },
  ];
  for (const input of inputs) {
    test(`${input.name}: every runtime's CLI gives the single-threaded library's layer`, async () => {
      const args = (out: string): string[] => [
        "build",
        input.dir(),
        "--entrypoint",
        "/bin/hello",
        "--mtime",
        "1700000000",
        "--format",
        "oci",
        "--created",
        "2024-01-01T00:00:00Z",
        "--json",
        "-q",
        "-o",
        `oci:${out}`,
      ];
      // The library path, single-threaded: no compressor.
      const cmd = parseCommand(args(join(tmp.path, "unused")), {});
      assert.equal(cmd.kind, "build");
      if (cmd.kind !== "build") return;
      const plan = cmd.plan;
      const options = imageOptions(plan, await readSources(plan.sources));
      const layer = await createLayer(options.entries, options);
      const digests = new Set<string>();
      for (const rt of CLI_RUNTIMES) {
        // A CLI held open by its workers would hit runCli's timeout and fail here.
        const r = await runCli(rt, args(join(tmp.path, `out-${rt.name}`)));
        assert.equal(r.code, 0, `${rt.name}: ${r.stderr}`);
        const report = JSON.parse(r.stdout);
        assert.equal(report.layers[0].digest, layer.digest, `${rt.name}: layer digest`);
        assert.equal(report.layers[0].diffID, layer.diffID, `${rt.name}: diff_id`);
        assert.equal(report.layers[0].size, layer.size, `${rt.name}: layer size`);
        digests.add(report.digest);
      }
      assert.equal(digests.size, 1, "one manifest digest across runtimes");
    });
  }
});
