import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, chown, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";
import { freePort } from "../../lib/testing/ports";

const execFileAsync = promisify(execFile);

const DEFAULT_BIN_DIR = "/usr/lib/postgresql/15/bin";
const REQUIRED_BINARIES = ["initdb", "pg_ctl", "postgres"] as const;
const DATABASE = "vigil_test";
const START_ATTEMPTS = 3;
const PG_CTL_TIMEOUT_SECONDS = 30;
const LOG_TAIL_LINES = 30;

/** A running throwaway cluster: connect with `url`, then always call `stop()`. */
export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
  /** The port the server listens on, the same across shutdown() and start(). */
  port: number;
  /**
   * Shuts the server down and leaves its data directory: `fast` (pg_ctl -m fast: sessions are
   * terminated, their transactions rolled back, then a checkpoint) or `immediate` (pg_ctl -m
   * immediate: every process quits at once, as in a crash; WAL replay on the next start).
   */
  shutdown(mode: "fast" | "immediate"): Promise<void>;
  /** Starts the server again on the same data directory and port (after shutdown()). */
  start(): Promise<void>;
}

export interface TestPostgresOptions {
  /**
   * Keep `synchronous_commit` on, so that a commit acknowledged to the client survives an
   * immediate shutdown (restart tests). Off by default: faster, and nothing else needs it.
   */
  durableCommits?: boolean;
}

/** The OS account the server runs as; null means "the current user". */
interface Account {
  uid: number;
  gid: number;
}

interface Cluster {
  dir: string;
  dataDir: string;
  logFile: string;
  account: Account | null;
}

/**
 * The bin directory to use. Overridable with VIGIL_TEST_PG_BIN because distributions and CI
 * images put PostgreSQL 15 in different places.
 */
function binDir(): string {
  return process.env.VIGIL_TEST_PG_BIN || DEFAULT_BIN_DIR;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Why PostgreSQL tests cannot run here, or null when they can. Lets suites skip with a clear
 * message on machines without the server binaries instead of failing on a spawn error.
 */
export function postgresUnavailableReason(): string | null {
  const dir = binDir();
  const missing = REQUIRED_BINARIES.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) return `PostgreSQL binaries not found in ${dir} (missing: ${missing.join(", ")})`;
  if (isRoot() && !postgresUserExists()) {
    return "running as root but there is no OS user `postgres` to run the server as (PostgreSQL refuses root)";
  }
  return null;
}

