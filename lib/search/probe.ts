import "server-only";
import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { personCollections, personFaces } from "@/db/schema";
import { searchIndexOf } from "@/db/vector";
import type { SearchIndexKind } from "@/db/vector";
import { AppError } from "@/lib/errors";
import { analyzeFaces, cosineSimilarity } from "@/lib/inference";
import type { FaceAnalysis, ImageInput } from "@/lib/inference";
import { roundTo } from "@/lib/round";
import { naming } from "@/lib/verification/service";
import { bandFor, getActivePolicy } from "@/lib/verification/policy";
import type { Band, PolicyBands } from "@/lib/verification/policy";
import { resolveCollections } from "./collections";
import { getPerson, getPersons } from "./persons";
import type { Person } from "./persons";
import { searchGallery } from "./search";
import type { SearchMode } from "./types";
import { dot, embeddingFromBytes, normalized } from "./vectors";

const elapsed = (start: number) => roundTo(performance.now() - start, 2);

export interface Probe {
  /** One analysis per image, in the order given. */
  analyses: FaceAnalysis[];
  /** The subjects' embeddings averaged and scaled back to unit length (one image: its own). */
  embedding: Float32Array;
  analyzeMs: number;
}

/**
 * Reads the probe images of a search or a 1:1 check against a person: one face each (a second
 * confident face is MULTIPLE_FACES, as for a selfie), all of one person (FACES_DO_NOT_MATCH
 * when an image is below the face-match review threshold with the first, the rule enrollment
 * applies), combined into their mean embedding. Several photos of one person average out
 * pose and lighting, so the mean sits closer to the enrolled faces than most single photos.
 *
 * `faceCrop`: the images are tight face crops (nothing detected, no liveness).
 * `names`: how errors name each image (`images[0]`...); null for a single `image` field.
 */
export async function analyzeProbe(images: ImageInput[], options: { bands: PolicyBands; liveness?: boolean; faceCrop?: boolean; names?: string[] | null }): Promise<Probe> {
  if (images.length === 0) throw new AppError("INVALID_REQUEST", "images: at least one image is required", { field: "images", missing: true });
  const started = performance.now();
  const analyses = await Promise.all(
    images.map((image, i) => {
      const work = analyzeFaces(image, { liveness: options.liveness ?? false, requireSingleFace: !options.faceCrop, faceCrop: options.faceCrop ?? false });
      return options.names ? naming(options.names[i], work) : work;
    }),
  );
  const first = analyses[0].subject.embedding;
  analyses.slice(1).forEach((analysis, i) => {
    const similarity = cosineSimilarity(first, analysis.subject.embedding);
    if (similarity < options.bands.face_match.review) {
      const name = options.names?.[i + 1] ?? `images[${i + 1}]`;
      throw new AppError("FACES_DO_NOT_MATCH", `${name} is not the same person as ${options.names?.[0] ?? "images[0]"} (similarity ${roundTo(similarity, 4)})`, { image: name, similarity: roundTo(similarity, 4) });
    }
  });
  const sum = new Float32Array(first.length);
  for (const analysis of analyses) for (let i = 0; i < sum.length; i++) sum[i] += analysis.subject.embedding[i];
  return { analyses, embedding: normalized(sum), analyzeMs: elapsed(started) };
}

export interface Candidate {
  person: Person;
  faceId: string;
  /** Cosine similarity of the probe and the person's best-matching face. */
  similarity: number;
  band: Band;
  /** Whether that face has a stored image (faces imported as embeddings have none). */
  faceHasImage: boolean;
}

export interface CandidateSearch {
  projectId: string;
  probe: Float32Array;
  /** Collection ids or codes; null: every enrolled person of the project. */
  collections: string[] | null;
  limit: number;
  mode: SearchMode;
  minSimilarity: number;
  bands: PolicyBands;
}

/** The enrolled persons most similar to a probe embedding, best first, with their details. */
export async function findCandidates(db: Database, input: CandidateSearch): Promise<{ candidates: Candidate[]; index: SearchIndexKind; searchMs: number }> {
  const started = performance.now();
  const collectionIds = input.collections ? await resolveCollections(db, input.projectId, input.collections) : null;
  const hits = await searchGallery(db, { projectId: input.projectId, probe: input.probe, collectionIds, limit: input.limit, mode: input.mode, minSimilarity: input.minSimilarity });
  const persons = new Map((await getPersons(db, input.projectId, hits.map((h) => h.personId))).map((p) => [p.id, p]));
  // A person deleted between the search and the read is left out.
  const candidates = hits.flatMap((hit) => {
    const person = persons.get(hit.personId);
    if (!person) return [];
    const similarity = roundTo(hit.similarity, 4);
    return [{ person, faceId: hit.faceId, similarity, band: bandFor(similarity, input.bands.face_match), faceHasImage: person.faces.some((f) => f.id === hit.faceId && f.hasImage) }];
  });
  return { candidates, index: input.mode === "FAST" ? searchIndexOf(db) : "exact", searchMs: elapsed(started) };
}

