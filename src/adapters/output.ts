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
import { readFileIfExists, type StagedWrite, stageFile, stageFolder } from "./fs.ts";

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

/**
 * What {@link writeOutput} wrote.
 *
 * @example
 * ```ts
 * import type { WrittenOutput } from "./output.ts";
 * const written: WrittenOutput = {
 *   output: "oci:out/oci:latest",
 *   digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
 * };
 * console.log(`${written.output} ${written.digest.slice(0, 19)}`); // oci:out/oci:latest sha256:2cf24dba5fb0
 * ```
 */
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
  return (await writeOutputs(image, [spec]))[0];
}

/**
 * Writes an image to several local outputs, all or nothing: every output is
 * staged under a temporary name first, and only when all of them are staged
 * are they renamed into place. Tags for the same OCI layout folder go into
 * one index.
 *
 * @example
 * ```ts
 * import { writeOutputs } from "./output.ts";
 * import { createImage } from "../build.ts";
 * const image = await createImage({ entries: [] });
 * const written = await writeOutputs(image, [
 *   { kind: "oci", path: "/tmp/scratchbuild-example-oci", tag: "a" },
 *   { kind: "oci", path: "/tmp/scratchbuild-example-oci", tag: "b" },
 * ]);
 * console.log(written.length); // 2
 * ```
 */
export async function writeOutputs(
  image: Image,
  specs: readonly OutputSpec[],
): Promise<WrittenOutput[]> {
  const oci = specs.some((s) => s.kind !== "docker-archive")
    ? await convertImage(image, "oci")
    : image;
  const staged: StagedWrite[] = [];
  const written: WrittenOutput[] = [];
  const layouts = new Map<string, (string | undefined)[]>();
  for (const spec of specs) {
    if (spec.kind === "oci") layouts.set(spec.path, [...(layouts.get(spec.path) ?? []), spec.tag]);
  }
  try {
    for (const [path, tags] of layouts) staged.push(await stageLayout(oci, path, tags));
    for (const spec of specs) {
      const output = formatOutputSpec(spec);
      if (spec.kind === "oci") {
        written.push({ output, digest: oci.manifestBlob.descriptor.digest });
      } else if (spec.kind === "oci-archive") {
        staged.push(await stageFile(spec.path, await ociArchive(oci, spec.tag), "OCI archive"));
        written.push({ output, digest: oci.manifestBlob.descriptor.digest });
      } else {
        const tar = await dockerArchive(image, spec.repoTag ? [spec.repoTag] : []);
        staged.push(await stageFile(spec.path, tar, "docker archive"));
        written.push({ output, digest: image.configBlob.descriptor.digest });
      }
    }
  } catch (e) {
    await Promise.all(staged.map((w) => w.abort()));
    throw e;
  }
  for (let i = 0; i < staged.length; i++) {
    try {
      await staged[i].commit();
    } catch (e) {
      await Promise.all(staged.slice(i + 1).map((w) => w.abort()));
      throw e;
    }
  }
  return written;
}

async function stageLayout(
  image: Image,
  path: string,
  tags: (string | undefined)[],
): Promise<StagedWrite> {
  let index = await existingIndex(path);
  for (const tag of tags) index = indexWithImage(index, image, tag);
  return await stageFolder(
    path,
    [
      { path: "oci-layout", bytes: OCI_LAYOUT_FILE },
      ...imageBlobs(image).map((b) => ({ path: blobPath(b.descriptor.digest), bytes: b.bytes })),
      { path: "index.json", bytes: canonicalJSON(index) },
    ],
    { what: "OCI layout", last: ["index.json"] },
  );
}
