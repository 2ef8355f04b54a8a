/** FAST: the HNSW index where pgvector is present (approximate); ACCURATE: an exact scan of every face. */
export type SearchMode = "FAST" | "ACCURATE";

/** One person's best-matching enrolled face. */
export interface FaceHit {
  personId: string;
  faceId: string;
  /** Cosine similarity of the probe and this face. */
  similarity: number;
}
