#!/usr/bin/env node
// `npm test`: the whole suite, as CI runs it. Runs Vitest, then the browser tests (Playwright
// driving Debian's Chromium against the production build), and ends with one summary line
// `N passed, N failed[, N skipped]` covering both that any CI can read.
//
//   --unit-only   Vitest only          --e2e-only   Playwright only
// Other arguments go to Vitest.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const unitOnly = args.includes("--unit-only");
const e2eOnly = args.includes("--e2e-only");
const vitestArgs = args.filter((arg) => arg !== "--unit-only" && arg !== "--e2e-only");
if (unitOnly && e2eOnly) {
  console.error("test: --unit-only and --e2e-only exclude each other");
  process.exit(2);
}

const outDir = "test-results";
mkdirSync(outDir, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };

// Tests run the inference workers from the same bundle as the server does.
spawnSync("node", ["scripts/build-worker.mjs"], { stdio: "inherit" });

function runVitest() {
  ensureNginx();
  const report = join(outDir, "vitest.json");
  rmSync(report, { force: true }); // a report left by an earlier run must not be counted
  const vitest = spawnSync("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...vitestArgs], {
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
  return { passed, failed, skipped };
}

const isRoot = process.getuid?.() === 0;

/**
 * A Debian package's binary, installed with apt when it is missing and we may (root).
 * Returns whether `binary` exists afterwards; `why` names what needs it, `fallback` says what to do without it.
 */
function ensureDebianPackage({ binary, pkg, why, fallback }) {
  if (existsSync(binary)) return true;
  if (!isRoot) {
    console.error(`test: ${binary} is missing (Debian's ${pkg}, for ${why}). Install it with \`sudo apt-get install -y ${pkg}\`${fallback ? `, or ${fallback}` : ""}.`);
    return false;
  }
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", pkg], { stdio: "inherit", env: aptEnv }).status === 0;
  console.log(`test: ${binary} is missing, installing Debian's ${pkg} package...`);
  if (!install()) {
    console.log("test: apt-get install failed; updating the package lists and trying again...");
    spawnSync("apt-get", ["update"], { stdio: "inherit", env: aptEnv });
    install();
  }
  if (existsSync(binary)) return true;
  console.error(`test: could not install ${pkg} with apt-get (${binary} is needed for ${why}).`);
  return false;
}

/** Debian's Chromium for the browser tests; Playwright's own browser downloads are never used. */
const ensureChromium = () =>
  ensureDebianPackage({ binary: "/usr/bin/chromium", pkg: "chromium", why: "the browser tests", fallback: "run with --unit-only (never `npx playwright install`)" });

/**
 * nginx for the cluster test (bench/lib/cluster.test.ts), which puts two instances behind it.
 * Without it (and not root) that test is skipped with the reason; as root it fails instead.
 */
const ensureNginx = () => ensureDebianPackage({ binary: process.env.VIGIL_TEST_NGINX || "/usr/sbin/nginx", pkg: "nginx", why: "the cluster test" });

function runPlaywright() {
  if (!ensureChromium()) return { passed: 0, failed: 1, skipped: 0 };
  const report = join(outDir, "playwright.json");
  rmSync(report, { force: true });
  const playwright = spawnSync("npx", ["playwright", "test"], { stdio: "inherit" });
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    const result = JSON.parse(readFileSync(report, "utf8"));
    passed = result.stats.expected;
    failed = result.stats.unexpected + (result.stats.flaky ?? 0);
    skipped = result.stats.skipped;
    // Errors outside any test (global setup, a spec that does not load) fail the run too.
    failed += result.errors?.length ?? 0;
  } catch {
    console.error(`test: no Playwright report at ${report}; counting the browser tests as one failure.`);
    failed = Math.max(1, failed);
  }
  if (playwright.status !== 0 && failed === 0) failed = 1;
  return { passed, failed, skipped };
}

const runs = [];
if (!e2eOnly) runs.push(runVitest);
if (!unitOnly) runs.push(runPlaywright);
for (const run of runs) {
  const result = run();
  totals.passed += result.passed;
  totals.failed += result.failed;
  totals.skipped += result.skipped;
}

const { passed, failed, skipped } = totals;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
