/**
 * The one-call builder: entries and config options in, a complete image out.
 * This is what the CLI runs and what a build script calls; it reads no files
 * itself (the fs adapter turns folders into entries).
 *
 * @module
 */

import type { BlockCompressor } from "./compress/gzip.ts";
import { buildConfig, type ConfigOptions } from "./image/config.ts";
import { assembleImage, type Image } from "./image/image.ts";
import type { Compression, ImageFormat } from "./image/media_types.ts";
import { createLayer } from "./layer.ts";
import type { TarEntry } from "./tar/entry.ts";

/**
 * Everything {@link createImage} needs.
 *
 * @example
 * ```ts
 * import { createImage, type CreateImageOptions } from "./build.ts";
 * const options: CreateImageOptions = {
 *   entries: [
 *     { path: "/hello.txt", type: "file", mode: 0o644, content: new TextEncoder().encode("hi\n") },
 *   ],
 *   cmd: ["/bin/cat", "/hello.txt"],
 *   format: "oci",
 * };
 * const image = await createImage(options);
 * console.log(image.manifest.mediaType); // application/vnd.oci.image.manifest.v1+json
 * ```
 */
export interface CreateImageOptions extends ConfigOptions {
  /** The files of the image's single layer. */
  entries: Iterable<TarEntry>;
  /** `docker` (default) or `oci` media types. */
  format?: ImageFormat;
  /** `gzip` (default) or `none`. */
  compression?: Compression;
  /** gzip level 0–9; default 6. */
  compressionLevel?: number;
  /** Owner uid of every entry; default: each entry's, else 0. */
  uid?: number;
  /** Owner gid of every entry; default: each entry's, else 0. */
  gid?: number;
  /** Modification time of every entry (seconds); default: each entry's, else 0. */
  mtime?: number;
  /** Manifest annotations (OCI only). */
  annotations?: Record<string, string>;
  /** Keep each layer's uncompressed tar in memory (docker-archive needs it); default true. */
  keepTar?: boolean;
  /** Where gzip blocks are compressed (e.g. a worker pool); default the calling thread. */
  compressor?: BlockCompressor;
}

/**
 * Builds a "FROM scratch" image with one layer holding `entries`.
 *
 * @example
 * ```ts
 * import { createImage } from "./build.ts";
 * const image = await createImage({
 *   entries: [{ path: "/app", type: "file", mode: 0o755, content: new Uint8Array([0x7f]) }],
 *   entrypoint: ["/app"],
 * });
 * console.log(image.manifestBlob.descriptor.digest.length); // 71
 * ```
 */
export async function createImage(options: CreateImageOptions): Promise<Image> {
  const format = options.format ?? "docker";
  const layer = await createLayer(options.entries, {
    format,
    compression: options.compression,
    compressionLevel: options.compressionLevel,
    uid: options.uid,
    gid: options.gid,
    mtime: options.mtime,
    keepTar: options.keepTar,
    compressor: options.compressor,
  });
  const config = buildConfig(options, 1);
  return await assembleImage(config, [layer], { format, annotations: options.annotations });
}
