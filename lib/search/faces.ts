import "server-only";
import { sql } from "drizzle-orm";
import type { Database, Transaction } from "@/db/client";
import { personFaces } from "@/db/schema";
import { EMBEDDING_DIMENSIONS } from "@/db/vector";
import type { SearchIndexKind } from "@/db/vector";
import { embeddingToBytes, vectorLiteral } from "./vectors";

/** A face row to insert: the embedding plus what is known of its image. */
export interface NewFaceRow {
  id: string;
  personId: string;
  projectId: string;
  embedding: Float32Array;
  storageKey?: string | null;
  format?: string | null;
  width?: number | null;
  height?: number | null;
  face?: unknown;
  liveness?: number | null;
  sourceImageId?: string | null;
}

/** Rows per statement: 12 parameters each, far below PostgreSQL's 65,535. */
const BATCH = 1000;

/** What PGlite (or a PGlite transaction) offers that node-postgres does not: COPY from a blob. */
interface PgliteQueryable {
  query(sql: string, params?: unknown[], options?: { blob?: Blob }): Promise<unknown>;
}

/**
 * The PGlite connection behind a drizzle database or transaction, or null on PostgreSQL. A
 * node-postgres client or pool has `connect`; PGlite and its transactions have `exec` and not
 * `connect`.
 */
function pgliteOf(db: Transaction | Database): PgliteQueryable | null {
  const client = (db as unknown as { session?: { client?: Record<string, unknown> } }).session?.client;
  if (!client || typeof client.query !== "function" || typeof client.exec !== "function" || "connect" in client) return null;
  return client as unknown as PgliteQueryable;
}

/** PostgreSQL's binary COPY header: signature, flags, extension length. */
const COPY_HEADER = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)]);

/**
 * Faces with only an embedding (bulk imports) as one binary COPY: no text to format or parse,
 * the fastest way into PGlite (about 6,000 faces/s with the vector column, against about
 * 1,000/s through pgvector's text input). Columns: id, person_id, project_id, embedding
 * [, embedding_vec], each as PostgreSQL's binary wire format.
 */
function binaryCopy(rows: NewFaceRow[], withVector: boolean): Blob {
  const parts: Buffer[] = [COPY_HEADER];
  const dims = EMBEDDING_DIMENSIONS;
  for (const r of rows) {
    const texts = [r.id, r.personId, r.projectId].map((t) => Buffer.from(t, "utf8"));
    const size = 2 + texts.reduce((n, t) => n + 4 + t.length, 0) + 4 + 4 * dims + (withVector ? 4 + 4 + 4 * dims : 0);
    const row = Buffer.alloc(size);
    let o = row.writeInt16BE(withVector ? 5 : 4, 0);
    for (const t of texts) {
      o = row.writeInt32BE(t.length, o);
      o += t.copy(row, o);
    }
    o = row.writeInt32BE(4 * dims, o);
    for (let i = 0; i < dims; i++) o = row.writeFloatLE(r.embedding[i], o);
    if (withVector) {
      // pgvector's binary form: int16 dimensions, int16 unused, float4 values big-endian.
      o = row.writeInt32BE(4 + 4 * dims, o);
      o = row.writeInt16BE(dims, o);
      o = row.writeInt16BE(0, o);
      for (let i = 0; i < dims; i++) o = row.writeFloatBE(r.embedding[i], o);
    }
    parts.push(row);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  parts.push(trailer);
  return new Blob([Buffer.concat(parts)]);
}

const embeddingOnly = (r: NewFaceRow) => !r.storageKey && !r.format && r.width == null && r.height == null && r.face == null && r.liveness == null && !r.sourceImageId;

/**
 * Inserts faces, and where the HNSW index exists their vector copies (the vector column is
 * not in the drizzle schema because it depends on the extension). On PGlite, rows with only
 * an embedding go in by binary COPY; others by INSERT, then one UPDATE per batch for vectors.
 */
export async function insertFaces(tx: Transaction | Database, kind: SearchIndexKind, rows: NewFaceRow[]): Promise<void> {
  const pglite = pgliteOf(tx);
  if (pglite && rows.length > 0 && rows.every(embeddingOnly)) {
    const columns = kind === "hnsw" ? "id, person_id, project_id, embedding, embedding_vec" : "id, person_id, project_id, embedding";
    for (let i = 0; i < rows.length; i += 10 * BATCH) {
      await pglite.query(`COPY person_faces (${columns}) FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: binaryCopy(rows.slice(i, i + 10 * BATCH), kind === "hnsw") });
    }
    return;
  }
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    await tx.insert(personFaces).values(
      batch.map((r) => ({
        id: r.id,
        personId: r.personId,
        projectId: r.projectId,
        embedding: embeddingToBytes(r.embedding),
        storageKey: r.storageKey ?? null,
        format: r.format ?? null,
        width: r.width ?? null,
        height: r.height ?? null,
        face: r.face ?? null,
        liveness: r.liveness ?? null,
        sourceImageId: r.sourceImageId ?? null,
      })),
    );
    if (kind === "hnsw") {
      const values = sql.join(
        batch.map((r) => sql`(${r.id}, ${vectorLiteral(r.embedding)})`),
        sql`, `,
      );
      await tx.execute(sql`UPDATE person_faces AS f SET embedding_vec = v.vec::vector FROM (VALUES ${values}) AS v(id, vec) WHERE f.id = v.id`);
    }
  }
}
