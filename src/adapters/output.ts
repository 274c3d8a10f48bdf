/**
 * Writing an image to the local outputs, atomically.
 *
 * @module
 */

import { join } from "node:path";
import { ScratchbuildError } from "../errors.ts";
import type { Image } from "../image/image.ts";
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
      `Cannot add to OCI layout "${dir}": its index.json is not a valid image index (${(e as Error).message})`,
    );
  }
}

/**
 * Writes an image to one local output and returns its spec as a string.
 * Several tags may share one OCI layout folder: blobs are shared, and
 * `index.json` is rewritten atomically after every blob is in place.
 *
 * @example
 * ```ts
 * import { writeOutput } from "./output.ts";
 * import { createImage } from "../build.ts";
 * const image = await createImage({ entries: [] });
 * await writeOutput(image, { kind: "oci-archive", path: "/tmp/scratchbuild-example.tar", tag: "latest" });
 * ```
 */
export async function writeOutput(image: Image, spec: OutputSpec): Promise<string> {
  switch (spec.kind) {
    case "oci": {
      const index = indexWithImage(await existingIndex(spec.path), image, spec.tag);
      await writeFolder(
        spec.path,
        [
          { path: "oci-layout", bytes: OCI_LAYOUT_FILE },
          ...imageBlobs(image).map((b) => ({ path: blobPath(b.descriptor.digest), bytes: b.bytes })),
          { path: "index.json", bytes: canonicalJSON(index) },
        ],
        { what: "OCI layout", last: ["index.json"] },
      );
      break;
    }
    case "oci-archive":
      await writeFileAtomic(spec.path, await ociArchive(image, spec.tag), "OCI archive");
      break;
    case "docker-archive":
      await writeFileAtomic(
        spec.path,
        await dockerArchive(image, spec.repoTag ? [spec.repoTag] : []),
        "docker archive",
      );
      break;
  }
  return formatOutputSpec(spec);
}
