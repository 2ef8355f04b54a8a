import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { rowsOf } from "./rows";

/**
 * The approximate-search side of 1:N search. Enrolled embeddings always live in
 * `person_faces.embedding` (bytea); where the pgvector extension can be created, a copy in
 * `embedding_vec vector(512)` carries an HNSW index. Without the extension (a PostgreSQL
 * server that lacks it, or VIGIL_SEARCH_INDEX=exact) every search is an exact scan with the
 * same API and the same results (lib/search/exact.ts).
 *
 * The column and the index are not in the drizzle migrations because they depend on an
 * extension the server may not have; they are added here, idempotently, after migrating.
 */
export type SearchIndexKind = "hnsw" | "exact";

export const EMBEDDING_DIMENSIONS = 512;

/**
 * HNSW build parameters. pgvector's defaults (m 16, ef_construction 64) build a 100,000-face
 * index about 4x slower in PGlite's WebAssembly build for no recall gain measurable on face
 * embeddings, whose identities form tight, well separated clusters (bench/search.ts).
 */
export const HNSW_M = 8;
export const HNSW_EF_CONSTRUCTION = 40;
export const HNSW_INDEX = "person_faces_embedding_hnsw";

type AnyDatabase = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

const kinds = new WeakMap<object, SearchIndexKind>();

/**
 * Creates the extension, the vector column and its HNSW index when it can, and returns which
 * search path this database serves. `want: "exact"` skips pgvector even where it exists.
 */
export async function prepareVectorIndex(db: AnyDatabase, want: "auto" | "exact" = "auto"): Promise<SearchIndexKind> {
  let kind: SearchIndexKind = "exact";
  if (want === "auto") {
    try {
      await db.execute(sql`CREATE EXTENSION IF NOT EXISTS vector`);
      // Iterative index scans (hnsw.iterative_scan), which filtered searches rely on, came in 0.8.
      const rows = rowsOf<{ extversion: string }>(await db.execute(sql`SELECT extversion FROM pg_extension WHERE extname = 'vector'`));
      const [major, minor] = String(rows[0]?.extversion ?? "0.0").split(".").map(Number);
      if (major > 0 || minor >= 8) kind = "hnsw";
      else console.warn(`vigil: pgvector ${rows[0]?.extversion} is older than 0.8; 1:N search scans exactly. Upgrade pgvector for the HNSW index.`);
    } catch {
      kind = "exact"; // not installed on this server, or not allowed to create it
    }
  }
  if (kind === "hnsw") {
    await db.execute(sql.raw(`ALTER TABLE person_faces ADD COLUMN IF NOT EXISTS embedding_vec vector(${EMBEDDING_DIMENSIONS})`));
    await db.execute(sql.raw(`CREATE INDEX IF NOT EXISTS ${HNSW_INDEX} ON person_faces USING hnsw (embedding_vec vector_ip_ops) WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION})`));
    await backfillVectors(db);
  }
  kinds.set(db, kind);
  return kind;
}

/**
 * Faces enrolled while the database served the exact path (the extension was missing, or
 * VIGIL_SEARCH_INDEX=exact) have no vector copy: the index would never find them. Copies
 * them from the stored bytes, a batch at a time; nothing to do on later starts.
 */
async function backfillVectors(db: AnyDatabase): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = rowsOf(await db.execute(sql`SELECT id, embedding FROM person_faces WHERE embedding_vec IS NULL LIMIT 500`));
    if (rows.length === 0) return done;
    const values = sql.join(
      rows.map((r) => {
        const bytes = Buffer.from(r.embedding as Uint8Array);
        const floats: string[] = [];
        for (let i = 0; i < bytes.length; i += 4) floats.push(bytes.readFloatLE(i).toPrecision(9));
        return sql`(${String(r.id)}, ${`[${floats.join(",")}]`})`;
      }),
      sql`, `,
    );
    await db.execute(sql`UPDATE person_faces AS f SET embedding_vec = v.vec::vector FROM (VALUES ${values}) AS v(id, vec) WHERE f.id = v.id`);
    done += rows.length;
  }
}

/** Which search path `db` serves: set by prepareVectorIndex when the database was opened. */
export function searchIndexOf(db: object): SearchIndexKind {
  return kinds.get(db) ?? "exact";
}
