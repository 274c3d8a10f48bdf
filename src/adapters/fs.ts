/**
 * The file-system edge: turning folders and files into tar entries, and
 * writing outputs atomically. The only part of the builder that touches the
 * disk; it goes through `node:` modules, which Deno, Bun and Node all offer.
 *
 * @module
 */

import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError, ScratchbuildError } from "../errors.ts";
import type { EntryContent, TarEntry } from "../tar/entry.ts";

/**
 * A source as the CLI names it: `SRC[:DEST]`.
 *
 * @example
 * ```ts
 * import { readSource, type SourceSpec } from "./fs.ts";
 * const spec: SourceSpec = { src: "testdata/rootfs/bin/hello", dest: "/usr/local/bin/" };
 * console.log((await readSource(spec))[0].path); // "/usr/local/bin/hello"
 * ```
 */
export interface SourceSpec {
  /** Path on this machine. */
  src: string;
  /** Absolute destination in the image; default `/` for a folder, `/<name>` for a file. */
  dest?: string;
}

function describeError(e: unknown): string {
  const code = (e as { code?: string })?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "EISDIR":
      return "it is a folder";
    case "ELOOP":
      return "too many levels of symbolic links";
    default:
      return (e as Error)?.message ?? String(e);
  }
}

function kindOf(st: Stats): string {
  if (st.isSocket()) return "a socket";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "an unsupported file type";
}

/** Lazily read file content: the bytes are read only when the tar writer needs them. */
function fileContent(path: string, size: number): EntryContent {
  const read = async (): Promise<Uint8Array> => {
    try {
      const buf = await readFile(path);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      throw new InputError(`Cannot read "${path}": ${describeError(e)}`, { cause: e });
    }
  };
  return {
    size,
    bytes: read,
    async arrayBuffer(): Promise<ArrayBuffer> {
      const bytes = await read();
      return bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer;
    },
  };
}

async function checkReadable(path: string): Promise<void> {
  try {
    const handle = await open(path, "r");
    await handle.close();
  } catch (e) {
    throw new InputError(`Cannot read "${path}": ${describeError(e)}`, { cause: e });
  }
}

async function entryFor(path: string, dest: string, st: Stats): Promise<TarEntry> {
  const mode = st.mode & 0o7777;
  if (st.isSymbolicLink()) {
    return { path: dest, type: "symlink", mode: 0o777, linkname: await readlink(path) };
  }
  if (st.isDirectory()) return { path: dest, type: "directory", mode };
  if (st.isFile()) {
    await checkReadable(path);
    return { path: dest, type: "file", mode, content: fileContent(path, st.size) };
  }
  throw new InputError(
    `Cannot add "${path}": it is ${kindOf(st)}; only files, folders and symlinks go into an image`,
  );
}

async function walk(dir: string, dest: string, out: TarEntry[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new InputError(`Cannot read folder "${dir}": ${describeError(e)}`, { cause: e });
  }
  names.sort();
  for (const name of names) {
    const path = join(dir, name);
    const target = dest === "/" ? `/${name}` : `${dest}/${name}`;
    const st = await lstat(path);
    out.push(await entryFor(path, target, st));
    if (st.isDirectory()) await walk(path, target, out);
  }
}

/**
 * Reads a source into tar entries. A folder's contents go under DEST (default
 * `/`), any depth, with symlinks kept as symlinks; a file goes to DEST
 * (default `/<name>`, or `DEST/<name>` when DEST ends in `/`). The source
 * itself is followed if it is a symlink, as `COPY` does. Permission bits are
 * kept; owners and times are left to the build options.
 *
 * @example
 * ```ts
 * import { readSource } from "./fs.ts";
 * const entries = await readSource({ src: "testdata/rootfs", dest: "/" });
 * console.log(entries.some((e) => e.path === "/bin/hello")); // true
 * ```
 */
