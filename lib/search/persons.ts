import "server-only";
import { and, asc, desc, eq, inArray, lt } from "drizzle-orm";
import type { Database, Transaction } from "@/db/client";
import { isDatabaseUnavailable, isUniqueViolation } from "@/db/errors";
import { collections, personCollections, personFaces, persons } from "@/db/schema";
import { searchIndexOf } from "@/db/vector";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import type { FaceAnalysis, ImageInput } from "@/lib/inference";
import { analyzeFaces, cosineSimilarity } from "@/lib/inference";
import { toImageBytes } from "@/lib/inference/image";
import { faceToJson } from "@/lib/inference/serialize";
import { appendAudit } from "@/lib/review/audit";
import { roundTo } from "@/lib/round";
import type { ImageStore } from "@/lib/storage";
import { naming } from "@/lib/verification/service";
import { settleStagedImagesLater } from "@/lib/verification/staged-images";
import { getActivePolicy } from "@/lib/verification/policy";
import { resolveCollections } from "./collections";
import { touchGallery } from "./exact";
import { embeddingFromBytes } from "./vectors";
import { insertFaces } from "./faces";
import type { NewFaceRow } from "./faces";
import { searchGallery } from "./search";

export type PersonRow = typeof persons.$inferSelect;

/** What callers may store about a person besides the name; free-form values stay strings. */
export interface PersonMetadata {
  gender?: string;
  dateOfBirth?: string;
  nationality?: string;
  notes?: string;
  emails?: string[];
  phones?: string[];
}

export interface EnrolledFace {
  id: string;
  hasImage: boolean;
  width: number | null;
  height: number | null;
  liveness: number | null;
  createdAt: Date;
}

export interface Person {
  id: string;
  projectId: string;
  name: string;
  externalRef: string | null;
  metadata: PersonMetadata;
  collections: Array<{ id: string; code: string; name: string }>;
  faces: EnrolledFace[];
  createdAt: Date;
  updatedAt: Date;
}

/** Faces per enrollment request (Verifik allows 3 per request; more may be added later). */
export const MAX_IMAGES_PER_REQUEST = 5;
/** Faces a person may have in all. */
export const MAX_FACES_PER_PERSON = 20;

export interface EnrollOptions {
  /** Require this selfie-liveness score on every image (create-with-liveness). */
  livenessMin?: number | null;
  /** Refuse with DUPLICATE_PERSON when the face already matches someone at this similarity or above. */
  duplicateMin?: number | null;
  /** Collection ids or codes the duplicate search looks in; null: the whole project. */
  duplicateScope?: string[] | null;
}

export interface CreatePersonInput extends EnrollOptions {
  projectId: string;
  actor: string;
  name: string;
  externalRef?: string | null;
  metadata?: PersonMetadata;
  /** Collection ids or codes. */
  collections?: string[];
  images: ImageInput[];
}

async function hydratePersons(db: Database | Transaction, rows: PersonRow[]): Promise<Person[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const memberships = await db
    .select({ personId: personCollections.personId, id: collections.id, code: collections.code, name: collections.name })
    .from(personCollections)
    .innerJoin(collections, eq(collections.id, personCollections.collectionId))
    .where(inArray(personCollections.personId, ids))
    .orderBy(asc(collections.createdAt));
  const faces = await db
    .select({ id: personFaces.id, personId: personFaces.personId, storageKey: personFaces.storageKey, width: personFaces.width, height: personFaces.height, liveness: personFaces.liveness, createdAt: personFaces.createdAt })
    .from(personFaces)
    .where(inArray(personFaces.personId, ids))
    .orderBy(asc(personFaces.createdAt), asc(personFaces.id));
  return rows.map((r) => ({
    id: r.id,
    projectId: r.projectId,
    name: r.name,
    externalRef: r.externalRef,
    metadata: r.metadata as PersonMetadata,
    collections: memberships.filter((m) => m.personId === r.id).map(({ id, code, name }) => ({ id, code, name })),
    faces: faces
      .filter((f) => f.personId === r.id)
      .map((f) => ({ id: f.id, hasImage: f.storageKey !== null, width: f.width, height: f.height, liveness: f.liveness === null ? null : roundTo(f.liveness, 4), createdAt: f.createdAt })),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }));
}

export async function getPerson(db: Database | Transaction, projectId: string, id: string): Promise<Person> {
  const [row] = await db.select().from(persons).where(and(eq(persons.projectId, projectId), eq(persons.id, id))).limit(1);
  if (!row) throw new AppError("NOT_FOUND", `No person ${id} in this project.`, { person: id });
  return (await hydratePersons(db, [row]))[0];
}

