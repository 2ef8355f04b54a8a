import "server-only";
import type { AnalyzeOptions, FaceAnalysis } from "./analyze";
import { cosineSimilarity } from "./face";
import type { ImageInput } from "./image";
import { analyzeFaces } from "./pool";

export interface FaceComparison {
  /** Cosine similarity of the two subjects' embeddings, in [-1, 1]. */
  similarity: number;
  probe: FaceAnalysis;
  reference: FaceAnalysis;
  timingsMs: { total: number };
}

/** 1:1 comparison: analyses both images in parallel on two workers and compares their subjects. */
export async function compareFaces(probe: ImageInput, reference: ImageInput, options: AnalyzeOptions = {}): Promise<FaceComparison> {
  const started = performance.now();
  const [a, b] = await Promise.all([analyzeFaces(probe, options), analyzeFaces(reference, options)]);
  return {
    similarity: cosineSimilarity(a.subject.embedding, b.subject.embedding),
    probe: a,
    reference: b,
    timingsMs: { total: Math.round((performance.now() - started) * 100) / 100 },
  };
}
