/**
 * Tar entries: what goes into a layer, before it is encoded. Paths are
 * normalised and validated here, missing parent folders are added, and the
 * entries are put in one stable order, so a layer's bytes depend only on
 * what is in it, never on the order the files were found.
 *
 * @module
 */

import { InputError, UsageError } from "../errors.ts";

/**
 * The kinds of entry a layer can hold.
 *
 * @example
 * ```ts
 * import type { EntryType, TarEntry } from "./entry.ts";
 * const type: EntryType = "directory";
 * const entry: TarEntry = { path: "/app", type, mode: 0o755 };
 * console.log(entry.type); // directory
 * ```
 */
export type EntryType = "file" | "directory" | "symlink";

/**
 * File content: bytes in memory, or anything with a size that can produce
 * its bytes on demand (a `Blob`, or a file the fs adapter reads lazily).
 * `bytes()`, where present, is preferred: it can hand over a buffer without
 * the copy `arrayBuffer()` may need.
 *
 * @example
 * ```ts
 * import type { EntryContent } from "./entry.ts";
 * const inMemory: EntryContent = new TextEncoder().encode("hi\n");
 * const lazy: EntryContent = new Blob(["hi\n"]);
 * console.log(inMemory.length, lazy.size); // 3 3
 * ```
 */
export type EntryContent = Uint8Array | {
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes?(): Promise<Uint8Array>;
};

/**
 * One entry of a layer.
 *
 * @example
 * ```ts
 * import { prepareEntries, type TarEntry } from "./entry.ts";
 * const entry: TarEntry = {
 *   path: "/usr/bin/app",
 *   type: "file",
 *   mode: 0o755,
 *   content: new Uint8Array([0x7f]),
 * };
 * console.log(prepareEntries([entry]).map((e) => e.path)); // ["usr", "usr/bin", "usr/bin/app"]
 * ```
 */
export interface TarEntry {
  /** Path inside the image, `/`-separated; a leading `/` or `./` is allowed. */
  path: string;
  /** Regular file, folder or symbolic link. */
  type: EntryType;
  /** Permission bits (e.g. `0o755`), including setuid/setgid/sticky. */
  mode: number;
  /** Owner user id; default 0. */
  uid?: number;
  /** Owner group id; default 0. */
  gid?: number;
  /** Owner user name; default empty. */
  uname?: string;
  /** Owner group name; default empty. */
  gname?: string;
  /** Modification time in seconds since the epoch; default 0. */
  mtime?: number;
  /** Target of a symbolic link, kept as written. */
  linkname?: string;
  /** Content of a regular file. */
  content?: EntryContent;
}

/**
 * An entry after {@link prepareEntries}: normalised and complete.
 *
 * @example
 * ```ts
 * import type { PreparedEntry } from "./entry.ts";
 * const content = new TextEncoder().encode("scratch\n");
 * const entry: PreparedEntry = {
 *   path: "etc/hostname",
 *   type: "file",
 *   mode: 0o644,
 *   uid: 0,
 *   gid: 0,
 *   uname: "",
 *   gname: "",
 *   mtime: 0,
 *   linkname: "",
 *   size: content.length,
 *   content,
 * };
 * console.log(entry.path, entry.size); // etc/hostname 8
 * ```
 */
export interface PreparedEntry {
  /** Normalised path: relative, no leading `/`, no trailing `/`. */
  path: string;
  /** Entry type. */
  type: EntryType;
  /** Permission bits. */
  mode: number;
  /** Owner user id. */
  uid: number;
  /** Owner group id. */
  gid: number;
  /** Owner user name. */
  uname: string;
  /** Owner group name. */
  gname: string;
  /** Modification time (seconds). */
  mtime: number;
  /** Symlink target ("" for others). */
  linkname: string;
  /** Size in bytes of the content (0 unless a file). */
  size: number;
  /** File content. */
  content?: EntryContent;
}

/**
 * Defaults applied to every entry by {@link prepareEntries}.
 *
 * @example
 * ```ts
 * import { prepareEntries, type PrepareOptions } from "./entry.ts";
 * const options: PrepareOptions = { uid: 1000, gid: 1000, mtime: 0 };
 * const [entry] = prepareEntries([{ path: "/home", type: "directory", mode: 0o755, uid: 5 }], options);
 * console.log(entry.uid); // 1000
 * ```
 */
export interface PrepareOptions {
  /** Owner user id for every entry (overrides the entry's own); default: the entry's, else 0. */
  uid?: number;
  /** Owner group id for every entry; default: the entry's, else 0. */
  gid?: number;
  /** Modification time for every entry (seconds); default: the entry's, else 0. */
  mtime?: number;
}

