/**
 * SHA-256 content digests in the `sha256:<hex>` form used by the OCI specs,
 * computed with the Web Crypto API so the same code runs on every runtime.
 *
 * @module
 */

/**
 * A content digest, `sha256:` followed by 64 lowercase hex characters.
 *
 * @example
 * ```ts
 * import { type Digest, digestHex } from "./digest.ts";
 * const digest: Digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
 * console.log(digestHex(digest).length); // 64
 * ```
 */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/**
 * Computes the `sha256:` digest of some bytes.
 *
 * @example
 * ```ts
 * import { sha256 } from "./digest.ts";
 * const d = await sha256(new TextEncoder().encode("hello"));
 * console.log(d); // sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
 * ```
 */
export async function sha256(bytes: Uint8Array): Promise<Digest> {
  const hash = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return `sha256:${toHex(new Uint8Array(hash))}`;
}

/**
 * Checks that a string is a well-formed sha256 digest.
 *
 * @example
 * ```ts
 * import { isDigest } from "./digest.ts";
 * console.log(isDigest("sha256:" + "0".repeat(64))); // true
 * console.log(isDigest("md5:abc")); // false
 * ```
 */
export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

/**
 * The hex part of a digest, used as a file name in blob stores.
 *
 * @example
 * ```ts
 * import { digestHex } from "./digest.ts";
 * console.log(digestHex("sha256:abcd")); // "abcd"
 * ```
 */
export function digestHex(digest: Digest): string {
  return digest.slice("sha256:".length);
}

/**
 * Lowercase hex of bytes.
 *
 * @example
 * ```ts
 * import { toHex } from "./digest.ts";
 * console.log(toHex(new Uint8Array([0, 255]))); // "00ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