export interface ImageSearch {
  projectId: string;
  image: ImageInput;
  /** Collection ids or codes; null: the whole project. */
  collections: string[] | null;
  limit: number;
  mode: SearchMode;
  /** null: the project's face-match review threshold. */
  minSimilarity: number | null;
  /** Run selfie liveness on the probe first; a probe in the reject band is not searched. */
  liveness: boolean;
  faceCrop: boolean;
}

export interface ImageSearchResult {
  probe: FaceAnalysis;
  liveness: { score: number; band: Band } | null;
  candidates: Candidate[];
  /** What served the search: the HNSW index (FAST where pgvector is present) or an exact scan. */
  index: SearchIndexKind;
  policyVersion: number;
  timingsMs: { analyze: number; search: number };
}

/**
 * 1:N search with one probe image. With `liveness`, a probe whose liveness falls in the
 * reject band gets no candidates at all: a photo of a photo must not be able to find out who
 * is enrolled.
 */
export async function searchByImage(db: Database, input: ImageSearch): Promise<ImageSearchResult> {
  if (input.liveness && input.faceCrop) {
    throw new AppError("INVALID_REQUEST", "liveness: a face crop has too little context around the face for liveness; send the whole photo", { field: "liveness" });
  }
  const policy = await getActivePolicy(db, input.projectId);
  // Unknown collections fail before any inference runs.
  const collections = input.collections ? await resolveCollections(db, input.projectId, input.collections) : null;
  const probe = await analyzeProbe([input.image], { bands: policy.bands, liveness: input.liveness, faceCrop: input.faceCrop });
  const analysis = probe.analyses[0];
  const livenessScore = input.liveness ? roundTo(analysis.subject.liveness ?? 0, 4) : null;
  const liveness = livenessScore === null ? null : { score: livenessScore, band: bandFor(livenessScore, policy.bands.selfie_liveness) };
  const base = { probe: analysis, liveness, policyVersion: policy.version };
  if (liveness?.band === "reject") {
    return { ...base, candidates: [], index: input.mode === "FAST" ? searchIndexOf(db) : "exact", timingsMs: { analyze: probe.analyzeMs, search: 0 } };
  }
  const found = await findCandidates(db, {
    projectId: input.projectId,
    probe: probe.embedding,
    collections,
    limit: input.limit,
    mode: input.mode,
    minSimilarity: input.minSimilarity ?? policy.bands.face_match.review,
    bands: policy.bands,
  });
  return { ...base, candidates: found.candidates, index: found.index, timingsMs: { analyze: probe.analyzeMs, search: found.searchMs } };
}

export interface PersonMatch {
  person: Person;
  /** The person's face most similar to the probe. */
  faceId: string;
  similarity: number;
}

/**
 * 1:1: a probe embedding against every enrolled face of one person; the best face counts.
 * With `collection` (id or code), a person outside that collection is NOT_FOUND.
 */
export async function matchPerson(db: Database, input: { projectId: string; personId: string; probe: Float32Array; collection?: string | null }): Promise<PersonMatch> {
  const person = await getPerson(db, input.projectId, input.personId);
  if (input.collection) {
    const [collectionId] = await resolveCollections(db, input.projectId, [input.collection]);
    const [member] = await db
      .select({ personId: personCollections.personId })
      .from(personCollections)
      .where(and(eq(personCollections.personId, person.id), eq(personCollections.collectionId, collectionId)))
      .limit(1);
    if (!member) throw new AppError("NOT_FOUND", `Person ${person.id} is not in collection ${input.collection}.`, { person: person.id, collection: input.collection });
  }
  const faces = await db.select({ id: personFaces.id, embedding: personFaces.embedding }).from(personFaces).where(and(eq(personFaces.projectId, input.projectId), eq(personFaces.personId, person.id)));
  if (faces.length === 0) throw new AppError("NOT_FOUND", `Person ${person.id} has no enrolled face.`, { person: person.id });
  let best = { faceId: faces[0].id, similarity: -Infinity };
  for (const face of faces) {
    const similarity = dot(input.probe, embeddingFromBytes(face.embedding));
    if (similarity > best.similarity) best = { faceId: face.id, similarity };
  }
  return { person, faceId: best.faceId, similarity: roundTo(best.similarity, 4) };
}

/**
 * 1:1 with one probe image against an enrolled person (the native verify route): the best of
 * the person's faces, banded by the project's face-match policy. An unknown person is
 * NOT_FOUND before any inference runs.
 */
export async function verifyPersonByImage(db: Database, input: { projectId: string; personId: string; image: ImageInput }): Promise<PersonMatch & { band: Band; policyVersion: number; probe: FaceAnalysis }> {
  await getPerson(db, input.projectId, input.personId);
  const policy = await getActivePolicy(db, input.projectId);
  const probe = await analyzeProbe([input.image], { bands: policy.bands });
  const match = await matchPerson(db, { projectId: input.projectId, personId: input.personId, probe: probe.embedding });
  return { ...match, band: bandFor(match.similarity, policy.bands.face_match), policyVersion: policy.version, probe: probe.analyses[0] };
}
