/**
 * The seed's `TarDirectory`, now with subfolders: a folder on disk to tar
 * bytes, ready to become a layer.
 *
 * @module
 */

import { prepareEntries, type PrepareOptions } from "../tar/entry.ts";
import { tarBytes } from "../tar/writer.ts";
import { readSource } from "./fs.ts";

/**
 * Tars a folder's contents (any depth) as the root of a layer: entries in a
 * stable order, owners 0:0 and times 0 unless `options` say otherwise.
 *
 * @example
 * ```ts
 * import { tarDirectory } from "./tar_directory.ts";
 * const tar = await tarDirectory("testdata/rootfs");
 * console.log(tar.length % 512); // 0
 * ```
 */
export async function tarDirectory(dir: string, options: PrepareOptions = {}): Promise<Uint8Array> {
  return await tarBytes(prepareEntries(await readSource({ src: dir, dest: "/" }), options));
}
