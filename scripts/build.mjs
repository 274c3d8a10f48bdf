// Builds the npm package's entry points: dist/cli.js (the `scratchbuild` bin)
// and dist/mod.js, as ES modules for Node 20. fflate stays an import, so it
// remains the package's only runtime dependency.
import { build } from "esbuild";
import { chmod, rm } from "node:fs/promises";

await rm("dist", { recursive: true, force: true });
await build({
  entryPoints: { cli: "src/cli.ts", mod: "mod.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["fflate"],
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
await chmod("dist/cli.js", 0o755);
console.error("built dist/cli.js and dist/mod.js");
