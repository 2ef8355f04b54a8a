/**
 * Before any browser test: a current production build, a temporary data directory with the
 * console users of e2e/support/fixtures.ts, and one `next start` serving it with its demo data
 * seeded. Tests reach it through E2E_BASE_URL (playwright.config.ts makes it the baseURL);
 * e2e/global-teardown.ts stops it and removes the directory.
 */
import { relative } from "node:path";
import { ensureCurrentBuild } from "../bench/lib/build";
import { users } from "./support/fixtures";
import { addConsoleUser, createDataDir, removeDataDir, repoRoot, startServer, type RunningServer } from "./support/server";

export default async function globalSetup(): Promise<void> {
  ensureCurrentBuild(repoRoot, "vigil e2e");
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
