import "server-only";
import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { vectorLiteral } from "./vectors";
import type { FaceHit } from "./types";
import { rowsOf } from "@/db/rows";

/**
 * Approximate 1:N search through pgvector's HNSW index on `person_faces.embedding_vec`.
 *
 * The index ranks faces, not persons, so it is asked for several faces per wanted person and
 * the best face of each person is kept. Iterative scans (pgvector 0.8) keep walking the graph
 * when the project and collection filters discard candidates, so a small project in a shared
 * table still gets its full answer.
 */
export const FACES_PER_PERSON = 4;
export const MIN_EF_SEARCH = 100;

export async function hnswSearch(db: Database, input: { projectId: string; probe: Float32Array; collectionIds: string[] | null; personLimit: number; efSearch?: number }): Promise<FaceHit[]> {
  const faceLimit = Math.max(input.personLimit * FACES_PER_PERSON, 10);
  const efSearch = Math.min(1000, Math.max(input.efSearch ?? MIN_EF_SEARCH, faceLimit));
  const probe = vectorLiteral(input.probe);
  const inCollections = input.collectionIds
    ? sql`AND person_id IN (SELECT person_id FROM person_collections WHERE collection_id IN (${sql.join(
        input.collectionIds.map((c) => sql`${c}`),
        sql`, `,
      )}))`
    : sql``;
  const rows = await db.transaction(async (tx) => {
    await tx.execute(sql.raw(`SET LOCAL hnsw.ef_search = ${efSearch}`));
    await tx.execute(sql.raw(`SET LOCAL hnsw.iterative_scan = relaxed_order`));
    return rowsOf(
      await tx.execute(sql`
        SELECT id, person_id, -(embedding_vec <#> ${probe}::vector) AS similarity
        FROM person_faces
        WHERE project_id = ${input.projectId} AND embedding_vec IS NOT NULL ${inCollections}
        ORDER BY embedding_vec <#> ${probe}::vector
        LIMIT ${faceLimit}`),
    );
  });
  const best = new Map<string, FaceHit>();
  for (const row of rows) {
    const hit = { personId: String(row.person_id), faceId: String(row.id), similarity: Number(row.similarity) };
    const seen = best.get(hit.personId);
    if (!seen || hit.similarity > seen.similarity) best.set(hit.personId, hit);
  }
  // relaxed_order may return neighbours slightly out of order: sort before cutting.
  return [...best.values()].sort((a, b) => b.similarity - a.similarity || (a.personId < b.personId ? -1 : 1)).slice(0, input.personLimit);
}
