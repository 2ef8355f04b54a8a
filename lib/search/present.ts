import "server-only";
import { faceToJson } from "@/lib/inference/serialize";
import { imageUrlPath } from "@/lib/storage";
import type { CollectionView, PersonView, SearchCandidateView, SearchResponse } from "@/lib/openapi/responses";
import { absoluteUrl } from "@/lib/verification/present";
import type { Collection, CollectionWithCount } from "./collections";
import type { Person } from "./persons";
import type { Candidate, ImageSearchResult } from "./probe";

/**
 * The native API's views of the gallery. An enrolled face's image leaves the server only as a
 * signed, expiring URL made for the caller (`actor`), so every view is attributed in the audit
 * trail; embeddings never leave it.
 */

/** A signed URL to an enrolled face's image, or null for a face without one. */
export function faceImageUrl(faceId: string, hasImage: boolean, actor: string, origin: string): string | null {
  return hasImage ? absoluteUrl(imageUrlPath(faceId, actor), origin) : null;
}

export function presentCollection(collection: Collection | CollectionWithCount): CollectionView {
  return {
    id: collection.id,
    object: "collection",
    code: collection.code,
    name: collection.name,
    description: collection.description,
    ...("personCount" in collection ? { personCount: collection.personCount } : {}),
    createdAt: collection.createdAt.toISOString(),
    updatedAt: collection.updatedAt.toISOString(),
  };
}

export function presentPerson(person: Person, actor: string, origin: string): PersonView {
  return {
    id: person.id,
    object: "person",
    name: person.name,
    externalRef: person.externalRef,
    metadata: person.metadata,
    collections: person.collections,
    faces: person.faces.map((face) => ({
      id: face.id,
      width: face.width,
      height: face.height,
      liveness: face.liveness,
      createdAt: face.createdAt.toISOString(),
      imageUrl: faceImageUrl(face.id, face.hasImage, actor, origin),
    })),
    createdAt: person.createdAt.toISOString(),
    updatedAt: person.updatedAt.toISOString(),
  };
}

function presentCandidate(candidate: Candidate, actor: string, origin: string): SearchCandidateView {
  const { person } = candidate;
  return {
    person: { id: person.id, name: person.name, externalRef: person.externalRef, collections: person.collections },
    similarity: candidate.similarity,
    band: candidate.band,
    faceId: candidate.faceId,
    imageUrl: faceImageUrl(candidate.faceId, candidate.faceHasImage, actor, origin),
  };
}

export function presentSearch(result: ImageSearchResult, mode: "FAST" | "ACCURATE", actor: string, origin: string): SearchResponse {
  const subject = result.probe.subject;
  return {
    candidates: result.candidates.map((c) => presentCandidate(c, actor, origin)),
    probe: {
      face: faceToJson(subject),
      quality: subject.quality,
      ...(result.liveness ? { liveness: result.liveness } : {}),
    },
    mode,
    index: result.index,
    policyVersion: result.policyVersion,
    timingsMs: result.timingsMs,
  };
}
