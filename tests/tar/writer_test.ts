import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { prepareEntries, type TarEntry } from "../../src/tar/entry.ts";
import { encodeHeader, tarBytes, tarChunks } from "../../src/tar/writer.ts";
import { concatBytes } from "../../src/bytes.ts";
import { gnuTarList, pythonTarList } from "../_fixtures/readback.ts";

const enc = new TextEncoder();
const sha256hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "sb-tar-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const prefixPath = "p/" + "a".repeat(60) + "/" + "b".repeat(60) + "/" + "c".repeat(40) +
  "/file.txt";
const longPath = "l/" + Array.from({ length: 6 }, (_, i) => String(i).repeat(50)).join("/") + "/f";
const longLink = "../" + "t".repeat(120);

const ENTRIES: TarEntry[] = [
  { path: "/bin/app", type: "file", mode: 0o755, content: enc.encode("#!app\n") },
  { path: "/etc/secret", type: "file", mode: 0o600, content: enc.encode("s3cret") },
  { path: "/etc/private", type: "directory", mode: 0o750 },
  { path: "/empty-dir", type: "directory", mode: 0o755 },
  { path: "/empty-file", type: "file", mode: 0o644, content: new Uint8Array(0) },
  { path: "/link-file", type: "symlink", mode: 0o777, linkname: "bin/app" },
  { path: "/link-dir", type: "symlink", mode: 0o777, linkname: "./etc" },
  { path: "/long-link", type: "symlink", mode: 0o777, linkname: longLink },
  { path: "/" + prefixPath, type: "file", mode: 0o644, content: enc.encode("prefix") },
  { path: "/" + longPath, type: "file", mode: 0o644, content: enc.encode("long") },
  { path: "/héllo/日本.txt", type: "file", mode: 0o644, content: enc.encode("utf8") },
  { path: "/setuid", type: "file", mode: 0o4755, content: enc.encode("x") },
  { path: "/odd-size", type: "file", mode: 0o644, content: new Uint8Array(513).fill(7) },
];

