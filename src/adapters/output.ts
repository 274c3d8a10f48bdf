/**
 * Writing an image to the local outputs, atomically.
 *
 * @module
 */

import { join } from "node:path";
import { ScratchbuildError } from "../errors.ts";
import { convertImage, type Image } from "../image/image.ts";
import { canonicalJSON } from "../image/json.ts";
import type { Index } from "../image/types.ts";
import { dockerArchive } from "../output/docker_archive.ts";
import {
  blobPath,
  imageBlobs,
  indexWithImage,
  OCI_LAYOUT_FILE,
  ociArchive,
} from "../output/oci_layout.ts";
import { formatOutputSpec, type OutputSpec } from "../output/spec.ts";
import { readFileIfExists, writeFileAtomic, writeFolder } from "./fs.ts";

async function existingIndex(dir: string): Promise<Index | undefined> {
  const bytes = await readFileIfExists(join(dir, "index.json"));
  if (bytes === undefined) return undefined;
  try {
    const index = JSON.parse(new TextDecoder().decode(bytes)) as Index;
    if (!Array.isArray(index.manifests)) throw new Error("no manifests array");
    return index;
  } catch (e) {
    throw new ScratchbuildError(
      "OUTPUT",
      `Cannot add to OCI layout "${dir}": its index.json is not a valid image index (${
        (e as Error).message
      })`,
    );
  }
}

/** What {@link writeOutput} wrote. */
export interface WrittenOutput {
  /** The output, in its CLI form (`oci:out/oci:latest`). */
  output: string;
  /** Digest of the manifest written there (docker-archive: the config digest, its image ID). */
  digest: string;
}

/**
 * Writes an image to one local output. Several tags may share one OCI layout
 * folder: blobs are shared, and `index.json` is rewritten atomically after
 * every blob is in place. OCI layouts and archives always hold an OCI
 * manifest (their readers accept nothing else), converted from a Docker
 * image when needed: same layers and config, another manifest digest.
 *
 * @example
 * ```ts
 * import { writeOutput } from "./output.ts";
 * import { createImage } from "../build.ts";
 * const image = await createImage({ entries: [] });
 * await writeOutput(image, { kind: "oci-archive", path: "/tmp/scratchbuild-example.tar", tag: "latest" });
 * ```
 */
export async function writeOutput(image: Image, spec: OutputSpec): Promise<WrittenOutput> {
  const output = formatOutputSpec(spec);
  switch (spec.kind) {
    case "oci": {
      image = await convertImage(image, "oci");
      const index = indexWithImage(await existingIndex(spec.path), image, spec.tag);
      await writeFolder(
        spec.path,
        [
          { path: "oci-layout", bytes: OCI_LAYOUT_FILE },
          ...imageBlobs(image).map((b) => ({
            path: blobPath(b.descriptor.digest),
            bytes: b.bytes,
          })),
          { path: "index.json", bytes: canonicalJSON(index) },
        ],
        { what: "OCI layout", last: ["index.json"] },
      );
      return { output, digest: image.manifestBlob.descriptor.digest };
    }
    case "oci-archive":
      image = await convertImage(image, "oci");
      await writeFileAtomic(spec.path, await ociArchive(image, spec.tag), "OCI archive");
      return { output, digest: image.manifestBlob.descriptor.digest };
    case "docker-archive":
      await writeFileAtomic(
        spec.path,
        await dockerArchive(image, spec.repoTag ? [spec.repoTag] : []),
        "docker archive",
      );
      return { output, digest: image.configBlob.descriptor.digest };
  }
}