/** Persons by id, in the order asked; ids not in the project are left out. */
export async function getPersons(db: Database, projectId: string, ids: string[]): Promise<Person[]> {
  if (ids.length === 0) return [];
  const rows = await db.select().from(persons).where(and(eq(persons.projectId, projectId), inArray(persons.id, ids)));
  const hydrated = await hydratePersons(db, rows);
  const byId = new Map(hydrated.map((p) => [p.id, p]));
  return ids.map((id) => byId.get(id)).filter((p): p is Person => p !== undefined);
}

/** Newest first, `limit` at a time; `before` is the last id of the previous page. */
export async function listPersons(db: Database, input: { projectId: string; collection?: string | null; limit: number; before?: string | null }): Promise<{ persons: Person[]; next: string | null }> {
  const conditions = [eq(persons.projectId, input.projectId)];
  if (input.before) conditions.push(lt(persons.id, input.before));
  if (input.collection) {
    const [collectionId] = await resolveCollections(db, input.projectId, [input.collection]);
    conditions.push(inArray(persons.id, db.select({ id: personCollections.personId }).from(personCollections).where(eq(personCollections.collectionId, collectionId))));
  }
  const rows = await db
    .select()
    .from(persons)
    .where(and(...conditions))
    .orderBy(desc(persons.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { persons: await hydratePersons(db, page), next: rows.length > input.limit ? page[page.length - 1].id : null };
}

interface AnalyzedImage {
  bytes: Buffer;
  analysis: FaceAnalysis;
}

/**
 * Reads each image's one face and checks the enrollment rules: liveness when asked, every face
 * the same person as the first (the project's face-match review threshold), and no enrolled
 * match at `duplicateMin` or above. Throws before anything is written.
 */
async function analyzeEnrollment(db: Database, projectId: string, images: ImageInput[], options: EnrollOptions, excludePersonId: string | null): Promise<AnalyzedImage[]> {
  if (images.length === 0) throw new AppError("INVALID_REQUEST", "images: at least one image of the person's face is required", { field: "images", missing: true });
  if (images.length > MAX_IMAGES_PER_REQUEST) throw new AppError("INVALID_REQUEST", `images: at most ${MAX_IMAGES_PER_REQUEST} per request`, { field: "images" });
  const duplicateScope = options.duplicateScope ? await resolveCollections(db, projectId, options.duplicateScope) : null;
  const wantsLiveness = options.livenessMin !== undefined && options.livenessMin !== null;
  const analyzed = await Promise.all(
    images.map(async (image, i) => {
      const bytes = toImageBytes(image);
      const analysis = await naming(`images[${i}]`, analyzeFaces(bytes, { liveness: wantsLiveness, requireSingleFace: true }));
      return { bytes, analysis };
    }),
  );
  if (wantsLiveness) {
    analyzed.forEach(({ analysis }, i) => {
      const score = analysis.subject.liveness ?? 0;
      if (score < options.livenessMin!) throw new AppError("LIVENESS_FAILED", `images[${i}]: the face did not pass liveness (${roundTo(score, 4)} < ${options.livenessMin})`, { image: `images[${i}]`, score: roundTo(score, 4), min: options.livenessMin });
    });
  }
  const policy = await getActivePolicy(db, projectId);
  const first = analyzed[0].analysis.subject.embedding;
  analyzed.slice(1).forEach(({ analysis }, i) => {
    const similarity = cosineSimilarity(first, analysis.subject.embedding);
    if (similarity < policy.bands.face_match.review) {
      throw new AppError("FACES_DO_NOT_MATCH", `images[${i + 1}] is not the same person as images[0] (similarity ${roundTo(similarity, 4)})`, { image: `images[${i + 1}]`, similarity: roundTo(similarity, 4) });
    }
  });
  if (options.duplicateMin !== undefined && options.duplicateMin !== null) {
    for (const { analysis } of analyzed) {
      const hits = await searchGallery(db, { projectId, probe: analysis.subject.embedding, collectionIds: duplicateScope, limit: 2, mode: "ACCURATE", minSimilarity: options.duplicateMin });
      const hit = hits.find((h) => h.personId !== excludePersonId);
      if (hit) throw new AppError("DUPLICATE_PERSON", `This face is already enrolled (person ${hit.personId}, similarity ${roundTo(hit.similarity, 4)}).`, { personId: hit.personId, similarity: roundTo(hit.similarity, 4) });
    }
  }
  return analyzed;
}

function faceRows(projectId: string, personId: string, analyzed: AnalyzedImage[]): Array<NewFaceRow & { bytes: Buffer }> {
  const now = Date.now();
  return analyzed.map(({ bytes, analysis }, i) => {
    // A millisecond apart, so ids (time-ordered) keep the order the images were sent in.
    const id = newId("face", now + i);
    return {
      id,
      personId,
      projectId,
      embedding: analysis.subject.embedding,
      storageKey: `${projectId}/gallery/${id}`,
      format: analysis.image.format,
      width: analysis.image.width,
      height: analysis.image.height,
      face: { ...faceToJson(analysis.subject), quality: analysis.subject.quality },
      liveness: analysis.subject.liveness,
      bytes,
    };
  });
}

/**
 * Writes faces with their encrypted images: staged before the transaction, published after
 * it commits, discarded if it fails (the same two-phase write as verifications; when the
 * database went away mid-transaction, settled once it answers again).
 */
async function withStagedImages<T>(db: Database, store: ImageStore, rows: Array<{ storageKey?: string | null; bytes: Buffer }>, write: () => Promise<T>): Promise<T> {
  const keyed = rows.filter((r): r is { storageKey: string; bytes: Buffer } => !!r.storageKey);
  await Promise.all(keyed.map((r) => store.stage(r.storageKey, r.bytes)));
  let result: T;
  try {
    result = await write();
  } catch (error) {
    // A lost connection leaves the commit in doubt: the images wait for the database to say.
    if (isDatabaseUnavailable(error)) settleStagedImagesLater(db, store, keyed.map((r) => r.storageKey));
    else await Promise.all(keyed.map((r) => store.discard(r.storageKey)));
    throw error;
  }
  await Promise.all(keyed.map((r) => store.publish(r.storageKey)));
  return result;
}

function externalRefTaken(error: unknown, externalRef: string | null | undefined): never {
  if (externalRef && isUniqueViolation(error)) throw new AppError("EXTERNAL_REF_TAKEN", `Another person in this project has externalRef ${externalRef}.`, { field: "externalRef" });
  throw error;
}

/** Enrolls a new person with one or more face images (EnrollOptions say what is checked first). */
export async function createPerson(db: Database, store: ImageStore, input: CreatePersonInput): Promise<Person> {
  const name = input.name.trim();
  if (!name) throw new AppError("INVALID_REQUEST", "missing name", { field: "name", missing: true });
  const collectionIds = await resolveCollections(db, input.projectId, input.collections ?? []);
  const analyzed = await analyzeEnrollment(db, input.projectId, input.images, input, null);
  const personId = newId("per");
  const rows = faceRows(input.projectId, personId, analyzed);
  const kind = searchIndexOf(db);
  await withStagedImages(db, store, rows, () =>
    db
      .transaction(async (tx) => {
        const now = new Date();
        await tx.insert(persons).values({ id: personId, projectId: input.projectId, name, externalRef: input.externalRef || null, metadata: input.metadata ?? {}, createdAt: now, updatedAt: now });
        if (collectionIds.length > 0) await tx.insert(personCollections).values(collectionIds.map((collectionId) => ({ personId, collectionId })));
        await insertFaces(tx, kind, rows);
        await touchGallery(tx, input.projectId);
        await appendAudit(tx, {
          actor: input.actor,
          action: "person.created",
          projectId: input.projectId,
          after: { personId, name, externalRef: input.externalRef || null, collections: collectionIds, faces: rows.map((r) => r.id), livenessMin: input.livenessMin ?? null, duplicateMin: input.duplicateMin ?? null },
        });
      })
      .catch((error) => externalRefTaken(error, input.externalRef)),
  );
  return getPerson(db, input.projectId, personId);
}

/** Adds face images to an enrolled person. */
export async function addFaces(db: Database, store: ImageStore, input: EnrollOptions & { projectId: string; personId: string; actor: string; images: ImageInput[] }): Promise<Person> {
  const person = await getPerson(db, input.projectId, input.personId);
  if (person.faces.length + input.images.length > MAX_FACES_PER_PERSON) throw new AppError("INVALID_REQUEST", `A person has at most ${MAX_FACES_PER_PERSON} faces.`, { field: "images" });
  const analyzed = await analyzeEnrollment(db, input.projectId, input.images, input, person.id);
  // The new faces must also match the person already enrolled: the best of their faces counts.
  const enrolled = await db.select({ embedding: personFaces.embedding }).from(personFaces).where(eq(personFaces.personId, person.id));
  if (enrolled.length > 0) {
    const policy = await getActivePolicy(db, input.projectId);
    const probe = analyzed[0].analysis.subject.embedding;
    const similarity = Math.max(...enrolled.map((e) => cosineSimilarity(embeddingFromBytes(e.embedding), probe)));
    if (similarity < policy.bands.face_match.review) throw new AppError("FACES_DO_NOT_MATCH", `images[0] is not the enrolled person (similarity ${roundTo(similarity, 4)})`, { image: "images[0]", similarity: roundTo(similarity, 4) });
  }
  const rows = faceRows(input.projectId, person.id, analyzed);
  const kind = searchIndexOf(db);
  await withStagedImages(db, store, rows, () =>
    db.transaction(async (tx) => {
      await insertFaces(tx, kind, rows);
      await tx.update(persons).set({ updatedAt: new Date() }).where(eq(persons.id, person.id));
      await touchGallery(tx, input.projectId);
      await appendAudit(tx, { actor: input.actor, action: "person.faces_added", projectId: input.projectId, after: { personId: person.id, faces: rows.map((r) => r.id) } });
    }),
  );
  return getPerson(db, input.projectId, person.id);
}

export interface PersonChanges {
  name?: string;
  externalRef?: string | null;
  metadata?: PersonMetadata;
  /** Replaces the memberships (ids or codes). */
  collections?: string[];
}

export async function updatePerson(db: Database, input: PersonChanges & { projectId: string; personId: string; actor: string }): Promise<Person> {
  const collectionIds = input.collections ? await resolveCollections(db, input.projectId, input.collections) : null;
  await db
    .transaction(async (tx) => {
      const before = await getPerson(tx, input.projectId, input.personId);
      const name = input.name !== undefined ? input.name.trim() : undefined;
      if (name === "") throw new AppError("INVALID_REQUEST", "name must not be empty", { field: "name" });
      await tx
        .update(persons)
        .set({
          ...(name !== undefined ? { name } : {}),
          ...(input.externalRef !== undefined ? { externalRef: input.externalRef || null } : {}),
          ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
          updatedAt: new Date(),
        })
        .where(eq(persons.id, before.id));
      if (collectionIds) {
        await tx.delete(personCollections).where(eq(personCollections.personId, before.id));
        if (collectionIds.length > 0) await tx.insert(personCollections).values(collectionIds.map((collectionId) => ({ personId: before.id, collectionId })));
        await touchGallery(tx, input.projectId);
      }
      await appendAudit(tx, {
        actor: input.actor,
        action: "person.updated",
        projectId: input.projectId,
        before: { personId: before.id, name: before.name, externalRef: before.externalRef, collections: before.collections.map((c) => c.id) },
        after: { name: name ?? before.name, externalRef: input.externalRef !== undefined ? input.externalRef || null : before.externalRef, collections: collectionIds ?? before.collections.map((c) => c.id), metadataChanged: input.metadata !== undefined },
      });
    })
    .catch((error) => externalRefTaken(error, input.externalRef));
  return getPerson(db, input.projectId, input.personId);
}

/**
 * Deletes a person: their faces' encrypted images leave the store, then one transaction
 * removes the person, their embeddings (with the index entries) and memberships. As with
 * erasure, files go first: a failure leaves rows to delete again, never a file that should
 * be gone. Duplicate-check records keep the name and score, not the link.
 */
export async function deletePerson(db: Database, store: ImageStore, input: { projectId: string; personId: string; actor: string }): Promise<Person> {
  const person = await getPerson(db, input.projectId, input.personId);
  const keys = await db.select({ key: personFaces.storageKey }).from(personFaces).where(eq(personFaces.personId, person.id));
  await Promise.all(keys.map((k) => (k.key ? store.delete(k.key) : null)));
  await db.transaction(async (tx) => {
    await tx.delete(persons).where(and(eq(persons.projectId, input.projectId), eq(persons.id, person.id)));
    await touchGallery(tx, input.projectId);
    await appendAudit(tx, { actor: input.actor, action: "person.deleted", projectId: input.projectId, before: { personId: person.id, name: person.name, externalRef: person.externalRef, faces: person.faces.map((f) => f.id) } });
  });
  return person;
}

/** Removes one enrolled face (its embedding and image); a person keeps at least one. */
export async function deleteFace(db: Database, store: ImageStore, input: { projectId: string; personId: string; faceId: string; actor: string }): Promise<Person> {
  const person = await getPerson(db, input.projectId, input.personId);
  if (!person.faces.some((f) => f.id === input.faceId)) throw new AppError("NOT_FOUND", `No face ${input.faceId} on person ${person.id}.`, { face: input.faceId });
  if (person.faces.length === 1) throw new AppError("INVALID_REQUEST", "A person keeps at least one face: delete the person instead.", { field: "faceId" });
  const [row] = await db.select({ key: personFaces.storageKey }).from(personFaces).where(eq(personFaces.id, input.faceId));
  if (row?.key) await store.delete(row.key);
  await db.transaction(async (tx) => {
    await tx.delete(personFaces).where(and(eq(personFaces.id, input.faceId), eq(personFaces.personId, person.id)));
    await touchGallery(tx, input.projectId);
    await appendAudit(tx, { actor: input.actor, action: "person.face_deleted", projectId: input.projectId, before: { personId: person.id, faceId: input.faceId } });
  });
  return getPerson(db, input.projectId, person.id);
}
