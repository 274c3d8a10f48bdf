import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { VERSION } from "../src/version.ts";

test("VERSION, deno.json and package.json agree", () => {
  const root = new URL("../", import.meta.url);
  const deno = JSON.parse(readFileSync(new URL("deno.json", root), "utf8"));
  const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
  assert.equal(deno.version, VERSION);
  assert.equal(pkg.version, VERSION);
  assert.equal(deno.imports.fflate, "npm:fflate@^0.8.2");
  assert.deepEqual(
    Object.keys(pkg.dependencies),
    ["fflate"],
    "fflate is the only runtime dependency",
  );
});
