/**
 * Making a layer from entries: tar, digest the tar (the diff_id), compress,
 * digest the blob. Everything is computed from the entries alone, so the same
 * files give the same layer on every runtime.
 *
 * @module
 */

import { type BlockCompressor, gzipBlocksParallel } from "./compress/gzip.ts";
import { sha256 } from "./digest.ts";
import type { Layer } from "./image/image.ts";
import { type Compression, type ImageFormat, mediaTypesFor } from "./image/media_types.ts";
import { prepareEntries, type PrepareOptions, type TarEntry } from "./tar/entry.ts";
import { tarBytes } from "./tar/writer.ts";

/**
 * Options of {@link createLayer}.
 *
 * @example
 * ```ts
 * import { createLayer, type LayerOptions } from "./layer.ts";
 * const options: LayerOptions = { format: "oci", compressionLevel: 9, uid: 1000, gid: 1000 };
 * const layer = await createLayer(
 *   [{ path: "/app", type: "file", mode: 0o755, content: new Uint8Array([1]) }],
 *   options,
 * );
 * console.log(layer.mediaType); // application/vnd.oci.image.layer.v1.tar+gzip
 * ```
 */
export interface LayerOptions extends PrepareOptions {
  /** Media type family; default `docker`. */
  format?: ImageFormat;
  /** `gzip` (default) or `none`. */
  compression?: Compression;
  /** gzip level 0–9; default 6. */
  compressionLevel?: number;
  /** Keep the uncompressed tar on the layer (docker-archive output needs it); default true. */
  keepTar?: boolean;
  /**
   * Where gzip blocks are compressed (e.g. the worker pool of
   * `src/adapters/gzip_pool.ts`); default the calling thread. The bytes are
   * the same either way.
   */
  compressor?: BlockCompressor;
}

/**
 * Builds a layer from entries.
 *
 * @example
 * ```ts
 * import { createLayer } from "./layer.ts";
 * const layer = await createLayer([
 *   { path: "/hello.txt", type: "file", mode: 0o644, content: new TextEncoder().encode("hi\n") },
 * ]);
 * console.log(layer.mediaType); // application/vnd.docker.image.rootfs.diff.tar.gzip
 * ```
 */
export async function createLayer(
  entries: Iterable<TarEntry>,
  options: LayerOptions = {},
): Promise<Layer> {
  const tar = await tarBytes(prepareEntries(entries, options));
  return await layerFromTar(tar, options);
}

/**
 * Wraps an already-made tar as a layer: computes the diff_id, compresses
 * (unless `compression: "none"`) and computes the blob digest.
 *
 * @example
 * ```ts
 * import { layerFromTar } from "./layer.ts";
 * const layer = await layerFromTar(new Uint8Array(1024), { compression: "none", format: "oci" });
 * console.log(layer.digest === layer.diffID); // true
 * ```
 */
export async function layerFromTar(
  tar: Uint8Array,
  options: Omit<LayerOptions, keyof PrepareOptions> = {},
): Promise<Layer> {
  const types = mediaTypesFor(options.format ?? "docker");
  const diffID = await sha256(tar);
  const keepTar = options.keepTar ?? true;
  if (options.compression === "none") {
    return {
      mediaType: types.layerTar,
      digest: diffID,
      size: tar.length,
      diffID,
      data: tar,
      tar: keepTar ? tar : undefined,
    };
  }
  const data = await gzipBlocksParallel(tar, {
    level: options.compressionLevel,
    compressor: options.compressor,
  });
  return {
    mediaType: types.layerGzip,
    digest: await sha256(data),
    size: data.length,
    diffID,
    data,
    tar: keepTar ? tar : undefined,
  };
}