/**
 * Normalises an image path: strips a leading `/` or `./`, folds repeated
 * slashes and `.` components, and refuses `..` and empty paths.
 *
 * @example
 * ```ts
 * import { normalizePath } from "./entry.ts";
 * console.log(normalizePath("/usr//bin/./app")); // "usr/bin/app"
 * ```
 */
export function normalizePath(path: string): string {
  if (path.includes("\0")) {
    throw new InputError(`Cannot use path "${path}": it contains a NUL byte`);
  }
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new UsageError(`Cannot use path "${path}": ".." would escape the image root`);
    }
    parts.push(part);
  }
  if (parts.length === 0) {
    throw new UsageError(`Cannot use path "${path}": it names the image root`);
  }
  return parts.join("/");
}

function contentSize(content: EntryContent | undefined): number {
  if (content === undefined) return 0;
  return content instanceof Uint8Array ? content.length : content.size;
}

/**
 * Orders two normalised paths component by component, so every folder comes
 * right before its own contents (a tree walk) and the order never depends on
 * the runtime's file system.
 *
 * @example
 * ```ts
 * import { comparePaths } from "./entry.ts";
 * console.log(["a-b", "a/b", "a"].sort(comparePaths)); // ["a", "a/b", "a-b"]
 * ```
 */
export function comparePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Validates and normalises entries, adds every missing parent folder (mode
 * 0755), lets a later entry for the same path replace an earlier one (as a
 * later `COPY` would), and sorts the result parents-first.
 *
 * @example
 * ```ts
 * import { prepareEntries } from "./entry.ts";
 * const entries = prepareEntries([
 *   { path: "/app/bin/server", type: "file", mode: 0o755, content: new Uint8Array(3) },
 * ]);
 * console.log(entries.map((e) => e.path)); // ["app", "app/bin", "app/bin/server"]
 * ```
 */
export function prepareEntries(
  entries: Iterable<TarEntry>,
  options: PrepareOptions = {},
): PreparedEntry[] {
  const byPath = new Map<string, PreparedEntry>();
  for (const entry of entries) {
    const path = normalizePath(entry.path);
    if (entry.type !== "file" && entry.type !== "directory" && entry.type !== "symlink") {
      throw new InputError(`Cannot add "${entry.path}": unsupported entry type "${entry.type}"`);
    }
    if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) {
      throw new InputError(
        `Cannot add "${entry.path}": mode ${entry.mode} is not within 0..0o7777`,
      );
    }
    if (entry.type === "symlink" && !entry.linkname) {
      throw new InputError(`Cannot add "${entry.path}": a symlink needs a target`);
    }
    const prepared: PreparedEntry = {
      path,
      type: entry.type,
      mode: entry.mode,
      uid: options.uid ?? entry.uid ?? 0,
      gid: options.gid ?? entry.gid ?? 0,
      uname: entry.uname ?? "",
      gname: entry.gname ?? "",
      mtime: options.mtime ?? entry.mtime ?? 0,
      linkname: entry.type === "symlink" ? entry.linkname! : "",
      size: entry.type === "file" ? contentSize(entry.content) : 0,
      content: entry.type === "file" ? entry.content ?? new Uint8Array(0) : undefined,
    };
    const existing = byPath.get(path);
    if (existing?.type === "directory" && prepared.type === "directory") {
      // Two sources sharing a folder merge into it; the later one's metadata wins.
      byPath.set(path, prepared);
      continue;
    }
    if (prepared.type !== "directory") {
      // Anything but a folder at this path drops what was under it before.
      for (const key of [...byPath.keys()]) {
        if (key.startsWith(path + "/")) byPath.delete(key);
      }
    }
    byPath.set(path, prepared);
  }
  // Parents must exist as folders: add the missing ones, refuse a file in the way.
  for (const path of [...byPath.keys()]) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const existing = byPath.get(parent);
      if (existing === undefined) {
        byPath.set(parent, {
          path: parent,
          type: "directory",
          mode: 0o755,
          uid: options.uid ?? 0,
          gid: options.gid ?? 0,
          uname: "",
          gname: "",
          mtime: options.mtime ?? 0,
          linkname: "",
          size: 0,
        });
      } else if (existing.type !== "directory") {
        throw new InputError(
          `Cannot add "${path}": its parent "${parent}" is a ${existing.type}, not a folder`,
        );
      }
    }
  }
  return [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
}
