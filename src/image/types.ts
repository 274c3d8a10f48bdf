/**
 * The image spec types: descriptors, image config, manifests and indexes.
 * Field names are the specs' own (`mediaType`, `diff_ids`, `Entrypoint`), so
 * values serialise to JSON without mapping. Docker schema 2 and OCI share
 * these shapes; only the media types differ.
 *
 * @module
 */

import type { Digest } from "../digest.ts";

/**
 * A platform an image runs on.
 *
 * @example
 * ```ts
 * import type { Platform } from "./types.ts";
 * const platform: Platform = { os: "linux", architecture: "arm", variant: "v7" };
 * console.log(`${platform.os}/${platform.architecture}/${platform.variant}`); // linux/arm/v7
 * ```
 */
export interface Platform {
  /** Operating system, e.g. `linux`. */
  os: string;
  /** CPU architecture in Go's naming, e.g. `amd64`, `arm64`. */
  architecture: string;
  /** CPU variant, e.g. `v7` for `linux/arm/v7`. */
  variant?: string;
  /** OS version (Windows images). */
  "os.version"?: string;
}

/**
 * A content descriptor: what a blob is, how big, and its digest.
 *
 * @example
 * ```ts
 * import type { Descriptor } from "./types.ts";
 * const descriptor: Descriptor = {
 *   mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
 *   digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 *   size: 32,
 * };
 * console.log(descriptor.mediaType, descriptor.size); // application/vnd.oci.image.layer.v1.tar+gzip 32
 * ```
 */
export interface Descriptor {
  /** Media type of the referenced content. */
  mediaType: string;
  /** Digest of the referenced content. */
  digest: Digest;
  /** Size in bytes of the referenced content. */
  size: number;
  /** Annotations (OCI only). */
  annotations?: Record<string, string>;
  /** Platform, in index entries. */
  platform?: Platform;
  /** Other locations the content can be fetched from. */
  urls?: string[];
}

/**
 * The runtime part of an image config.
 *
 * @example
 * ```ts
 * import type { ContainerConfig } from "./types.ts";
 * const config: ContainerConfig = {
 *   Entrypoint: ["/app"],
 *   Env: ["PORT=8080"],
 *   ExposedPorts: { "8080/tcp": {} },
 *   WorkingDir: "/",
 * };
 * console.log(Object.keys(config.ExposedPorts ?? {})); // ["8080/tcp"]
 * ```
 */
export interface ContainerConfig {
  /** User (and group) the process runs as. */
  User?: string;
  /** Ports to expose, keys like `8080/tcp`. */
  ExposedPorts?: Record<string, Record<string, never>>;
  /** Environment, `KEY=VALUE` entries. */
  Env?: string[];
  /** Entrypoint argv. */
  Entrypoint?: string[];
  /** Default arguments. */
  Cmd?: string[];
  /** Volumes, keys are paths. */
  Volumes?: Record<string, Record<string, never>>;
  /** Working directory. */
  WorkingDir?: string;
  /** Labels. */
  Labels?: Record<string, string>;
  /** Signal to stop the container. */
  StopSignal?: string;
}

/**
 * One entry of the image history.
 *
 * @example
 * ```ts
 * import type { History } from "./types.ts";
 * const history: History = { created: "1970-01-01T00:00:00Z", created_by: "scratchbuild" };
 * console.log(history.created_by); // scratchbuild
 * ```
 */
export interface History {
  /** When the layer was created (RFC 3339). */
  created?: string;
  /** The command or tool that created it. */
  created_by?: string;
  /** A comment. */
  comment?: string;
  /** True when the step made no layer. */
  empty_layer?: boolean;
  /** Author. */
  author?: string;
}

/**
 * The image config blob (OCI image config / Docker image JSON).
 *
 * @example
 * ```ts
 * import type { ImageConfig } from "./types.ts";
 * const config: ImageConfig = {
 *   architecture: "amd64",
 *   os: "linux",
 *   config: { Cmd: ["/hello"] },
 *   rootfs: {
 *     type: "layers",
 *     diff_ids: ["sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"],
 *   },
 * };
 * console.log(config.rootfs.diff_ids.length); // 1
 * ```
 */
export interface ImageConfig {
  /** Creation time (RFC 3339). */
  created?: string;
  /** Author. */
  author?: string;
  /** CPU architecture. */
  architecture: string;
  /** Operating system. */
  os: string;
  /** OS version (Windows). */
  "os.version"?: string;
  /** CPU variant. */
  variant?: string;
  /** Runtime config. */
  config?: ContainerConfig;
  /** The layers' uncompressed digests, in order. */
  rootfs: { type: "layers"; diff_ids: Digest[] };
  /** How each layer was made. */
  history?: History[];
}

/**
 * An image manifest (Docker schema 2 or OCI).
 *
 * @example
 * ```ts
 * import type { Manifest } from "./types.ts";
 * const manifest: Manifest = {
 *   schemaVersion: 2,
 *   mediaType: "application/vnd.oci.image.manifest.v1+json",
 *   config: {
 *     mediaType: "application/vnd.oci.image.config.v1+json",
 *     digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 *     size: 2,
 *   },
 *   layers: [],
 * };
 * console.log(manifest.layers.length, manifest.config.size); // 0 2
 * ```
 */
export interface Manifest {
  /** Always 2. */
  schemaVersion: 2;
  /** Manifest media type. */
  mediaType: string;
  /** The config blob. */
  config: Descriptor;
  /** The layers, base first. */
  layers: Descriptor[];
  /** Annotations (OCI only). */
  annotations?: Record<string, string>;
}

/**
 * An image index / manifest list.
 *
 * @example
 * ```ts
 * import type { Index } from "./types.ts";
 * const index: Index = {
 *   schemaVersion: 2,
 *   mediaType: "application/vnd.oci.image.index.v1+json",
 *   manifests: [{
 *     mediaType: "application/vnd.oci.image.manifest.v1+json",
 *     digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 *     size: 400,
 *     platform: { os: "linux", architecture: "amd64" },
 *   }],
 * };
 * console.log(index.manifests[0].platform?.architecture); // amd64
 * ```
 */
export interface Index {
  /** Always 2. */
  schemaVersion: 2;
  /** Index media type. */
  mediaType: string;
  /** One descriptor per platform image. */
  manifests: Descriptor[];
  /** Annotations (OCI only). */
  annotations?: Record<string, string>;
}
