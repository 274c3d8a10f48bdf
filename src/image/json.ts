/**
 * Canonical JSON: object keys sorted by code point at every depth, no
 * insignificant whitespace, `undefined` members dropped. The same value always
 * serialises to the same bytes, so config and manifest digests are stable.
 *
 * @module
 */

/**
 * Serialises a value canonically to UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { canonicalJSON } from "./json.ts";
 * const bytes = canonicalJSON({ b: 1, a: [true, null] });
 * console.log(new TextDecoder().decode(bytes)); // {"a":[true,null],"b":1}
 * ```
 */
export function canonicalJSON(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalString(value));
}

/**
 * Serialises a value canonically to a string.
 *
 * @example
 * ```ts
 * import { canonicalString } from "./json.ts";
 * console.log(canonicalString({ z: "x", y: { b: 2, a: 1 } })); // {"y":{"a":1,"b":2},"z":"x"}
 * ```
 */
export function canonicalString(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
