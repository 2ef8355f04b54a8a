import "server-only";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { Pool } from "pg";
import { getEnv } from "@/lib/env";
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

/** A PostgreSQL database at `url`, migrated. */
export async function openPostgresDatabase(url: string, max = 10, open: OpenOptions = {}): Promise<DatabaseHandle> {
  const pool = new Pool({ connectionString: url, max });
  // A dropped connection (server restart) must not crash the process; queries in flight fail.
  pool.on("error", (error) => console.error("vigil: PostgreSQL connection error:", error.message));
  const db = drizzleNodePg(pool, options) as unknown as Database;
  const searchIndex = await withSchemaLock(pool, async () => {
    await migrateDatabase(db, "postgres");
    return prepareVectorIndex(db, open.searchIndex);
  });
  return { db, kind: "postgres", searchIndex, close: () => pool.end() };
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
