import "server-only";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { vector } from "@electric-sql/pglite-pgvector";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { Pool } from "pg";
import type { PoolClient } from "pg";
import { getEnv } from "@/lib/env";
import { isDatabaseUnavailable } from "./errors";
import * as schema from "./schema";
import { migrateDatabase, withSchemaLock } from "./migrate";
import { prepareVectorIndex } from "./vector";
import type { SearchIndexKind } from "./vector";

/** The one database type domain code sees, whether PGlite or PostgreSQL is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle: every function that takes a Database also accepts one. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface DatabaseHandle {
  db: Database;
  kind: "pglite" | "postgres";
  /** How 1:N search runs here: pgvector HNSW, or an exact scan where the extension is missing. */
  searchIndex: SearchIndexKind;
  close(): Promise<void>;
}

/** `searchIndex: "exact"` leaves pgvector out even where it is available (tests of the exact path). */
export interface OpenOptions {
  searchIndex?: "auto" | "exact";
}

const options = { schema, casing: "snake_case" as const };

/** An in-memory PGlite, migrated: what tests use. */
export async function openMemoryDatabase(open: OpenOptions = {}): Promise<DatabaseHandle> {
  const client = new PGlite({ extensions: { vector } });
  const db = drizzlePglite(client, options) as unknown as Database;
  await migrateDatabase(db, "pglite");
  const searchIndex = await prepareVectorIndex(db, open.searchIndex);
  return { db, kind: "pglite", searchIndex, close: () => client.close() };
}

/**
 * How long a request waits for a new connection before it fails as DATABASE_UNAVAILABLE. A
 * server that is down refuses at once; this bounds a network cut or a server too busy to
 * answer, so requests fail cleanly instead of hanging.
 */
const CONNECT_TIMEOUT_MS = 5_000;
/** At most one log line per interval about dropped connections (a restart drops them all at once). */
const POOL_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * A node-postgres pool that survives the server going away and coming back (a restart, a
 * failover): a connection that dies is dropped from the pool and the next query opens a new
 * one, so nothing needs to be restarted on this side.
 */
export function createPostgresPool(url: string, max = 10): Pool {
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
  let loggedAt = 0;
  let unlogged = 0;
  const log = (error: Error) => {
    unlogged++;
    if (Date.now() - loggedAt < POOL_ERROR_LOG_INTERVAL_MS) return;
    loggedAt = Date.now();
    const code = (error as { code?: string }).code;
    console.error(`vigil: PostgreSQL connection lost (${unlogged} since the last line): ${code ? `${code} ` : ""}${error.message}`);
    unlogged = 0;
  };
  // An idle connection that dies: the pool drops it and reports it here (unhandled, it would end the process).
  pool.on("error", log);
  // A checked-out connection that dies between two queries (a transaction waiting on the next
  // statement when the server shuts down) emits 'error' on its client, which the pool does not
  // listen to while the client is out: unhandled, that 'error' event ends the process. The
  // client is left unqueryable, its next query fails, and the pool drops it on release.
  pool.on("connect", (client) => client.on("error", log));
  releaseDeadClients(pool);
  return pool;
}

/**
 * Hands a checked-out client back to the pool as soon as its connection dies, since whoever
 * holds it may never do so: drizzle's transaction (node-postgres session, 0.45) sends BEGIN
 * before its try/finally, so a BEGIN that fails on a dead connection leaves the client checked
 * out for good; each PostgreSQL restart could take one of the pool's connections away, and
 * `pool.end()` then waits forever (lib/verification/pg-restart.test.ts hung in 3 runs of 19).
 * The pool drops the dead client. The holder's own release, if it comes, does nothing: no
 * query can run on that client any more anyway.
 */
function releaseDeadClients(pool: Pool): void {
  const connect = pool.connect.bind(pool) as () => Promise<PoolClient>;
  // Only the promise form is wrapped: pool.query() checks clients out with a callback and releases them itself.
  pool.connect = ((...args: unknown[]) => {
    if (args.length > 0) return (Pool.prototype.connect as (...a: unknown[]) => unknown).apply(pool, args);
    return connect().then((client) => {
      const release = client.release;
      let released = false;
      const onError = (error: Error) => client.release(error);
      client.release = (error?: Error | boolean) => {
        if (released) return;
        released = true;
        client.removeListener("error", onError);
        release(error);
      };
      client.once("error", onError);
      return client;
    });
  }) as Pool["connect"];
}

