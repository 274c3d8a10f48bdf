/**
 * Media types of the Docker image manifest v2 schema 2 and of the OCI image
 * spec. The Docker names keep the seed's constant names.
 *
 * @module
 */

/**
 * Docker schema 2 manifest.
 *
 * @example
 * ```ts
 * import { MediaTypeDockerManifest } from "./media_types.ts";
 * console.log(MediaTypeDockerManifest); // application/vnd.docker.distribution.manifest.v2+json
 * ```
 */
export const MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
/**
 * Docker manifest list (multi-platform).
 *
 * @example
 * ```ts
 * import { MediaTypeDockerManifestList } from "./media_types.ts";
 * console.log(MediaTypeDockerManifestList); // application/vnd.docker.distribution.manifest.list.v2+json
 * ```
 */
export const MediaTypeDockerManifestList =
  "application/vnd.docker.distribution.manifest.list.v2+json";
/**
 * Docker image config.
 *
 * @example
 * ```ts
 * import { MediaTypeDockerImageConfig } from "./media_types.ts";
 * console.log(MediaTypeDockerImageConfig); // application/vnd.docker.container.image.v1+json
 * ```
 */
export const MediaTypeDockerImageConfig = "application/vnd.docker.container.image.v1+json";
/**
 * Docker gzip-compressed layer.
 *
 * @example
 * ```ts
 * import { MediaTypeDockerLayer } from "./media_types.ts";
 * console.log(MediaTypeDockerLayer); // application/vnd.docker.image.rootfs.diff.tar.gzip
 * ```
 */
export const MediaTypeDockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/**
 * Docker uncompressed layer.
 *
 * @example
 * ```ts
 * import { MediaTypeDockerLayerUncompressed } from "./media_types.ts";
 * console.log(MediaTypeDockerLayerUncompressed); // application/vnd.docker.image.rootfs.diff.tar
 * ```
 */
export const MediaTypeDockerLayerUncompressed = "application/vnd.docker.image.rootfs.diff.tar";

/**
 * OCI image manifest.
 *
 * @example
 * ```ts
 * import { MediaTypeOCIManifest } from "./media_types.ts";
 * console.log(MediaTypeOCIManifest); // application/vnd.oci.image.manifest.v1+json
 * ```
 */
export const MediaTypeOCIManifest = "application/vnd.oci.image.manifest.v1+json";
/**
 * OCI image index.
 *
 * @example
 * ```ts
 * import { MediaTypeOCIIndex } from "./media_types.ts";
 * console.log(MediaTypeOCIIndex); // application/vnd.oci.image.index.v1+json
 * ```
 */
export const MediaTypeOCIIndex = "application/vnd.oci.image.index.v1+json";
/**
 * OCI image config.
 *
 * @example
 * ```ts
 * import { MediaTypeOCIConfig } from "./media_types.ts";
 * console.log(MediaTypeOCIConfig); // application/vnd.oci.image.config.v1+json
 * ```
 */
export const MediaTypeOCIConfig = "application/vnd.oci.image.config.v1+json";
/**
 * OCI gzip-compressed layer.
 *
 * @example
 * ```ts
 * import { MediaTypeOCILayer } from "./media_types.ts";
 * console.log(MediaTypeOCILayer); // application/vnd.oci.image.layer.v1.tar+gzip
 * ```
 */
export const MediaTypeOCILayer = "application/vnd.oci.image.layer.v1.tar+gzip";
/**
 * OCI uncompressed layer.
 *
 * @example
 * ```ts
 * import { MediaTypeOCILayerUncompressed } from "./media_types.ts";
 * console.log(MediaTypeOCILayerUncompressed); // application/vnd.oci.image.layer.v1.tar
 * ```
 */
export const MediaTypeOCILayerUncompressed = "application/vnd.oci.image.layer.v1.tar";

/**
 * The seed's name for {@link MediaTypeDockerManifest}.
 *
 * @example
 * ```ts
 * import { MediaTypeManifest } from "./media_types.ts";
 * console.log(MediaTypeManifest); // application/vnd.docker.distribution.manifest.v2+json
 * ```
 */
export const MediaTypeManifest: typeof MediaTypeDockerManifest = MediaTypeDockerManifest;
/**
 * The seed's name for {@link MediaTypeDockerImageConfig}.
 *
 * @example
 * ```ts
 * import { MediaTypeImageConfig } from "./media_types.ts";
 * console.log(MediaTypeImageConfig); // application/vnd.docker.container.image.v1+json
 * ```
 */
export const MediaTypeImageConfig: typeof MediaTypeDockerImageConfig = MediaTypeDockerImageConfig;
/**
 * The seed's name for {@link MediaTypeDockerLayer}.
 *
 * @example
 * ```ts
 * import { MediaTypeLayer } from "./media_types.ts";
 * console.log(MediaTypeLayer); // application/vnd.docker.image.rootfs.diff.tar.gzip
 * ```
 */
export const MediaTypeLayer: typeof MediaTypeDockerLayer = MediaTypeDockerLayer;

/**
 * The two manifest families scratchbuild writes.
 *
 * @example
 * ```ts
 * import { type ImageFormat, mediaTypesFor } from "./media_types.ts";
 * const format: ImageFormat = "oci";
 * console.log(mediaTypesFor(format).config); // application/vnd.oci.image.config.v1+json
 * ```
 */
export type ImageFormat = "docker" | "oci";

/**
 * Layer compression.
 *
 * @example
 * ```ts
 * import type { Compression } from "./media_types.ts";
 * import { createLayer } from "../layer.ts";
 * const compression: Compression = "none";
 * const layer = await createLayer([], { compression });
 * console.log(layer.digest === layer.diffID); // true
 * ```
 */
export type Compression = "gzip" | "none";

/**
 * The media types used for one image format.
 *
 * @example
 * ```ts
 * import type { FormatMediaTypes } from "./media_types.ts";
 * const types: FormatMediaTypes = {
 *   manifest: "application/vnd.oci.image.manifest.v1+json",
 *   index: "application/vnd.oci.image.index.v1+json",
 *   config: "application/vnd.oci.image.config.v1+json",
 *   layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
 *   layerTar: "application/vnd.oci.image.layer.v1.tar",
 * };
 * console.log(types.layerGzip.endsWith("+gzip")); // true
 * ```
 */
export interface FormatMediaTypes {
  /** Manifest media type. */
  manifest: string;
  /** Index / manifest list media type. */
  index: string;
  /** Config media type. */
  config: string;
  /** Layer media type for gzip-compressed layers. */
  layerGzip: string;
  /** Layer media type for uncompressed layers. */
  layerTar: string;
}

/**
 * The media types of a format.
 *
 * @example
 * ```ts
 * import { mediaTypesFor } from "./media_types.ts";
 * console.log(mediaTypesFor("oci").manifest); // application/vnd.oci.image.manifest.v1+json
 * ```
 */
export function mediaTypesFor(format: ImageFormat): FormatMediaTypes {
  return format === "oci"
    ? {
      manifest: MediaTypeOCIManifest,
      index: MediaTypeOCIIndex,
      config: MediaTypeOCIConfig,
      layerGzip: MediaTypeOCILayer,
      layerTar: MediaTypeOCILayerUncompressed,
    }
    : {
      manifest: MediaTypeDockerManifest,
      index: MediaTypeDockerManifestList,
      config: MediaTypeDockerImageConfig,
      layerGzip: MediaTypeDockerLayer,
      layerTar: MediaTypeDockerLayerUncompressed,
    };
}