export async function readSource(spec: SourceSpec): Promise<TarEntry[]> {
  let st: Stats;
  try {
    st = await stat(spec.src);
  } catch (e) {
    throw new InputError(`Cannot read source "${spec.src}": ${describeError(e)}`, { cause: e });
  }
  if (st.isDirectory()) {
    const dest = (spec.dest ?? "/").replace(/\/+$/, "") || "/";
    const out: TarEntry[] = [];
    if (dest !== "/") out.push({ path: dest, type: "directory", mode: st.mode & 0o7777 });
    await walk(spec.src, dest, out);
    return out;
  }
  let dest = spec.dest ?? `/${basename(spec.src)}`;
  if (dest.endsWith("/")) dest += basename(spec.src);
  return [await entryFor(spec.src, dest, st)];
}

/**
 * Reads several sources in order; later ones win where paths collide.
 *
 * @example
 * ```ts
 * import { readSources } from "./fs.ts";
 * const entries = await readSources([{ src: "testdata/rootfs/bin/hello", dest: "/app" }]);
 * console.log(entries[0].path); // "/app"
 * ```
 */
export async function readSources(specs: readonly SourceSpec[]): Promise<TarEntry[]> {
  const all: TarEntry[] = [];
  for (const spec of specs) all.push(...await readSource(spec));
  return all;
}

function tempName(path: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(2)).join("");
  return join(dirname(path), `.${basename(path)}.tmp-${rand}`);
}

async function checkParentFolder(what: string, path: string): Promise<void> {
  const parent = dirname(path);
  let st: Stats;
  try {
    st = await stat(parent);
  } catch (e) {
    throw new ScratchbuildError(
      "OUTPUT",
      `Cannot write ${what} "${path}": folder "${parent}": ${describeError(e)}`,
      { cause: e },
    );
  }
  if (!st.isDirectory()) {
    throw new ScratchbuildError(
      "OUTPUT",
      `Cannot write ${what} "${path}": "${parent}" is not a folder`,
    );
  }
}

/**
 * A write that is prepared but not yet visible: `commit` puts it in place
 * with a rename, `abort` removes every trace. Staging all outputs before
 * committing any means a failed build leaves none of them behind.
 */
export interface StagedWrite {
  /** Makes the write visible (a rename). */
  commit(): Promise<void>;
  /** Removes what was staged. */
  abort(): Promise<void>;
}

