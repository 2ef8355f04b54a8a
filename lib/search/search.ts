import "server-only";
import type { Database } from "@/db/client";
import { searchIndexOf } from "@/db/vector";
import { AppError } from "@/lib/errors";
import { exactSearch } from "./exact";
import { hnswSearch } from "./hnsw";
import type { FaceHit, SearchMode } from "./types";

export type { FaceHit, SearchMode } from "./types";

/** Most candidates one search returns. */
export const MAX_SEARCH_RESULTS = 100;

export interface GallerySearch {
  projectId: string;
  /** The probe's embedding, L2-normalised. */
  probe: Float32Array;
  /** Collection ids (already resolved) to search in; null: every enrolled person of the project. */
  collectionIds: string[] | null;
  /** Persons to return at most. */
  limit: number;
  mode: SearchMode;
  /** Leave out candidates below this cosine similarity. */
  minSimilarity: number;
  /** HNSW candidate list size (hnsw.ef_search); the default is MIN_EF_SEARCH or more. Benchmarks vary it. */
  efSearch?: number;
}

/**
 * The most similar enrolled persons, best first, each with their best-matching face.
 *
 * FAST goes through pgvector's HNSW index where the database has it (approximate: a true
 * neighbour can be missed, rarely; bench/search.ts measures recall@1 against exact search).
 * ACCURATE, and FAST where the extension is missing, scans every face exactly.
 */
export async function searchGallery(db: Database, input: GallerySearch): Promise<FaceHit[]> {
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > MAX_SEARCH_RESULTS) {
    throw new AppError("INVALID_REQUEST", `limit must be an integer from 1 to ${MAX_SEARCH_RESULTS}`, { field: "limit" });
  }
  if (input.collectionIds && input.collectionIds.length === 0) return [];
  const useIndex = input.mode === "FAST" && searchIndexOf(db) === "hnsw";
  const query = { projectId: input.projectId, probe: input.probe, collectionIds: input.collectionIds, personLimit: input.limit };
  const hits = useIndex ? await hnswSearch(db, { ...query, efSearch: input.efSearch }) : await exactSearch(db, query);
  return hits.filter((h) => h.similarity >= input.minSimilarity);
}
