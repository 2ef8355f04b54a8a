/**
 * Whether the production build in .next is current, and a build when it is not: what the
 * browser tests (e2e/global-setup.ts) and the cluster test do before they start `next start`,
 * so a fresh build is reused and a stale one is never served.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** What `next build` compiles: a change to any of these makes .next stale. */
const sourceDirs = ["app", "components", "lib", "db"];
const sourceFiles = ["next.config.ts", "package-lock.json", "instrumentation.ts", "proxy.ts", "middleware.ts"];

/** The most recently modified build input under `root`; unit tests (*.test.ts) are not part of the bundle. */
function newestSource(root: string): { file: string; mtimeMs: number } | null {
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
  for (const dir of sourceDirs) if (existsSync(join(root, dir))) walk(join(root, dir));
  for (const file of sourceFiles) if (existsSync(join(root, file))) consider(join(root, file));
  return newest;
}

/** Why the build in `<root>/.next` cannot be used, or null when it is current. */
export function staleBuildReason(root: string): string | null {
  const buildId = join(root, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return "there is no .next/BUILD_ID yet";
  const built = statSync(buildId).mtimeMs;
  const newest = newestSource(root);
  if (newest && newest.mtimeMs > built) {
    return `${relative(root, newest.file)} changed after the last build (${new Date(newest.mtimeMs).toISOString()} > ${new Date(built).toISOString()})`;
  }
  return null;
}

function run(root: string, command: string, args: string[], label: string): void {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) {
    throw new Error(`${label}: \`${command} ${args.join(" ")}\` failed (${result.error?.message ?? `exit code ${result.status}`}); a production build is needed.`);
  }
}

/** Builds the inference worker and the production bundle unless the build in .next is current. */
export function ensureCurrentBuild(root: string, label: string): void {
  const reason = staleBuildReason(root);
  if (!reason) {
    console.log(`${label}: production build in .next is current`);
    return;
  }
  console.log(`${label}: building the production bundle because ${reason} (a few minutes)...`);
  run(root, "node", ["scripts/build-worker.mjs"], label);
  run(root, "npx", ["next", "build"], label);
}
