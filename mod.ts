/**
 * scratchbuild: build container images from files, with no daemon and no
 * root, on Deno, Bun and Node.
 *
 * Turn a folder (or single files, or in-memory entries) into a reproducible
 * "FROM scratch" image, write it as an OCI layout, an OCI archive or a
 * docker-archive, or push it to any OCI / Docker registry.
 *
 * @example
 * ```ts
 * import { createImage, ociArchive } from "./mod.ts";
 *
 * const image = await createImage({
 *   entries: [
 *     { path: "/app/hello.txt", type: "file", mode: 0o644, content: new TextEncoder().encode("hi\n") },
 *   ],
 *   cmd: ["/bin/cat", "/app/hello.txt"],
 * });
 * console.log(image.manifestBlob.descriptor.digest);
 * const tar = await ociArchive(image, "latest");
 * console.log(tar.length > 0); // true
 * ```
 *
 * @module
 */

export * from "./src/errors.ts";
export * from "./src/digest.ts";
export * from "./src/bytes.ts";
export * from "./src/image/types.ts";
export * from "./src/image/media_types.ts";
export * from "./src/image/json.ts";
export * from "./src/image/platform.ts";
export * from "./src/image/config.ts";
export * from "./src/image/image.ts";
export * from "./src/tar/entry.ts";
export * from "./src/tar/writer.ts";
export * from "./src/compress/gzip.ts";
export * from "./src/layer.ts";
export * from "./src/build.ts";
export * from "./src/output/oci_layout.ts";
export * from "./src/output/docker_archive.ts";
export * from "./src/output/spec.ts";
export { readSource, readSources, type SourceSpec } from "./src/adapters/fs.ts";
export { writeOutput, writeOutputs, type WrittenOutput } from "./src/adapters/output.ts";
export { tarDirectory } from "./src/adapters/tar_directory.ts";
export {
  createGzipPool,
  defaultPoolSize,
  type GzipPool,
  type GzipPoolOptions,
} from "./src/adapters/gzip_pool.ts";
export { VERSION } from "./src/version.ts";
export { Client, type ClientOptions } from "./src/client.ts";
export * from "./src/registry/reference.ts";
export * from "./src/registry/challenge.ts";
export {
  type Credentials,
  type CredentialsSource,
  pullScope,
  pushScope,
} from "./src/registry/auth.ts";
export * from "./src/registry/transport.ts";
export * from "./src/registry/push.ts";
export {
  resolveCredentials,
  type ResolveCredentialsOptions,
} from "./src/adapters/docker_config.ts";
