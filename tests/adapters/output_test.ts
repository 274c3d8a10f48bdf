import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeOutput, writeOutputs } from "../../src/adapters/output.ts";
import { createImage } from "../../src/build.ts";
import { ScratchbuildError } from "../../src/errors.ts";
import type { Image } from "../../src/image/image.ts";
import { REF_NAME_ANNOTATION } from "../../src/output/oci_layout.ts";
import { assertOk, skopeoInspect, tempDir } from "../_fixtures/tools.ts";

const enc = new TextEncoder();

async function inspectDigest(ref: string): Promise<string> {
  const r = assertOk(await skopeoInspect(ref), `skopeo inspect ${ref}`);
  return (r.json as { Digest: string }).Digest;
}

function image(text: string): Promise<Image> {
  return createImage({
    entries: [{ path: "/msg.txt", type: "file", mode: 0o644, content: enc.encode(text) }],
    cmd: ["/msg.txt"],
  });
}

describe("OCI layout output", () => {
  const tmp = tempDir("sb-out-");
  after(() => tmp.cleanup());

  test("several tags share one folder; a reused tag moves to the new image", async () => {
    const dir = join(tmp.path, "layout");
    const one = await image("one");
    const two = await image("two");
    const a = await writeOutput(one, { kind: "oci", path: dir, tag: "a" });
    const b = await writeOutput(two, { kind: "oci", path: dir, tag: "b" });
    assert.notEqual(a.digest, b.digest);
    for (const [tag, digest] of [["a", a.digest], ["b", b.digest]]) {
      assert.equal(await inspectDigest(`oci:${dir}:${tag}`), digest, tag);
    }
    // Tag "a" now moves to image two; image one's blobs stay, index has two entries.
    const moved = await writeOutput(two, { kind: "oci", path: dir, tag: "a" });
    assert.equal(moved.digest, b.digest);
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    assert.deepEqual(
      index.manifests.map((m: { annotations: Record<string, string>; digest: string }) => [
        m.annotations[REF_NAME_ANNOTATION],
        m.digest,
      ]).sort(),
      [["a", b.digest], ["b", b.digest]],
    );
    assert.equal(await inspectDigest(`oci:${dir}:a`), b.digest);
    // No temporary files are left beside the blobs or the index.
    const leftovers = [
      ...readdirSync(dir),
      ...readdirSync(join(dir, "blobs", "sha256")),
    ].filter((n) => n.includes(".tmp-"));
    assert.deepEqual(leftovers, []);
  });

  test("an untagged image is listed once however often it is written", async () => {
    const dir = join(tmp.path, "untagged");
    const one = await image("one");
    await writeOutput(one, { kind: "oci", path: dir });
    await writeOutput(one, { kind: "oci", path: dir });
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0].annotations, undefined);
  });

  test("a folder whose index.json is not an index is refused, not overwritten", async () => {
    const dir = join(tmp.path, "broken");
    await writeOutput(await image("x"), { kind: "oci", path: dir, tag: "t" });
    writeFileSync(join(dir, "index.json"), "not json");
    await assert.rejects(
      writeOutput(await image("y"), { kind: "oci", path: dir, tag: "t" }),
      (e: unknown) =>
        e instanceof ScratchbuildError && e.code === "OUTPUT" &&
        /Cannot add to OCI layout ".*broken": its index.json is not a valid image index/.test(
          e.message,
        ),
    );
    assert.equal(readFileSync(join(dir, "index.json"), "utf8"), "not json");
  });

  test("several outputs are all or nothing: a failing last one leaves no earlier one", async () => {
    const dir = join(tmp.path, "all-or-nothing");
    mkdirSync(dir);
    const specs = [
      { kind: "oci-archive" as const, path: join(dir, "img.tar"), tag: "t" },
      { kind: "oci" as const, path: join(dir, "layout"), tag: "t" },
      { kind: "docker-archive" as const, path: join(dir, "missing", "img.tar") },
    ];
    await assert.rejects(
      writeOutputs(await image("x"), specs),
      /Cannot write docker archive ".*missing\/img.tar": folder ".*missing": no such file or folder/,
    );
    assert.deepEqual(readdirSync(dir), [], "nothing written, no temporary files");
    // The same outputs without the bad one are all written.
    const written = await writeOutputs(await image("x"), specs.slice(0, 2));
    assert.deepEqual(written.map((w) => w.output), [
      `oci-archive:${join(dir, "img.tar")}:t`,
      `oci:${join(dir, "layout")}:t`,
    ]);
    assert.ok(existsSync(join(dir, "img.tar")) && existsSync(join(dir, "layout", "index.json")));
  });

  test("two tags for one new layout folder in one call land in one index", async () => {
    const dir = join(tmp.path, "two-tags");
    const img = await image("two tags");
    await writeOutputs(img, [
      { kind: "oci", path: dir, tag: "a" },
      { kind: "oci", path: dir, tag: "b" },
    ]);
    for (const tag of ["a", "b"]) {
      assert.match(await inspectDigest(`oci:${dir}:${tag}`), /^sha256:/);
    }
  });

  test("an archive onto an existing folder is refused before anything is written", async () => {
    const dir = join(tmp.path, "is-a-folder");
    mkdirSync(dir);
    await assert.rejects(
      writeOutput(await image("x"), { kind: "oci-archive", path: dir }),
      /Cannot write OCI archive ".*is-a-folder": it is a folder/,
    );
    assert.deepEqual(readdirSync(tmp.path).filter((n) => n.includes(".tmp-")), []);
  });
});
