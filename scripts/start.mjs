#!/usr/bin/env node
// `npm start`: builds the production bundle when there is none yet, then serves it.
// `npm run build` rebuilds explicitly after a change.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const run = (args) => {
  const result = spawnSync("npx", ["next", ...args], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (!existsSync(".next/BUILD_ID")) {
  console.log("vigil: no production build yet, building once (about a minute)...");
  const bundled = spawnSync("node", ["scripts/build-worker.mjs"], { stdio: "inherit" });
  if (bundled.status !== 0) process.exit(bundled.status ?? 1);
  run(["build"]);
}
run(["start", ...process.argv.slice(2)]);
