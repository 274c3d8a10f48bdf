/**
 * A built image held in memory: every blob's bytes plus the manifest that ties
 * them together. This is what the local outputs write and what a registry
 * push uploads; nothing here knows where the image goes next.
 *
 * @module
 */

import { type Digest, sha256 } from "../digest.ts";
import { canonicalJSON } from "./json.ts";
import { type ImageFormat, mediaTypesFor } from "./media_types.ts";
import type { Descriptor, ImageConfig, Manifest } from "./types.ts";

/**
 * A layer ready to be written or pushed.
 *
 * @example
 * ```ts
 * import type { Layer } from "./image.ts";
 * import { sha256 } from "../digest.ts";
 * const tar = new Uint8Array(1024);
 * const digest = await sha256(tar);
 * const layer: Layer = {
 *   mediaType: "application/vnd.oci.image.layer.v1.tar",
 *   digest,
 *   size: tar.length,
 *   diffID: digest,
 *   data: tar,
 * };
 * console.log(layer.digest === layer.diffID); // true
 * ```
 */
export interface Layer {
  /** Layer media type (gzip or uncompressed, Docker or OCI). */
  mediaType: string;
  /** Digest of `data`, the blob as stored in a registry. */
  digest: Digest;
  /** Size of `data` in bytes. */
  size: number;
  /** Digest of the uncompressed tar (the config's `rootfs.diff_ids` entry). */
  diffID: Digest;
  /** The blob bytes (compressed when the media type says so). */
  data: Uint8Array;
  /** The uncompressed tar, when it is at hand (docker-archive needs it). */
  tar?: Uint8Array;
}

/**
 * A raw blob with its descriptor.
 *
 * @example
 * ```ts
 * import type { BlobWithBytes } from "./image.ts";
 * import { sha256 } from "../digest.ts";
 * const bytes = new TextEncoder().encode("{}");
 * const blob: BlobWithBytes = {
 *   descriptor: {
 *     mediaType: "application/vnd.oci.image.config.v1+json",
 *     digest: await sha256(bytes),
 *     size: bytes.length,
 *   },
 *   bytes,
 * };
 * console.log(blob.descriptor.size === blob.bytes.length); // true
 * ```
 */
export interface BlobWithBytes {
  /** The descriptor of `bytes`. */
  descriptor: Descriptor;
  /** The exact bytes. */
  bytes: Uint8Array;
}

/**
 * A complete single-platform image.
 *
 * @example
 * ```ts
 * import { assembleImage, type Image } from "./image.ts";
 * const image: Image = await assembleImage(
 *   { os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] } },
 *   [],
 * );
 * console.log(image.format, image.layers.length); // docker 0
 * ```
 */
export interface Image {
  /** Docker schema 2 or OCI. */
  format: ImageFormat;
  /** The parsed config. */
  config: ImageConfig;
  /** The config blob: exact bytes and descriptor. */
  configBlob: BlobWithBytes;
  /** Layers, base first. */
  layers: Layer[];
  /** The parsed manifest. */
  manifest: Manifest;
  /** The manifest: exact bytes (the ones hashed and pushed) and descriptor. */
  manifestBlob: BlobWithBytes;
}

/**
 * Options of {@link assembleImage}.
 *
 * @example
 * ```ts
 * import { assembleImage, type AssembleOptions } from "./image.ts";
 * const options: AssembleOptions = {
 *   format: "oci",
 *   annotations: { "org.opencontainers.image.title": "hello" },
 * };
 * const image = await assembleImage(
 *   { os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] } },
 *   [],
 *   options,
 * );
 * console.log(image.manifest.annotations); // { "org.opencontainers.image.title": "hello" }
 * ```
 */
export interface AssembleOptions {
  /** Manifest family; default `docker`. */
  format?: ImageFormat;
  /** Manifest annotations (OCI only; ignored for Docker). */
  annotations?: Record<string, string>;
}

/**
 * Ties a config and layers together: sets `rootfs.diff_ids` from the layers,
 * serialises the config and manifest canonically and computes their digests.
 *
 * @example
 * ```ts
 * import { assembleImage } from "./image.ts";
 * const image = await assembleImage({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] } }, []);
 * console.log(image.manifestBlob.descriptor.digest.startsWith("sha256:")); // true
 * ```
 */
export async function assembleImage(
  config: ImageConfig,
  layers: Layer[],
  options: AssembleOptions = {},
): Promise<Image> {
  const format = options.format ?? "docker";
  const types = mediaTypesFor(format);
  const fullConfig: ImageConfig = {
    ...config,
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffID) },
  };
  const configBytes = canonicalJSON(fullConfig);
  const configDescriptor: Descriptor = {
    mediaType: types.config,
    digest: await sha256(configBytes),
    size: configBytes.length,
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: configDescriptor,
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  if (format === "oci" && options.annotations && Object.keys(options.annotations).length > 0) {
    manifest.annotations = { ...options.annotations };
  }
  const manifestBytes = canonicalJSON(manifest);
  return {
    format,
    config: fullConfig,
    configBlob: { descriptor: configDescriptor, bytes: configBytes },
    layers,
    manifest,
    manifestBlob: {
      descriptor: {
        mediaType: types.manifest,
        digest: await sha256(manifestBytes),
        size: manifestBytes.length,
      },
      bytes: manifestBytes,
    },
  };
}

/**
 * The same image with the other family's media types: the layer and config
 * bytes stay the same (so do their digests); only the manifest changes. OCI
 * layouts need this, since their readers (skopeo, umoci) accept only OCI
 * manifests there.
 *
 * @example
 * ```ts
 * import { assembleImage, convertImage } from "./image.ts";
 * const docker = await assembleImage({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] } }, []);
 * const oci = await convertImage(docker, "oci");
 * console.log(oci.manifest.mediaType); // application/vnd.oci.image.manifest.v1+json
 * ```
 */
export async function convertImage(
  image: Image,
  format: ImageFormat,
  options: Omit<AssembleOptions, "format"> = {},
): Promise<Image> {
  if (image.format === format) return image;
  const from = mediaTypesFor(image.format);
  const to = mediaTypesFor(format);
  const layers = image.layers.map((l) => ({
    ...l,
    mediaType: l.mediaType === from.layerGzip
      ? to.layerGzip
      : l.mediaType === from.layerTar
      ? to.layerTar
      : l.mediaType,
  }));
  return await assembleImage(image.config, layers, { ...options, format });
}
