#!/usr/bin/env node
// Bundles the inference worker (lib/inference/worker.ts and what it imports) into one ES
// module, .vigil/inference-worker.mjs, so a worker thread starts in ~0.1 s instead of ~0.5 s
// spent compiling TypeScript at run time. Run at install, before `next build` and before the
// tests. The pool uses the bundle only while it is newer than every source it was built from
// (recorded beside it), and otherwise loads the sources through tsx.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, ".vigil", "inference-worker.mjs");
mkdirSync(dirname(outfile), { recursive: true });

const result = await build({
  entryPoints: [join(root, "lib", "inference", "worker.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Native addons load from node_modules at run time, and so does OpenCV's 11 MB WebAssembly
  // build (lib/inference/document/opencv.ts requires it when a worker starts).
  external: ["onnxruntime-node", "sharp", "@techstark/opencv-js"],
  // lib/ files import "server-only", which is an empty module under this condition.
  conditions: ["react-server"],
  alias: { "@": root },
  metafile: true,
  logLevel: "warning",
  // ESM output still meets CommonJS dependencies (zod is ESM, but keep require working).
  banner: { js: "import { createRequire as __vigilRequire } from 'node:module'; const require = __vigilRequire(import.meta.url);" },
});
const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes("node_modules")).map((f) => resolve(root, f));
writeFileSync(join(root, ".vigil", "inference-worker.json"), JSON.stringify({ builtAt: Date.now(), inputs }, null, 2));
console.log(`vigil: bundled the inference worker (${inputs.length} source files)`);
