/**
 * A ustar tar writer with PAX extended headers, for layers and archives.
 * Paths up to 100 bytes go in `name`, up to 255 through the ustar `prefix`
 * split; longer or non-ASCII paths and link targets, sizes of 8 GiB and over,
 * and ids or times that do not fit octal fields go in a PAX header (`x`)
 * before the entry, as POSIX.1-2001 specifies.
 *
 * @module
 */

import { InputError } from "../errors.ts";
import type { EntryContent, PreparedEntry } from "./entry.ts";

const BLOCK = 512;
const encoder = new TextEncoder();

const TYPEFLAG: Record<PreparedEntry["type"], string> = {
  file: "0",
  directory: "5",
  symlink: "2",
};

// Largest values the octal fields hold: 7 digits for ids, 11 for size and mtime.
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

function isAscii(s: string): boolean {
  // deno-lint-ignore no-control-regex
  return /^[\x01-\x7f]*$/.test(s);
}

function writeString(buf: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  buf.set(bytes.subarray(0, length), offset);
}

function writeOctal(buf: Uint8Array, offset: number, length: number, value: number): void {
  // length-1 octal digits, zero-padded, NUL-terminated.
  writeString(buf, offset, length - 1, value.toString(8).padStart(length - 1, "0"));
  buf[offset + length - 1] = 0;
}

/** Splits a path into ustar `prefix` and `name`, or returns undefined if it cannot. */
function splitUstarPath(path: string): { prefix: string; name: string } | undefined {
  const bytes = encoder.encode(path).length;
  if (!isAscii(path)) return undefined;
  if (bytes <= 100) return { prefix: "", name: path };
  if (bytes > 256) return undefined;
  // The prefix must end at a slash; the name after it must be 1..100 bytes.
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (prefix.length <= 155 && name.length > 0 && name.length <= 100) return { prefix, name };
    if (name.length > 100) return undefined;
  }
  return undefined;
}

/** One PAX record: "<len> <key>=<value>\n", where len counts the whole record in bytes. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  const digits = String(bodyLength).length;
  // Adding the length's own digits may carry it into one more digit (e.g. 98 + 2 = 100).
  const length = String(bodyLength + digits).length > digits
    ? bodyLength + digits + 1
    : bodyLength + digits;
  return `${length}${body}`;
}

/** A best-effort ASCII stand-in for readers that ignore PAX headers. */
function fallbackName(path: string, limit: number): string {
  // deno-lint-ignore no-control-regex
  const ascii = path.replace(/[^\x01-\x7f]/g, "_");
  return ascii.length <= limit ? ascii : ascii.slice(ascii.length - limit);
}

interface HeaderFields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
}

