/**
 * Before any browser test: a current production build, a temporary data directory with the
 * console users of e2e/support/fixtures.ts, and one `next start` serving it with its demo data
 * seeded. Tests reach it through E2E_BASE_URL (playwright.config.ts makes it the baseURL);
 * e2e/global-teardown.ts stops it and removes the directory.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { users } from "./support/fixtures";
import { addConsoleUser, createDataDir, removeDataDir, repoRoot, startServer, type RunningServer } from "./support/server";

/** What `next build` compiles: a change to any of these makes .next stale. */
const sourceDirs = ["app", "components", "lib", "db"];
const sourceFiles = ["next.config.ts", "package-lock.json", "instrumentation.ts", "proxy.ts", "middleware.ts"];

/** The most recently modified build input; unit tests (*.test.ts) are not part of the bundle. */
function newestSource(): { file: string; mtimeMs: number } | null {
  let newest: { file: string; mtimeMs: number } | null = null;
  const consider = (file: string) => {
    const { mtimeMs } = statSync(file);
    if (!newest || mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (entry.isFile() && !/\.test\.tsx?$/.test(entry.name)) {
        consider(path);
      }
    }
  };
  for (const dir of sourceDirs) if (existsSync(join(repoRoot, dir))) walk(join(repoRoot, dir));
  for (const file of sourceFiles) if (existsSync(join(repoRoot, file))) consider(join(repoRoot, file));
  return newest;
}

/** Why the build in .next cannot be used, or null when it is current. */
function staleBuildReason(): string | null {
  const buildId = join(repoRoot, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return "there is no .next/BUILD_ID yet";
  const built = statSync(buildId).mtimeMs;
  const newest = newestSource();
  if (newest && newest.mtimeMs > built) {
    return `${relative(repoRoot, newest.file)} changed after the last build (${new Date(newest.mtimeMs).toISOString()} > ${new Date(built).toISOString()})`;
  }
  return null;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: "inherit", env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) {
    throw new Error(`vigil e2e: \`${command} ${args.join(" ")}\` failed (${result.error?.message ?? `exit code ${result.status}`}); the browser tests need a production build.`);
  }
}

function ensureCurrentBuild(): void {
  const reason = staleBuildReason();
  if (!reason) {
    console.log("vigil e2e: production build in .next is current");
    return;
  }
  console.log(`vigil e2e: building the production bundle because ${reason} (about a minute)...`);
  run("node", ["scripts/build-worker.mjs"]);
  run("npx", ["next", "build"]);
}

export default async function globalSetup(): Promise<void> {
  ensureCurrentBuild();
  const dataDir = await createDataDir("e2e");
  let server: RunningServer | undefined;
  try {
    for (const user of Object.values(users)) await addConsoleUser(dataDir, user);
    console.log(`vigil e2e: created ${Object.keys(users).length} console users in ${dataDir}`);
    server = await startServer({ dataDir, env: { VIGIL_DEMO_DATA: "1" }, waitForDemoData: true });
  } catch (error) {
    await server?.stop();
    await removeDataDir(dataDir);
    throw error;
  }
  console.log(`vigil e2e: server ${server.url} (pid ${server.pid}), log ${relative(repoRoot, server.logFile)}`);
  // Workers are started after this and inherit the environment.
  process.env.E2E_BASE_URL = server.url;
  process.env.E2E_SERVER_PID = String(server.pid);
  process.env.E2E_DATA_DIR = dataDir;
}