describe("tar writer", () => {
  test("python tarfile reads back every entry exactly", async () => {
    const tar = await tarBytes(prepareEntries(ENTRIES));
    assert.equal(tar.length % 512, 0);
    withTemp((dir) => {
      const file = join(dir, "layer.tar");
      writeFileSync(file, tar);
      const got = new Map(pythonTarList(file).map((e) => [e.name, e]));
      for (const entry of ENTRIES) {
        const name = entry.path.slice(1);
        const e = got.get(name);
        assert.ok(e, `missing ${name}; got ${[...got.keys()].join(", ")}`);
        assert.equal(e.mode, entry.mode, name);
        assert.equal(e.uid, 0);
        assert.equal(e.gid, 0);
        assert.equal(e.mtime, 0);
        if (entry.type === "file") {
          assert.equal(e.type, "file", name);
          assert.equal(e.sha256, sha256hex(entry.content as Uint8Array), name);
        } else if (entry.type === "symlink") {
          assert.equal(e.type, "symlink", name);
          assert.equal(e.linkname, entry.linkname);
        } else {
          assert.equal(e.type, "dir", name);
        }
      }
      // Implied parents exist as 0755 folders, before their children.
      const names = [...got.keys()];
      for (const name of names) {
        const parent = name.split("/").slice(0, -1).join("/");
        if (parent) {
          assert.ok(
            names.indexOf(parent) !== -1 && names.indexOf(parent) < names.indexOf(name),
            name,
          );
        }
      }
      assert.equal(got.get("héllo")?.mode, 0o755);
    });
  });

  test("GNU tar lists the same entries with the same types and modes", async () => {
    const tar = await tarBytes(prepareEntries(ENTRIES));
    withTemp((dir) => {
      const file = join(dir, "layer.tar");
      writeFileSync(file, tar);
      const lines = gnuTarList(file);
      const find = (suffix: string) => lines.find((l) => l.endsWith(suffix));
      assert.match(find(" bin/app") ?? "", /^-rwxr-xr-x 0\/0 +6 1970-01-01 00:00 bin\/app$/);
      assert.match(find(" etc/secret") ?? "", /^-rw------- 0\/0/);
      assert.match(find(" etc/private/") ?? "", /^drwxr-x--- 0\/0/);
      assert.match(find(" empty-dir/") ?? "", /^drwxr-xr-x/);
      assert.match(find("link-file -> bin/app") ?? "", /^lrwxrwxrwx/);
      assert.ok(find(`long-link -> ${longLink}`), "long link target via PAX linkpath");
      assert.ok(find(" " + prefixPath), "ustar prefix path");
      assert.ok(find(" " + longPath), "PAX path");
      assert.ok(find(" héllo/日本.txt"), "non-ASCII path");
      assert.match(find(" setuid") ?? "", /^-rwsr-xr-x/);
    });
  });

  test("a path of 101-255 bytes uses the ustar prefix field, not PAX", () => {
    const [entry] = prepareEntries([{ path: prefixPath, type: "file", mode: 0o644 }])
      .filter((e) => e.path === prefixPath);
    const header = encodeHeader(entry);
    assert.equal(header.length, 512);
    const prefix = new TextDecoder().decode(header.subarray(345, 500)).replace(/\0+$/, "");
    const name = new TextDecoder().decode(header.subarray(0, 100)).replace(/\0+$/, "");
    assert.equal(`${prefix}/${name}`, prefixPath);
  });

  test("header checksums are valid per POSIX", async () => {
    const tar = await tarBytes(prepareEntries(ENTRIES));
    for (let off = 0; off < tar.length; off += 512) {
      const block = tar.subarray(off, off + 512);
      if (block.every((b) => b === 0)) continue;
      const stored = parseInt(new TextDecoder().decode(block.subarray(148, 154)), 8);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
      if (Number.isNaN(stored)) continue; // a data block, not a header
      if (new TextDecoder().decode(block.subarray(257, 262)) !== "ustar") continue;
      assert.equal(stored, sum, `checksum at offset ${off}`);
    }
  });

  test("a file over 8 GiB - 1 gets its size from a PAX header", () => {
    const size = 8 * 1024 ** 3 + 5;
    const entry = prepareEntries([{
      path: "big.bin",
      type: "file",
      mode: 0o644,
      content: { size, arrayBuffer: () => Promise.reject(new Error("not read")) },
    }])[0];
    const header = encodeHeader(entry);
    withTemp((dir) => {
      // A sparse file: the header, then the (zero) content, padding and end blocks.
      const file = join(dir, "big.tar");
      writeFileSync(file, header);
      const padded = Math.ceil(size / 512) * 512;
      truncateSync(file, header.length + padded + 1024);
      const [e] = pythonTarList(file).filter((x) => x.name === "big.bin");
      assert.equal(e.size, size);
      const line = gnuTarList(file).find((l) => l.endsWith(" big.bin"));
      assert.match(line ?? "", new RegExp(` ${size} `));
    });
  });

  test("PAX record lengths are right where the length gains a digit", async () => {
    // " path=<p>\n" of 97, 98 and 99 bytes: with its own length the record reaches 100.
    const paths = [88, 89, 90].map((n) => "é" + "a".repeat(n));
    const tar = await tarBytes(
      prepareEntries(paths.map((path) => ({ path, type: "file" as const, mode: 0o644 }))),
    );
    withTemp((dir) => {
      const file = join(dir, "pax.tar");
      writeFileSync(file, tar);
      assert.deepEqual(pythonTarList(file).map((e) => e.name), [...paths].sort());
      assert.equal(gnuTarList(file).length, 3);
    });
  });

  test("streamed chunks equal the one-buffer tar", async () => {
    const entries = prepareEntries(ENTRIES);
    const parts: Uint8Array[] = [];
    for await (const c of tarChunks(entries)) parts.push(c);
    assert.deepEqual(concatBytes(parts), await tarBytes(entries));
  });

  test("the same entries in any order give identical bytes", async () => {
    const a = await tarBytes(prepareEntries(ENTRIES));
    const b = await tarBytes(prepareEntries([...ENTRIES].reverse()));
    assert.deepEqual(a, b);
  });

  test("content that changed size since it was listed is an error", async () => {
    const entries = prepareEntries([{
      path: "f",
      type: "file",
      mode: 0o644,
      content: { size: 10, arrayBuffer: () => Promise.resolve(new ArrayBuffer(3)) },
    }]);
    await assert.rejects(tarBytes(entries), /Cannot add "f": its size changed/);
  });
});
