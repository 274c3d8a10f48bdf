import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { readSource } from "../../src/adapters/fs.ts";
import { InputError } from "../../src/errors.ts";
import { tempDir } from "../_fixtures/tools.ts";

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
}

describe("reading sources", () => {
  const tmp = tempDir("sb-fs-");
  after(() => tmp.cleanup());

  test("a folder's contents go under DEST, a file to DEST or /<name>", async () => {
    const src = join(tmp.path, "tree");
    mkdirSync(join(src, "sub"), { recursive: true });
    writeFileSync(join(src, "sub", "f.txt"), "x", { mode: 0o640 });
    symlinkSync("sub/f.txt", join(src, "link"));
    const entries = await readSource({ src, dest: "/opt/app/" });
    assert.deepEqual(
      entries.map((e) => [e.path, e.type, e.type === "symlink" ? e.linkname : e.mode]),
      [
        ["/opt/app", "directory", entries[0].mode],
        ["/opt/app/link", "symlink", "sub/f.txt"],
        ["/opt/app/sub", "directory", entries[2].mode],
        ["/opt/app/sub/f.txt", "file", 0o640],
      ],
    );
    const [file] = await readSource({ src: join(src, "sub", "f.txt") });
    assert.equal(file.path, "/f.txt");
    const [into] = await readSource({ src: join(src, "sub", "f.txt"), dest: "/etc/" });
    assert.equal(into.path, "/etc/f.txt");
    // The source itself is followed when it is a symlink, as COPY does.
    const [followed] = await readSource({ src: join(src, "link"), dest: "/x" });
    assert.equal(followed.type, "file");
  });

  test("a socket is refused with its path named", async () => {
    const dir = join(tmp.path, "with-socket");
    mkdirSync(dir);
    const sock = join(dir, "app.sock");
    const server = createServer();
    await listen(server, sock);
    try {
      await assert.rejects(
        readSource({ src: dir }),
        (e: unknown) =>
          e instanceof InputError &&
          e.message ===
            `Cannot add "${sock}": it is a socket; only files, folders and symlinks go into an image`,
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test("a device is refused with its path named", async () => {
    await assert.rejects(
      readSource({ src: "/dev/null" }),
      /^InputError: Cannot add "\/dev\/null": it is a character device/,
    );
  });

  test("a missing source says so", async () => {
    await assert.rejects(
      readSource({ src: join(tmp.path, "nope") }),
      /Cannot read source ".*nope": no such file or folder/,
    );
  });
});