function outputError(what: string, path: string, e: unknown): ScratchbuildError {
  return new ScratchbuildError("OUTPUT", `Cannot write ${what} "${path}": ${describeError(e)}`, {
    cause: e,
  });
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

// Creates each folder of `rel` under `root` one level at a time: a recursive
// mkdir can spin forever on special file systems such as /proc.
async function makeDirs(root: string, rel: string[]): Promise<void> {
  let path = root;
  for (const part of rel) {
    path = join(path, part);
    try {
      await mkdir(path);
    } catch (e) {
      if ((e as { code?: string })?.code !== "EEXIST") throw e;
    }
  }
}

/**
 * Stages a file: writes it under a temporary name beside the target, to be
 * renamed over it on commit, so a reader never sees half a file.
 *
 * @example
 * ```ts
 * import { stageFile } from "./fs.ts";
 * const staged = await stageFile("/tmp/scratchbuild-example.txt", new TextEncoder().encode("hi"));
 * await staged.commit();
 * ```
 */
export async function stageFile(
  path: string,
  bytes: Uint8Array,
  what = "file",
): Promise<StagedWrite> {
  await checkParentFolder(what, path);
  if ((await statOrUndefined(path))?.isDirectory()) {
    throw new ScratchbuildError("OUTPUT", `Cannot write ${what} "${path}": it is a folder`);
  }
  const tmp = tempName(path);
  try {
    await writeFile(tmp, bytes, { mode: 0o644 });
  } catch (e) {
    await rm(tmp, { force: true });
    throw outputError(what, path, e);
  }
  return {
    async commit() {
      try {
        await rename(tmp, path);
      } catch (e) {
        await rm(tmp, { force: true });
        throw outputError(what, path, e);
      }
    },
    abort: () => rm(tmp, { force: true }),
  };
}

/**
 * Writes a file atomically: a temporary name beside it, then a rename.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./fs.ts";
 * await writeFileAtomic("/tmp/scratchbuild-example.txt", new TextEncoder().encode("hi"));
 * ```
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  what = "file",
): Promise<void> {
  await (await stageFile(path, bytes, what)).commit();
}

/** One file of a folder output: relative path and bytes. */
export interface OutputFile {
  /** Path relative to the folder, `/`-separated. */
  path: string;
  /** Content. */
  bytes: Uint8Array;
}

/** Options of {@link stageFolder}. */
export interface FolderOptions {
  /** What the folder is, for messages; default "folder". */
  what?: string;
  /** Files written on commit, after all others (an index after its blobs). */
  last?: string[];
}

/**
 * Stages files into a folder. A new folder is written whole under a
 * temporary name and renamed into place on commit. In an existing folder,
 * files already there with the same size are kept (blobs are content-
 * addressed), missing ones are written now, each atomically — harmless, as
 * nothing refers to them yet — and the files named in `last` are staged and
 * only renamed into place on commit.
 *
 * @example
 * ```ts
 * import { stageFolder } from "./fs.ts";
 * const staged = await stageFolder("/tmp/scratchbuild-example", [{ path: "a.txt", bytes: new Uint8Array(1) }]);
 * await staged.commit();
 * ```
 */
export async function stageFolder(
  dir: string,
  files: readonly OutputFile[],
  options: FolderOptions = {},
): Promise<StagedWrite> {
  const what = options.what ?? "folder";
  const last = new Set(options.last ?? []);
  const st = await statOrUndefined(dir);
  if (st && !st.isDirectory()) {
    throw new ScratchbuildError("OUTPUT", `Cannot write ${what} "${dir}": it is not a folder`);
  }
  if (!st) {
    await checkParentFolder(what, dir);
    const tmp = tempName(dir);
    try {
      await mkdir(tmp);
      for (const f of files) {
        const parts = f.path.split("/");
        await makeDirs(tmp, parts.slice(0, -1));
        await writeFile(join(tmp, ...parts), f.bytes, { mode: 0o644 });
      }
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw outputError(what, dir, e);
    }
    return {
      async commit() {
        try {
          await rename(tmp, dir);
        } catch (e) {
          await rm(tmp, { recursive: true, force: true });
          throw outputError(what, dir, e);
        }
      },
      abort: () => rm(tmp, { recursive: true, force: true }),
    };
  }
  const staged: StagedWrite[] = [];
  try {
    for (const f of files) {
      const parts = f.path.split("/");
      const path = join(dir, ...parts);
      if (!last.has(f.path)) {
        const existing = await statOrUndefined(path);
        if (existing?.isFile() && existing.size === f.bytes.length) continue;
      }
      try {
        await makeDirs(dir, parts.slice(0, -1));
      } catch (e) {
        throw outputError(what, dir, e);
      }
      const write = await stageFile(path, f.bytes, what);
      if (last.has(f.path)) staged.push(write);
      else await write.commit();
    }
  } catch (e) {
    await Promise.all(staged.map((w) => w.abort()));
    throw e;
  }
  return {
    async commit() {
      for (const w of staged) await w.commit();
    },
    abort: async () => {
      await Promise.all(staged.map((w) => w.abort()));
    },
  };
}

/**
 * Writes files into a folder: {@link stageFolder}, then commit.
 *
 * @example
 * ```ts
 * import { writeFolder } from "./fs.ts";
 * await writeFolder("/tmp/scratchbuild-example", [{ path: "a.txt", bytes: new Uint8Array(1) }]);
 * ```
 */
export async function writeFolder(
  dir: string,
  files: readonly OutputFile[],
  options: FolderOptions = {},
): Promise<void> {
  await (await stageFolder(dir, files, options)).commit();
}

/**
 * Reads a file if it exists.
 *
 * @example
 * ```ts
 * import { readFileIfExists } from "./fs.ts";
 * console.log(await readFileIfExists("/nonexistent/file")); // undefined
 * ```
 */
export async function readFileIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    // ENOTDIR: a part of the path is a file, so this file does not exist either.
    const code = (e as { code?: string })?.code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new ScratchbuildError("OUTPUT", `Cannot read "${path}": ${describeError(e)}`, {
      cause: e,
    });
  }
}
