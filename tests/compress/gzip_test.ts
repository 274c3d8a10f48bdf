import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "fflate";
import { gzipBlocks, gzipBlockStream } from "../../src/compress/gzip.ts";
import { UsageError } from "../../src/errors.ts";
import { concatBytes } from "../../src/bytes.ts";
import { compressibleBytes } from "../_fixtures/data.ts";

const sample = compressibleBytes;

async function streamed(data: Uint8Array, chunk: number, blockSize?: number): Promise<Uint8Array> {
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < data.length; i += chunk) c.enqueue(data.slice(i, i + chunk));
      c.close();
    },
  });
  const parts: Uint8Array[] = [];
  const reader = input.pipeThrough(gzipBlockStream({ blockSize })).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return concatBytes(parts);
}

// Input goes through a file: Deno's spawnSync can deadlock on large stdin.
function withFile<T>(bytes: Uint8Array, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "sb-gz-"));
  try {
    const path = join(dir, "data.gz");
    writeFileSync(path, bytes);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function systemGunzip(gz: Uint8Array): Uint8Array {
  return withFile(gz, (path) => {
    const t = spawnSync("gzip", ["-t", path]);
    assert.equal(t.status, 0, `gzip -t: ${t.stderr}`);
    const r = spawnSync("gzip", ["-dc", path], { maxBuffer: 1 << 28 });
    assert.equal(r.status, 0);
    return new Uint8Array(r.stdout);
  });
}

describe("deterministic gzip", () => {
  const data = sample(3 * 1024 * 1024 + 777);

  test("system gunzip reads the multi-member output back exactly", () => {
    const gz = gzipBlocks(data);
    assert.deepEqual(systemGunzip(gz), data);
  });

  test("Python's gzip reads it too", () => {
    const script =
      "import sys,gzip;sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1],'rb').read()))";
    const r = withFile(
      gzipBlocks(data),
      (path) => spawnSync("python3", ["-c", script, path], { maxBuffer: 1 << 28 }),
    );
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual(new Uint8Array(r.stdout), data);
  });

  test("the bytes do not depend on how the input is chunked", async () => {
    const whole = gzipBlocks(data, { blockSize: 64 * 1024 });
    for (const chunk of [1000, 65536, 65537, 1 << 20, data.length]) {
      assert.deepEqual(await streamed(data, chunk, 64 * 1024), whole, `chunk ${chunk}`);
    }
  });

  test("header has mtime 0 and no file name", () => {
    const gz = gzipBlocks(new Uint8Array([1, 2, 3]));
    assert.deepEqual([...gz.subarray(0, 3)], [0x1f, 0x8b, 8]);
    assert.equal(gz[3] & 0x08, 0, "FNAME flag");
    assert.deepEqual([...gz.subarray(4, 8)], [0, 0, 0, 0]);
  });

  test("one block is exactly fflate's gzipSync at that level", () => {
    const small = sample(5000);
    assert.deepEqual(gzipBlocks(small, { level: 9 }), gzipSync(small, { level: 9, mtime: 0 }));
    assert.notDeepEqual(gzipBlocks(small, { level: 1 }), gzipBlocks(small, { level: 9 }));
  });

  test("empty input is a valid gzip of nothing", async () => {
    const gz = gzipBlocks(new Uint8Array(0));
    assert.equal(gunzipSync(gz).length, 0);
    assert.deepEqual(systemGunzip(gz), new Uint8Array(0));
    assert.deepEqual(await streamed(new Uint8Array(0), 1), gz);
  });

  test("bad levels are refused", () => {
    assert.throws(() => gzipBlocks(data, { level: 10 }), UsageError);
    assert.throws(() => gzipBlocks(data, { level: 1.5 }), /whole number from 0 to 9/);
  });
});
