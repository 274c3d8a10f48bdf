import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { comparePaths, normalizePath, prepareEntries } from "../../src/tar/entry.ts";
import { InputError, UsageError } from "../../src/errors.ts";

describe("entries", () => {
  test("paths are normalised to relative form", () => {
    assert.equal(normalizePath("/a//b/./c/"), "a/b/c");
    assert.equal(normalizePath("./x"), "x");
    assert.throws(() => normalizePath("/a/../b"), UsageError);
    assert.throws(() => normalizePath("/"), /names the image root/);
  });

  test("order is a tree walk, parents first", () => {
    assert.deepEqual(["b", "a/b", "a-b", "a", "a/a"].sort(comparePaths), [
      "a",
      "a/a",
      "a/b",
      "a-b",
      "b",
    ]);
  });

  test("missing parents are added; later entries replace earlier ones", () => {
    const enc = new TextEncoder();
    const out = prepareEntries([
      { path: "/x/y/z", type: "file", mode: 0o644, content: enc.encode("one") },
      { path: "/x/y/z", type: "file", mode: 0o600, content: enc.encode("two!") },
    ]);
    assert.deepEqual(out.map((e) => [e.path, e.type, e.mode, e.size]), [
      ["x", "directory", 0o755, 0],
      ["x/y", "directory", 0o755, 0],
      ["x/y/z", "file", 0o600, 4],
    ]);
  });

  test("a file replacing a folder drops the folder's contents", () => {
    const out = prepareEntries([
      { path: "/d/inner", type: "file", mode: 0o644 },
      { path: "/d", type: "file", mode: 0o644 },
    ]);
    assert.deepEqual(out.map((e) => e.path), ["d"]);
  });

  test("owner and mtime overrides apply to every entry", () => {
    const out = prepareEntries([{ path: "/a/b", type: "file", mode: 0o644, uid: 5, mtime: 9 }], {
      uid: 1000,
      gid: 1001,
      mtime: 1700000000,
    });
    for (const e of out) assert.deepEqual([e.uid, e.gid, e.mtime], [1000, 1001, 1700000000]);
  });

  test("bad entries are refused with the path named", () => {
    assert.throws(
      () => prepareEntries([{ path: "/s", type: "symlink", mode: 0o777 }]),
      /Cannot add "\/s": a symlink needs a target/,
    );
    assert.throws(
      () => prepareEntries([{ path: "/m", type: "file", mode: 0o17777 }]),
      InputError,
    );
    assert.throws(
      () =>
        prepareEntries([
          { path: "/f", type: "file", mode: 0o644 },
          { path: "/f/g", type: "file", mode: 0o644 },
        ]),
      /its parent "f" is a file/,
    );
  });
});