function encodeHeaderBlock(f: HeaderFields): Uint8Array {
  const buf = new Uint8Array(BLOCK);
  writeString(buf, 0, 100, f.name);
  writeOctal(buf, 100, 8, f.mode);
  writeOctal(buf, 108, 8, f.uid);
  writeOctal(buf, 116, 8, f.gid);
  writeOctal(buf, 124, 12, f.size);
  writeOctal(buf, 136, 12, f.mtime);
  buf.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(buf, 156, 1, f.typeflag);
  writeString(buf, 157, 100, f.linkname);
  writeString(buf, 257, 6, "ustar\0");
  writeString(buf, 263, 2, "00");
  writeString(buf, 265, 32, f.uname);
  writeString(buf, 297, 32, f.gname);
  writeOctal(buf, 329, 8, 0);
  writeOctal(buf, 337, 8, 0);
  writeString(buf, 345, 155, f.prefix);
  let sum = 0;
  for (const b of buf) sum += b;
  writeString(buf, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return buf;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * Encodes the header block(s) of one entry: a PAX extended header with its
 * data when something does not fit ustar, then the ustar header.
 *
 * @example
 * ```ts
 * import { encodeHeader } from "./writer.ts";
 * const header = encodeHeader({
 *   path: "hello.txt", type: "file", mode: 0o644, uid: 0, gid: 0,
 *   uname: "", gname: "", mtime: 0, linkname: "", size: 5,
 * });
 * console.log(header.length); // 512
 * ```
 */
export function encodeHeader(entry: PreparedEntry): Uint8Array {
  const fullPath = entry.type === "directory" ? entry.path + "/" : entry.path;
  const pax: string[] = [];
  let name: string;
  let prefix = "";
  const split = splitUstarPath(fullPath);
  if (split) {
    ({ name, prefix } = split);
  } else {
    pax.push(paxRecord("path", fullPath));
    name = fallbackName(fullPath, 100);
  }
  let linkname = entry.linkname;
  if (linkname && (!isAscii(linkname) || encoder.encode(linkname).length > 100)) {
    pax.push(paxRecord("linkpath", linkname));
    linkname = fallbackName(linkname, 100);
  }
  let size = entry.size;
  if (size > MAX_OCTAL_11) {
    pax.push(paxRecord("size", String(size)));
    size = 0;
  }
  let mtime = entry.mtime;
  if (mtime < 0 || mtime > MAX_OCTAL_11 || !Number.isInteger(mtime)) {
    pax.push(paxRecord("mtime", String(mtime)));
    mtime = mtime < 0 ? 0 : Math.min(Math.floor(mtime), MAX_OCTAL_11);
  }
  let uid = entry.uid;
  if (uid > MAX_OCTAL_7) {
    pax.push(paxRecord("uid", String(uid)));
    uid = 0;
  }
  let gid = entry.gid;
  if (gid > MAX_OCTAL_7) {
    pax.push(paxRecord("gid", String(gid)));
    gid = 0;
  }
  let uname = entry.uname;
  if (!isAscii(uname) || uname.length > 31) {
    pax.push(paxRecord("uname", uname));
    uname = "";
  }
  let gname = entry.gname;
  if (!isAscii(gname) || gname.length > 31) {
    pax.push(paxRecord("gname", gname));
    gname = "";
  }
  const header = encodeHeaderBlock({
    name,
    prefix,
    mode: entry.mode,
    uid,
    gid,
    size,
    mtime,
    typeflag: TYPEFLAG[entry.type],
    linkname,
    uname,
    gname,
  });
  if (pax.length === 0) return header;
  const data = encoder.encode(pax.join(""));
  const paxHeader = encodeHeaderBlock({
    name: fallbackName(`PaxHeaders/${entry.path.split("/").pop()}`, 100),
    prefix: "",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime,
    typeflag: "x",
    linkname: "",
    uname: "",
    gname: "",
  });
  const out = new Uint8Array(BLOCK + data.length + padding(data.length) + BLOCK);
  out.set(paxHeader, 0);
  out.set(data, BLOCK);
  out.set(header, out.length - BLOCK);
  return out;
}

async function contentBytes(entry: PreparedEntry): Promise<Uint8Array> {
  const content: EntryContent | undefined = entry.content;
  if (content === undefined) return new Uint8Array(0);
  const bytes = content instanceof Uint8Array
    ? content
    : new Uint8Array(await content.arrayBuffer());
  if (bytes.length !== entry.size) {
    throw new InputError(
      `Cannot add "${entry.path}": its size changed while reading (${entry.size} → ${bytes.length} bytes)`,
    );
  }
  return bytes;
}

/**
 * Streams a tar archive of prepared entries: header(s), content and padding
 * per entry, then the two zero blocks that end an archive. Contents are read
 * one entry at a time, so memory stays at the largest single file.
 *
 * @example
 * ```ts
 * import { prepareEntries } from "./entry.ts";
 * import { tarChunks } from "./writer.ts";
 * const entries = prepareEntries([{ path: "a.txt", type: "file", mode: 0o644, content: new Uint8Array(3) }]);
 * let total = 0;
 * for await (const chunk of tarChunks(entries)) total += chunk.length;
 * console.log(total); // 2048: header, one data block, two end blocks
 * ```
 */
export async function* tarChunks(entries: Iterable<PreparedEntry>): AsyncGenerator<Uint8Array> {
  for (const entry of entries) {
    yield encodeHeader(entry);
    if (entry.type === "file" && entry.size > 0) {
      yield await contentBytes(entry);
      const pad = padding(entry.size);
      if (pad > 0) yield new Uint8Array(pad);
    }
  }
  yield new Uint8Array(BLOCK * 2);
}

/**
 * Writes a whole tar archive into one buffer of exactly the right size.
 *
 * @example
 * ```ts
 * import { prepareEntries } from "./entry.ts";
 * import { tarBytes } from "./writer.ts";
 * const tar = await tarBytes(prepareEntries([{ path: "etc", type: "directory", mode: 0o755 }]));
 * console.log(tar.length); // 1536
 * ```
 */
export async function tarBytes(entries: readonly PreparedEntry[]): Promise<Uint8Array> {
  let total = BLOCK * 2;
  const headers = entries.map((e) => encodeHeader(e));
  for (let i = 0; i < entries.length; i++) {
    total += headers[i].length;
    if (entries[i].type === "file") total += entries[i].size + padding(entries[i].size);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < entries.length; i++) {
    out.set(headers[i], offset);
    offset += headers[i].length;
    const entry = entries[i];
    if (entry.type === "file" && entry.size > 0) {
      out.set(await contentBytes(entry), offset);
      offset += entry.size + padding(entry.size);
    }
  }
  return out;
}