function postgresUserExists(): boolean {
  try {
    execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function idOf(flag: "-u" | "-g"): Promise<number> {
  const { stdout } = await execFileAsync("id", [flag, "postgres"]);
  return Number.parseInt(stdout.trim(), 10);
}

/** PostgreSQL refuses to run as root, so as root we drop to the `postgres` account. */
async function serverAccount(): Promise<Account | null> {
  if (!isRoot()) return null;
  return { uid: await idOf("-u"), gid: await idOf("-g") };
}

/** Runs a PostgreSQL binary as the server account, with cwd inside the temp dir it can read. */
async function runPg(cluster: Cluster, binary: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(join(binDir(), binary), args, {
      cwd: cluster.dir,
      env: { ...process.env, LC_ALL: "C" },
      ...(cluster.account ?? {}),
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${binary} ${args.join(" ")} failed${stderr ? `: ${stderr}` : ""}`, { cause: error });
  }
}

async function makeClusterDir(account: Account | null): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), "vigil-pg-"));
  if (account) await chown(dir, account.uid, account.gid);
  return { dir, dataDir: join(dir, "data"), logFile: join(dir, "server.log"), account };
}

/** Durability is pointless for a throwaway cluster; turning it off makes the suite much faster. */
function serverSettings(cluster: Cluster, options: TestPostgresOptions): string {
  return [
    "",
    "# vigil test cluster",
    // Without fsync an OS crash may lose data, a server crash does not: the WAL written before
    // an immediate shutdown is in the page cache, and synchronous_commit makes a commit wait for
    // that write (off, an acknowledged commit can be lost to a crash-style stop).
    "fsync = off",
    `synchronous_commit = ${options.durableCommits ? "on" : "off"}`,
    "full_page_writes = off",
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${cluster.dir.replaceAll("'", "''")}'`,
    "max_connections = 100",
    "",
  ].join("\n");
}

async function initCluster(cluster: Cluster, options: TestPostgresOptions): Promise<void> {
  await runPg(cluster, "initdb", [
    "-D", cluster.dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C",
  ]);
  await appendFile(join(cluster.dataDir, "postgresql.conf"), serverSettings(cluster, options));
}

async function logSize(cluster: Cluster): Promise<number> {
  return stat(cluster.logFile).then((s) => s.size, () => 0);
}

async function logSince(cluster: Cluster, offset: number): Promise<string> {
  const log = await readFile(cluster.logFile, "utf8").catch(() => "");
  return log.slice(offset);
}

function tail(text: string): string {
  return text.trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
}

async function pgCtlStart(cluster: Cluster, port: number): Promise<void> {
  await runPg(cluster, "pg_ctl", [
    "-D", cluster.dataDir, "-l", cluster.logFile, "-w", "-t", String(PG_CTL_TIMEOUT_SECONDS),
    "-o", `-p ${port}`, "start",
  ]);
}

/** Starts the server on a fresh port, retrying if another process grabbed the port first. */
async function startServer(cluster: Cluster): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const offset = await logSize(cluster);
    try {
      await pgCtlStart(cluster, port);
      return port;
    } catch (error) {
      const log = await logSince(cluster, offset);
      if (attempt < START_ATTEMPTS && log.includes("Address already in use")) continue;
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`PostgreSQL failed to start. ${message}\nServer log (tail):\n${tail(log)}`, { cause: error });
    }
  }
}

/**
 * Starts a stopped cluster again on its old port. Right after an immediate shutdown the port
 * may still be held for a moment by a dying backend, so "Address already in use" is retried.
 */
async function restartServer(cluster: Cluster, port: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const offset = await logSize(cluster);
    try {
      await pgCtlStart(cluster, port);
      return;
    } catch (error) {
      const log = await logSince(cluster, offset);
      if (attempt < 10 && log.includes("Address already in use")) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`PostgreSQL failed to start again. ${message}\nServer log (tail):\n${tail(log)}`, { cause: error });
    }
  }
}

async function createDatabase(port: number): Promise<void> {
  const client = new Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  await client.connect();
  try {
    await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** Stops the server if it runs (immediate: nothing needs to survive), then deletes everything. */
async function destroyCluster(cluster: Cluster): Promise<void> {
  if (existsSync(join(cluster.dataDir, "postmaster.pid"))) {
    await runPg(cluster, "pg_ctl", ["-D", cluster.dataDir, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
  }
  await rm(cluster.dir, { recursive: true, force: true });
}

/** Returns a stop function that does the work once, however many times it is called. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => (pending ??= fn());
}

/**
 * Starts a fresh PostgreSQL 15 cluster in a temp dir with database `vigil_test`, so tests run
 * against the real server the app uses in production rather than a mock. Cleans up after itself
 * if startup fails; otherwise the caller owns `stop()` (idempotent, safe in afterAll).
 */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const reason = postgresUnavailableReason();
  if (reason) throw new Error(reason);
  const cluster = await makeClusterDir(await serverAccount());
  const stop = once(() => destroyCluster(cluster));
  try {
    await initCluster(cluster, options);
    const port = await startServer(cluster);
    await createDatabase(port);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`,
      stop,
      port,
      shutdown: (mode) => runPg(cluster, "pg_ctl", ["-D", cluster.dataDir, "-m", mode, "-w", "-t", String(PG_CTL_TIMEOUT_SECONDS), "stop"]),
      start: () => restartServer(cluster, port),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
