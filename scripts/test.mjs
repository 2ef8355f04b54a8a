#!/usr/bin/env node
// `npm test`: the whole suite, as CI runs it. Runs Vitest, then ends with one summary line
// `N passed, N failed[, N skipped]` that any CI can read. Extra arguments go to Vitest.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const outDir = "test-results";
mkdirSync(outDir, { recursive: true });
const report = join(outDir, "vitest.json");

// Tests run the inference workers from the same bundle as the server does.
spawnSync("node", ["scripts/build-worker.mjs"], { stdio: "inherit" });

const vitest = spawnSync("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: "true" },
});

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const result = JSON.parse(readFileSync(report, "utf8"));
  passed = result.numPassedTests;
  failed = result.numFailedTests + (result.numRuntimeErrorTestSuites ?? 0);
  skipped = result.numPendingTests + result.numTodoTests;
} catch {
  failed = Math.max(1, failed);
}
if (vitest.status !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || vitest.status !== 0 ? 1 : 0);
