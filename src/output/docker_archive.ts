/**
 * The docker-archive format that `docker load` and `podman load` read, as
 * `docker save` writes it: `manifest.json`, the config as `<hex>.json`, and
 * each layer uncompressed as `<diff_id hex>/layer.tar`.
 *
 * @module
 */

import { digestHex } from "../digest.ts";
import type { Image } from "../image/image.ts";
import { canonicalJSON } from "../image/json.ts";
import { prepareEntries, type TarEntry } from "../tar/entry.ts";
import { tarBytes } from "../tar/writer.ts";

/**
 * Packs an image as a docker-archive. `repoTags` are the names `docker load`
 * gives it, like `example/app:1.0`; none leaves the loaded image untagged.
 *
 * @example
 * ```ts
 * import { dockerArchive } from "./docker_archive.ts";
 * import { createImage } from "../build.ts";
 * const tar = await dockerArchive(await createImage({ entries: [] }), ["hello:latest"]);
 * console.log(tar.length > 0); // true
 * ```
 */
export async function dockerArchive(image: Image, repoTags: string[] = []): Promise<Uint8Array> {
  const configName = `${digestHex(image.configBlob.descriptor.digest)}.json`;
  const entries: TarEntry[] = [
    { path: configName, type: "file", mode: 0o644, content: image.configBlob.bytes },
  ];
  const layerNames: string[] = [];
  for (const layer of image.layers) {
    const name = `${digestHex(layer.diffID)}/layer.tar`;
    layerNames.push(name);
    entries.push({ path: name, type: "file", mode: 0o644, content: layerTar(layer) });
  }
  entries.push({
    path: "manifest.json",
    type: "file",
    mode: 0o644,
    content: canonicalJSON([{ Config: configName, RepoTags: repoTags, Layers: layerNames }]),
  });
  return await tarBytes(prepareEntries(entries));
}

function layerTar(layer: Image["layers"][number]): Uint8Array {
  // docker save writes layers uncompressed; when only the compressed blob is at
  // hand (a layer taken from elsewhere), docker load and podman load both
  // detect and decompress gzip layer files themselves.
  return layer.tar ?? layer.data;
}
