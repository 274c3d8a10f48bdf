/**
 * The OCI image layout: `oci-layout`, `index.json` and `blobs/sha256/…`.
 * These functions say what the files are; the fs adapter writes them, and
 * {@link ociArchive} packs them into one tar.
 *
 * @module
 */

import { digestHex } from "../digest.ts";
import type { BlobWithBytes, Image } from "../image/image.ts";
import { canonicalJSON } from "../image/json.ts";
import { MediaTypeOCIIndex } from "../image/media_types.ts";
import type { Descriptor, Index } from "../image/types.ts";
import { prepareEntries, type TarEntry } from "../tar/entry.ts";
import { tarBytes } from "../tar/writer.ts";

/**
 * The annotation that names a tag inside an OCI layout.
 *
 * @example
 * ```ts
 * import { REF_NAME_ANNOTATION } from "./oci_layout.ts";
 * console.log(REF_NAME_ANNOTATION); // org.opencontainers.image.ref.name
 * ```
 */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/**
 * The content of the `oci-layout` file.
 *
 * @example
 * ```ts
 * import { OCI_LAYOUT_FILE } from "./oci_layout.ts";
 * console.log(new TextDecoder().decode(OCI_LAYOUT_FILE)); // {"imageLayoutVersion":"1.0.0"}
 * ```
 */
export const OCI_LAYOUT_FILE: Uint8Array = new TextEncoder().encode(
  '{"imageLayoutVersion":"1.0.0"}',
);

/**
 * Every blob of an image (layers, config, manifest) with its bytes.
 *
 * @example
 * ```ts
 * import { imageBlobs } from "./oci_layout.ts";
 * import { createImage } from "../build.ts";
 * const image = await createImage({ entries: [] });
 * console.log(imageBlobs(image).length); // 3
 * ```
 */
export function imageBlobs(image: Image): BlobWithBytes[] {
  return [
    ...image.layers.map((l) => ({
      descriptor: { mediaType: l.mediaType, digest: l.digest, size: l.size },
      bytes: l.data,
    })),
    image.configBlob,
    image.manifestBlob,
  ];
}

/**
 * The path of a blob inside a layout, e.g. `blobs/sha256/ab12…`.
 *
 * @example
 * ```ts
 * import { blobPath } from "./oci_layout.ts";
 * console.log(blobPath("sha256:ab")); // "blobs/sha256/ab"
 * ```
 */
export function blobPath(digest: Descriptor["digest"]): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

/**
 * Adds an image's manifest to a layout index. A tag already in the index
 * moves to the new manifest; an untagged image is added once.
 *
 * @example
 * ```ts
 * import { indexWithImage } from "./oci_layout.ts";
 * import { createImage } from "../build.ts";
 * const image = await createImage({ entries: [] });
 * const index = indexWithImage(undefined, image, "latest");
 * console.log(index.manifests[0].annotations); // { "org.opencontainers.image.ref.name": "latest" }
 * ```
 */
export function indexWithImage(existing: Index | undefined, image: Image, tag?: string): Index {
  const manifest = image.manifestBlob.descriptor;
  const kept = (existing?.manifests ?? []).filter((d) => {
    const ref = d.annotations?.[REF_NAME_ANNOTATION];
    if (tag !== undefined) return ref !== tag;
    return !(ref === undefined && d.digest === manifest.digest);
  });
  const platform = {
    os: image.config.os,
    architecture: image.config.architecture,
    ...(image.config.variant ? { variant: image.config.variant } : {}),
  };
  const entry: Descriptor = {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    platform,
    ...(tag !== undefined ? { annotations: { [REF_NAME_ANNOTATION]: tag } } : {}),
  };
  return {
    schemaVersion: 2,
    mediaType: MediaTypeOCIIndex,
    manifests: [...kept, entry],
    ...(existing?.annotations ? { annotations: existing.annotations } : {}),
  };
}

/**
 * Packs an image as an OCI layout in one tar (the `oci-archive` format).
 *
 * @example
 * ```ts
 * import { ociArchive } from "./oci_layout.ts";
 * import { createImage } from "../build.ts";
 * const tar = await ociArchive(await createImage({ entries: [] }), "latest");
 * console.log(tar.length % 512); // 0
 * ```
 */
export async function ociArchive(image: Image, tag?: string): Promise<Uint8Array> {
  const entries: TarEntry[] = [
    { path: "oci-layout", type: "file", mode: 0o644, content: OCI_LAYOUT_FILE },
    {
      path: "index.json",
      type: "file",
      mode: 0o644,
      content: canonicalJSON(indexWithImage(undefined, image, tag)),
    },
    ...imageBlobs(image).map((b): TarEntry => ({
      path: blobPath(b.descriptor.digest),
      type: "file",
      mode: 0o644,
      content: b.bytes,
    })),
  ];
  return await tarBytes(prepareEntries(entries));
}
