import "server-only";
import { count, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { personCollections, personFaces, persons } from "@/db/schema";
import { HNSW_EF_CONSTRUCTION, HNSW_INDEX, HNSW_M, searchIndexOf } from "@/db/vector";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import { appendAudit } from "@/lib/review/audit";
import { resolveCollections } from "./collections";
import { touchGallery } from "./exact";
import { insertFaces } from "./faces";
import type { NewFaceRow } from "./faces";
import { normalized } from "./vectors";

/**
 * Bulk enrollment of precomputed embeddings (a migration from another system, or a watch
 * list): persons with one or more 512-value embeddings each, no images.
 *
 * Inserting into an HNSW index one face at a time costs several times what building the
 * index over the same faces costs, so a load at least as large as what is already enrolled
 * (and of REBUILD_MIN faces or more) drops the index, inserts, and builds it again; FAST
 * searches meanwhile scan exactly (slower, same answers). Smaller loads go into the live index.
 */
export const REBUILD_MIN = 5000;
const PERSONS_PER_TRANSACTION = 500;

export interface BulkPerson {
  name: string;
  externalRef?: string | null;
  /** Unit or not: each is L2-normalised here. */
  embeddings: ArrayLike<number>[];
}

export interface BulkResult {
  persons: number;
  faces: number;
  rebuiltIndex: boolean;
  ms: { insert: number; index: number; total: number };
}

/** Creates the persons and their faces; `collections` (ids or codes) are given to every one of them. */
export async function bulkEnroll(db: Database, input: { projectId: string; actor: string; collections?: string[]; persons: BulkPerson[]; rebuildMin?: number }): Promise<BulkResult> {
  const started = performance.now();
  const collectionIds = await resolveCollections(db, input.projectId, input.collections ?? []);
  const prepared = input.persons.map((p, i) => {
    if (!p.name?.trim()) throw new AppError("INVALID_REQUEST", `persons[${i}].name is missing`, { field: `persons[${i}].name` });
    if (!p.embeddings?.length) throw new AppError("INVALID_REQUEST", `persons[${i}] has no embedding`, { field: `persons[${i}].embeddings` });
    const embeddings = p.embeddings.map((e, k) => {
      if (e.length !== 512) throw new AppError("INVALID_REQUEST", `persons[${i}].embeddings[${k}] has ${e.length} values, not 512`, { field: `persons[${i}].embeddings[${k}]` });
      try {
        return normalized(e);
      } catch (error) {
        throw new AppError("INVALID_REQUEST", `persons[${i}].embeddings[${k}]: ${(error as Error).message}`, { field: `persons[${i}].embeddings[${k}]` });
      }
    });
    return { id: newId("per"), name: p.name.trim(), externalRef: p.externalRef || null, embeddings };
  });
  const incoming = prepared.reduce((n, p) => n + p.embeddings.length, 0);
  const kind = searchIndexOf(db);
  const [{ existing }] = await db.select({ existing: count() }).from(personFaces);
  const rebuild = kind === "hnsw" && incoming >= (input.rebuildMin ?? REBUILD_MIN) && incoming >= Number(existing);
  if (rebuild) await db.execute(sql.raw(`DROP INDEX IF EXISTS ${HNSW_INDEX}`));

  let indexMs = 0;
  try {
    for (let i = 0; i < prepared.length; i += PERSONS_PER_TRANSACTION) {
      const chunk = prepared.slice(i, i + PERSONS_PER_TRANSACTION);
      const now = new Date();
      const faces: NewFaceRow[] = chunk.flatMap((p) => p.embeddings.map((embedding) => ({ id: newId("face"), personId: p.id, projectId: input.projectId, embedding })));
      await db.transaction(async (tx) => {
        await tx.insert(persons).values(chunk.map((p) => ({ id: p.id, projectId: input.projectId, name: p.name, externalRef: p.externalRef, createdAt: now, updatedAt: now })));
        if (collectionIds.length > 0) await tx.insert(personCollections).values(chunk.flatMap((p) => collectionIds.map((collectionId) => ({ personId: p.id, collectionId }))));
        await insertFaces(tx, kind, faces);
        await touchGallery(tx, input.projectId);
        await appendAudit(tx, { actor: input.actor, action: "persons.imported", projectId: input.projectId, after: { persons: chunk.length, faces: faces.length, collections: collectionIds, first: chunk[0].id, last: chunk[chunk.length - 1].id } });
      });
    }
  } finally {
    if (rebuild) {
      const indexStarted = performance.now();
      await buildIndex(db);
      indexMs = performance.now() - indexStarted;
    }
  }
  const insertMs = performance.now() - started - indexMs;
  // PGlite has no autovacuum: fresh statistics let the planner pick the HNSW index.
  await db.execute(sql`ANALYZE person_faces`);
  return { persons: prepared.length, faces: incoming, rebuiltIndex: rebuild, ms: { insert: Math.round(insertMs), index: Math.round(indexMs), total: Math.round(performance.now() - started) } };
}

/** (Re)creates the HNSW index with room to build it in memory. */
export async function buildIndex(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL maintenance_work_mem = '1GB'`);
    await tx.execute(sql.raw(`CREATE INDEX IF NOT EXISTS ${HNSW_INDEX} ON person_faces USING hnsw (embedding_vec vector_ip_ops) WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION})`));
  });
}

/** How many faces a project has enrolled. */
export async function countFaces(db: Database, projectId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(personFaces).where(eq(personFaces.projectId, projectId));
  return Number(row.n);
}
