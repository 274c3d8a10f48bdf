/**
 * Media types of the Docker image manifest v2 schema 2 and of the OCI image
 * spec. The Docker names keep the seed's constant names.
 *
 * @module
 */

/** Docker schema 2 manifest. */
export const MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker manifest list (multi-platform). */
export const MediaTypeDockerManifestList =
  "application/vnd.docker.distribution.manifest.list.v2+json";
/** Docker image config. */
export const MediaTypeDockerImageConfig = "application/vnd.docker.container.image.v1+json";
/** Docker gzip-compressed layer. */
export const MediaTypeDockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/** Docker uncompressed layer. */
export const MediaTypeDockerLayerUncompressed = "application/vnd.docker.image.rootfs.diff.tar";

/** OCI image manifest. */
export const MediaTypeOCIManifest = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index. */
export const MediaTypeOCIIndex = "application/vnd.oci.image.index.v1+json";
/** OCI image config. */
export const MediaTypeOCIConfig = "application/vnd.oci.image.config.v1+json";
/** OCI gzip-compressed layer. */
export const MediaTypeOCILayer = "application/vnd.oci.image.layer.v1.tar+gzip";
/** OCI uncompressed layer. */
export const MediaTypeOCILayerUncompressed = "application/vnd.oci.image.layer.v1.tar";

/** The seed's name for {@link MediaTypeDockerManifest}. */
export const MediaTypeManifest: typeof MediaTypeDockerManifest = MediaTypeDockerManifest;
/** The seed's name for {@link MediaTypeDockerImageConfig}. */
export const MediaTypeImageConfig: typeof MediaTypeDockerImageConfig = MediaTypeDockerImageConfig;
/** The seed's name for {@link MediaTypeDockerLayer}. */
export const MediaTypeLayer: typeof MediaTypeDockerLayer = MediaTypeDockerLayer;

/** The two manifest families scratchbuild writes. */
export type ImageFormat = "docker" | "oci";

/** Layer compression. */
export type Compression = "gzip" | "none";

/** The media types used for one image format. */
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
