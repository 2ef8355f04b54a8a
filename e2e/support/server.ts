/**
 * Production servers for the browser tests: a temporary data directory, console users made
 * with the CLI before the first start (PGlite allows one process per data directory, so the
 * CLI cannot run beside the server), and `next start` on a free port in its own process group.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { freePort } from "../../lib/testing/ports";

export const repoRoot = resolve(__dirname, "..", "..");

export interface ConsoleUserSpec {
  email: string;
  password: string;
  role: "admin" | "reviewer";
  name: string;
}

export interface RunningServer {
  /** http://127.0.0.1:<port>, no trailing slash. */
  url: string;
  port: number;
  /** Process id of `npx next start`, also the id of its process group. */
  pid: number;
  dataDir: string;
  logFile: string;
  /** Stops the whole process group (SIGTERM, then SIGKILL after 10 s). Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** VIGIL_DATA_DIR of the server: PGlite, image store and storage key live here. */
  dataDir: string;
  /** Extra environment, e.g. { VIGIL_SESSION_MAX_AGE_SECONDS: "5" }. */
  env?: Record<string, string>;
  /** Where stdout and stderr of the server go (default test-results/e2e/server.log). */
  logFile?: string;
  /**
   * Also wait for the first-start demo seeding to log its `demo data` line (at most
   * `seedTimeoutMs`, default 60 s or E2E_SEED_TIMEOUT_MS); the shared server needs the demo
   * cases, a short-lived server for one test usually does not.
   */
  waitForDemoData?: boolean;
  seedTimeoutMs?: number;
  /** How long to wait for /api/health to answer 200 (default 120 s: models load at start). */
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * The environment of every process started against a test data directory. DATABASE_URL is
 * dropped so a developer's PostgreSQL is never touched by the tests.
 */
function vigilEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // The embedded database unless the test itself asks for PostgreSQL (`extra.DATABASE_URL`).
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  return { ...env, VIGIL_DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: "1", ...extra };
}

/** A fresh data directory under the OS temp folder. */
export async function createDataDir(label = "e2e"): Promise<string> {
  return mkdtemp(join(tmpdir(), `vigil-${label}-`));
}

/** Removes a data directory, unless E2E_KEEP=1 asks to keep it for a post-mortem. */
export async function removeDataDir(dir: string): Promise<void> {
  if (process.env.E2E_KEEP === "1") {
    console.log(`vigil e2e: kept data directory ${dir} (E2E_KEEP=1)`);
    return;
  }
  // PGlite's lock file sits beside its folder, inside the data dir: one rm covers both.
  await rm(dir, { recursive: true, force: true });
}

/**
 * Creates a console user with the CLI (`vigil user add ... --password-stdin`). The password
 * goes through stdin without a trailing newline, so it is read the same whether or not the
 * CLI trims. Run it only while no server holds the data directory.
 */
export async function addConsoleUser(dataDir: string, user: ConsoleUserSpec): Promise<void> {
  const args = ["tsx", "--conditions=react-server", "scripts/vigil.ts", "user", "add", "--email", user.email, "--role", user.role, "--name", user.name, "--password-stdin"];
  const child = spawn("npx", args, { cwd: repoRoot, env: vigilEnv(dataDir), stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  child.stdin.on("error", () => {}); // a CLI that exits early closes stdin; its exit code says why
  child.stdin.end(user.password);
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const code = await new Promise<number | null>((done) => child.on("close", done));
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`vigil e2e: \`npx ${args.join(" ")}\` exited with ${code} (VIGIL_DATA_DIR=${dataDir}):\n${output.trim()}`);
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Ends the process group led by `pid` (npx, next and its workers): SIGTERM so the server
 * closes its database, SIGKILL for whatever still runs after `graceMs`.
 */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<void> {
  if (!groupAlive(pid)) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone in between
    }
    while (groupAlive(pid) && Date.now() < deadline + 5_000) await sleep(100);
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function logTail(file: string, lines = 30): string {
  return readLog(file).trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Starts `npx next start` on the production build in `.next`, against `dataDir`, and waits
 * until /api/health answers 200 (models loaded, storage prepared) and, when asked, until the
 * demo data is seeded. Output goes to `logFile`; the server runs in its own process group
 * so `stop()` also ends the processes npx started.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { dataDir } = options;
  const logFile = resolve(options.logFile ?? join(repoRoot, "test-results", "e2e", "server.log"));
  mkdirSync(dirname(logFile), { recursive: true });
  if (!existsSync(join(repoRoot, ".next", "BUILD_ID"))) {
    throw new Error("vigil e2e: no production build in .next (the global setup builds one; or run `npm run build`).");
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(logFile, "w");
  const child = spawn("npx", ["next", "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: repoRoot,
    env: vigilEnv(dataDir, { NODE_ENV: "production", ...options.env }),
    stdio: ["ignore", log, log],
    detached: true, // its own process group, ended as one
  });
  closeSync(log);
  const pid = child.pid;
  if (!pid) throw new Error("vigil e2e: could not spawn `npx next start`");

  let exited: string | null = null;
  child.on("exit", (code, signal) => (exited = signal ? `signal ${signal}` : `code ${code}`));
  // A runner that dies (Ctrl-C, crash) must not leave a server holding the port and data dir.
  const killOnExit = () => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.on("exit", killOnExit);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= stopProcessGroup(pid).finally(() => process.off("exit", killOnExit));
    return stopped;
  };

  try {
    const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
    const readyBy = Date.now() + readyTimeoutMs;
    let lastAnswer = "no answer yet";
    for (;;) {
      if (exited) throw new Error(`vigil e2e: the server exited (${exited}) before /api/health answered 200. Last lines of ${logFile}:\n${logTail(logFile)}`);
      if (Date.now() > readyBy) throw new Error(`vigil e2e: /api/health did not answer 200 within ${readyTimeoutMs / 1000} s (last: ${lastAnswer}). Last lines of ${logFile}:\n${logTail(logFile)}`);
      try {
        const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) });
        lastAnswer = `${response.status} ${(await response.text()).slice(0, 300)}`;
        if (response.status === 200) break;
      } catch (error) {
        lastAnswer = error instanceof Error ? error.message : String(error);
      }
      await sleep(250);
    }

    if (options.waitForDemoData) {
      // /api/health says nothing about the demo data; the seeding logs a line containing
      // "demo data" when it is done (instrumentation.ts, first start only).
      const seedTimeoutMs = options.seedTimeoutMs ?? Number(process.env.E2E_SEED_TIMEOUT_MS ?? 60_000);
      const seededBy = Date.now() + seedTimeoutMs;
      while (!/demo data/i.test(readLog(logFile)) && Date.now() < seededBy && !exited) await sleep(250);
      if (exited) throw new Error(`vigil e2e: the server exited (${exited}) while seeding demo data. Last lines of ${logFile}:\n${logTail(logFile)}`);
      // The log holds colour codes; the line is quoted without them.
      const line = readLog(logFile).replace(/\x1b\[[0-9;]*m/g, "").split("\n").find((text) => /demo data/i.test(text));
      if (!line) console.warn(`vigil e2e: no "demo data" line in ${logFile} after ${seedTimeoutMs / 1000} s; tests that need demo cases may fail.`);
      else if (/not seeded|skipped/i.test(line)) console.warn(`vigil e2e: ${line.trim()} (tests that need demo cases may fail)`);
      else console.log(`vigil e2e: ${line.trim()}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return { url, port, pid, dataDir, logFile, stop };
}
