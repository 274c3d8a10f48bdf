// Builds small test images without the layer builder: the registry does not
// look inside layers, it only checks that digests match.

import { sha256 } from "../../src/digest.ts";
import { assembleImage, type Image, type Layer } from "../../src/image/image.ts";
import { MediaTypeDockerLayerUncompressed } from "../../src/image/media_types.ts";

/** A layer holding `bytes` (any bytes; media type "uncompressed tar"). */
export async function rawLayer(bytes: Uint8Array): Promise<Layer> {
  const digest = await sha256(bytes);
  return {
    mediaType: MediaTypeDockerLayerUncompressed,
    digest,
    size: bytes.byteLength,
    diffID: digest,
    data: bytes,
  };
}

/** Deterministic pseudo-random bytes, so each test's blobs are its own. */
export function bytesOf(seed: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 2166136261;
  for (const c of seed) x = Math.imul(x ^ c.charCodeAt(0), 16777619) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** An image with one layer per seed. */
export async function testImage(seeds: string[], size = 1000): Promise<Image> {
  const layers = await Promise.all(seeds.map((s) => rawLayer(bytesOf(s, size))));
  return await assembleImage(
    {
      os: "linux",
      architecture: "amd64",
      config: { Env: [`SEEDS=${seeds.join(",")}`] },
      rootfs: { type: "layers", diff_ids: [] },
    },
    layers,
  );
}
