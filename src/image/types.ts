/**
 * The image spec types: descriptors, image config, manifests and indexes.
 * Field names are the specs' own (`mediaType`, `diff_ids`, `Entrypoint`), so
 * values serialise to JSON without mapping. Docker schema 2 and OCI share
 * these shapes; only the media types differ.
 *
 * @module
 */

import type { Digest } from "../digest.ts";

/** A platform an image runs on. */
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

/** A content descriptor: what a blob is, how big, and its digest. */
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

/** The runtime part of an image config. */
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

/** One entry of the image history. */
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

/** The image config blob (OCI image config / Docker image JSON). */
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

/** An image manifest (Docker schema 2 or OCI). */
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

/** An image index / manifest list. */
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
