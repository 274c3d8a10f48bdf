/**
 * Reading tars back with independent readers (GNU tar, Python's tarfile), so
 * tests compare our writer against implementations we did not write.
 *
 * @module
 */

import { spawnSync } from "node:child_process";

/** One entry as Python's tarfile sees it. */
export interface ReadEntry {
  /** Path. */
  name: string;
  /** "file" | "dir" | "symlink" | "other:<type>". */
  type: string;
  /** Permission bits. */
  mode: number;
  /** Size in bytes. */
  size: number;
  /** Link target. */
  linkname: string;
  /** Owner ids. */
  uid: number;
  /** Owner ids. */
  gid: number;
  /** mtime (seconds). */
  mtime: number;
  /** Content as hex (files only, up to 64 KiB). */
  hex?: string;
}

const PY = `
import sys, tarfile, json
out = []
with tarfile.open(sys.argv[1], "r:*") as t:
    for m in t:
        e = {"name": m.name, "mode": m.mode, "size": m.size, "linkname": m.linkname,
             "uid": m.uid, "gid": m.gid, "mtime": m.mtime}
        if m.isreg():
            e["type"] = "file"
            if m.size <= 65536:
                e["hex"] = t.extractfile(m).read().hex()
        elif m.isdir(): e["type"] = "dir"
        elif m.issym(): e["type"] = "symlink"
        else: e["type"] = "other:" + str(m.type)
        out.append(e)
json.dump(out, sys.stdout)
`;

/**
 * Lists a tar (plain or gzip) with Python's tarfile module.
 */
export function pythonTarList(path: string): ReadEntry[] {
  const r = spawnSync("python3", ["-c", PY, path], { encoding: "utf8", maxBuffer: 1 << 28 });
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

/**
 * Runs a command and returns status and output.
 */
export function sh(
  cmd: string,
  args: string[],
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