/** A PostgreSQL database at `url`, migrated. */
export async function openPostgresDatabase(url: string, max = 10, open: OpenOptions = {}): Promise<DatabaseHandle> {
  const pool = createPostgresPool(url, max);
  const db = drizzleNodePg(pool, options) as unknown as Database;
  try {
    const searchIndex = await withSchemaLock(pool, async () => {
      await migrateDatabase(db, "postgres");
      return prepareVectorIndex(db, open.searchIndex);
    });
    return { db, kind: "postgres", searchIndex, close: () => pool.end() };
  } catch (error) {
    // Opened again on the next getDatabase(): this pool must not linger.
    await pool.end().catch(() => undefined);
    throw error;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `<dir>.lock` for this process. PGlite is a single-process database: two processes on
 * one data directory corrupt it, so a second one is refused with what to do instead.
 */
function lockDataDir(dir: string): () => void {
  const lock = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      const release = () => rmSync(lock, { force: true });
      process.once("exit", release);
      return release;
    } catch {
      const holder = Number(readFileSync(lock, "utf8"));
      if (holder && holder !== process.pid && isRunning(holder)) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${holder} (PGlite allows one process per data directory). ` +
            "Stop that process first (for example the running server), or run Vigil on PostgreSQL with DATABASE_URL.",
        );
      }
      rmSync(lock, { force: true }); // left by a process that is gone
    }
  }
  throw new Error(`could not lock ${dir}`);
}

/** PGlite on disk under `dir`. One process per data directory, enforced by a lock file. */
export async function openPgliteDatabase(dir: string, open: OpenOptions = {}): Promise<DatabaseHandle> {
  mkdirSync(dir, { recursive: true });
  const release = lockDataDir(dir);
  try {
    const client = new PGlite(dir, { extensions: { vector } });
    const db = drizzlePglite(client, options) as unknown as Database;
    await migrateDatabase(db, "pglite");
    const searchIndex = await prepareVectorIndex(db, open.searchIndex);
    return {
      db,
      kind: "pglite",
      searchIndex,
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

const globalKey = Symbol.for("vigil.database");
type Holder = { [globalKey]?: Promise<DatabaseHandle> };

/**
 * The process-wide database: PostgreSQL when DATABASE_URL is set, otherwise embedded PGlite
 * under VIGIL_DATA_DIR (default ./data). Migrated on first use.
 */
export function getDatabase(): Promise<DatabaseHandle> {
  const holder = globalThis as Holder;
  if (!holder[globalKey]) {
    const env = getEnv();
    const open = { searchIndex: env.VIGIL_SEARCH_INDEX };
    const opened = env.DATABASE_URL
      ? openPostgresDatabase(env.DATABASE_URL, 10, open)
      : openPgliteDatabase(join(env.VIGIL_DATA_DIR, "pglite"), open);
    holder[globalKey] = opened;
    opened.catch(() => delete holder[globalKey]);
  }
  return holder[globalKey]!;
}

export async function getDb(): Promise<Database> {
  return (await getDatabase()).db;
}

/** Makes `handle` the process-wide database: tests install an in-memory PGlite this way. */
export function installDatabase(handle: DatabaseHandle): void {
  (globalThis as Holder)[globalKey] = Promise.resolve(handle);
}

export interface DatabasePing {
  up: boolean;
  kind: DatabaseHandle["kind"] | null;
  /** Round trip of `select 1` (or the time waited before giving up), ms. */
  ms: number;
  /** Why it is down, as a code safe to show anyone (never a host name or a message). */
  reason: string | null;
}

/**
 * Asks the process-wide database for `select 1`, waiting at most `timeoutMs`: whether it
 * answers now, for /api/health. It also opens (and migrates) the database when it could not
 * be opened before, so a server started while its database was down gets there by itself.
 */
export async function pingDatabase(timeoutMs = 2_000): Promise<DatabasePing> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "TIMEOUT" })), timeoutMs);
  });
  let kind: DatabaseHandle["kind"] | null = null;
  const answer = (async () => {
    const handle = await getDatabase();
    kind = handle.kind;
    await handle.db.execute(sql`select 1`);
  })();
  // Past the time limit nobody awaits it: its late failure must not be an unhandled rejection.
  answer.catch(() => undefined);
  try {
    await Promise.race([answer, late]);
    return { up: true, kind, ms: Math.round(performance.now() - started), reason: null };
  } catch (error) {
    return { up: false, kind, ms: Math.round(performance.now() - started), reason: pingFailure(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** A short, stable reason: the SQLSTATE or socket code of a database that does not answer, else CONNECTION_LOST or ERROR. */
function pingFailure(error: unknown): string {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z0-9_]{3,20}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return isDatabaseUnavailable(error) ? "CONNECTION_LOST" : "ERROR";
}
