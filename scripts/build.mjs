// Builds the npm package's entry points: dist/cli.js (the `scratchbuild` bin)
// and dist/mod.js, plus dist/gzip_worker.js (the gzip pool's worker thread),
// as ES modules for Node 20. fflate stays an import, so it
// remains the package's only runtime dependency.
import { build } from "esbuild";
import { chmod, rm } from "node:fs/promises";

await rm("dist", { recursive: true, force: true });
await build({
  // The gzip worker is its own entry: src/adapters/gzip_pool.ts starts
  // ./gzip_worker.js relative to the bundle that includes it.
  entryPoints: { cli: "src/cli.ts", mod: "mod.ts", gzip_worker: "src/adapters/gzip_worker.js" },
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
console.error("built dist/cli.js, dist/mod.js and dist/gzip_worker.js");
