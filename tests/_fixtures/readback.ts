/**
 * Reading tars back with independent readers (GNU tar, Python's tarfile), so
 * tests compare our writer against implementations we did not write.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";

/** One entry as Python's tarfile sees it, plus how its ustar header was filled. */
export interface ReadEntry {
  /** Path as the reader resolved it (PAX `path` applied). */
  name: string;
  /** "file" | "dir" | "symlink" | "other:<typeflag>". */
  type: string;
  /** Permission bits. */
  mode: number;
  /** Size in bytes. */
  size: number;
  /** Link target. */
  linkname: string;
  /** Owner user id. */
  uid: number;
  /** Owner group id. */
  gid: number;
  /** Owner user name. */
  uname: string;
  /** Owner group name. */
  gname: string;
  /** mtime (seconds). */
  mtime: number;
  /** Keys of the PAX extended header before this entry, sorted. */
  pax: string[];
  /** The ustar `name` field as written. */
  rawName: string;
  /** The ustar `prefix` field as written. */
  rawPrefix: string;
  /** sha256 hex of the content (files up to 64 MiB). */
  sha256?: string;
}

const PY = `
import hashlib, json, sys, tarfile
TYPES = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink"}
out = []
with tarfile.open(sys.argv[1], "r:*", encoding="utf-8") as t:
    for m in t:
        pos = t.fileobj.tell()
        t.fileobj.seek(m.offset)
        raw = t.fileobj.read(512)
        t.fileobj.seek(pos)
        e = {"name": m.name, "type": TYPES.get(m.type, "other:" + m.type.decode()), "mode": m.mode,
             "size": m.size, "linkname": m.linkname, "uid": m.uid, "gid": m.gid,
             "uname": m.uname, "gname": m.gname, "mtime": m.mtime,
             "pax": sorted(m.pax_headers.keys()),
             "rawName": raw[0:100].rstrip(b"\\0").decode("latin-1"),
             "rawPrefix": raw[345:500].rstrip(b"\\0").decode("latin-1")}
        if m.isreg() and m.size <= 64 * 1024 * 1024:
            e["sha256"] = hashlib.sha256(t.extractfile(m).read()).hexdigest()
        out.append(e)
json.dump(out, sys.stdout)
`;

/**
 * Lists a tar (plain or gzip) with Python's tarfile module.
 */
export function pythonTarList(path: string): ReadEntry[] {
  const r = spawnSync("python3", ["-c", PY, path], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, LC_ALL: "C.UTF-8" },
  });
  if (r.status !== 0) throw new Error(`python3 tarfile failed on ${path}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * Lists a tar with GNU tar (`tar -tvf`), one line per entry.
 */
export function gnuTarList(path: string): string[] {
  const r = spawnSync("tar", ["--numeric-owner", "-tvf", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tar -tvf failed on ${path}: ${r.stderr}`);
  return r.stdout.trimEnd().split("\n");
}
