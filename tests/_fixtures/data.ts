/**
 * Deterministic test data.
 *
 * @module
 */

/** Compressible but not trivial bytes: a repeating pattern with a pseudo-random walk. */
export function compressibleBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 12345;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 7 === 0 ? x >>> 24 : (i * 31) & 0xff;
  }
  return out;
}

/** Deterministic bytes that gzip cannot shrink (xorshift32). */
export function incompressibleBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
