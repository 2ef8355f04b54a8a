/**
 * After the browser tests: stops the server e2e/global-setup.ts started (its whole process
 * group) and removes its data directory, which E2E_KEEP=1 keeps for a post-mortem.
 */
import { removeDataDir, stopProcessGroup } from "./support/server";

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.E2E_SERVER_PID);
  if (pid > 0) await stopProcessGroup(pid);
  const dataDir = process.env.E2E_DATA_DIR;
  if (dataDir) await removeDataDir(dataDir);
  delete process.env.E2E_SERVER_PID;
  delete process.env.E2E_DATA_DIR;
}
