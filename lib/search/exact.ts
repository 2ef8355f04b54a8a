import "server-only";
import { eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { personCollections, personFaces, persons, projects } from "@/db/schema";
import { EMBEDDING_DIMENSIONS } from "@/db/vector";
import type { FaceHit } from "./types";
import { embeddingFromBytes } from "./vectors";

/**
 * Exact 1:N search: every enrolled face of the project, scored against the probe in memory.
 *
 * A project's gallery is loaded once into one Float32Array (2 KB per face: 200 MB for 100,000
 * faces) and reused while `projects.gallery_version` is unchanged. Every change to faces or
 * collection membership bumps that version in the same transaction, so each search costs one
 * small query to learn whether its copy is current, on any number of instances.
 */
interface Snapshot {
  version: number;
  faceIds: string[];
  /** Index of each face's person in `personIds`. */
  facePerson: Int32Array;
  personIds: string[];
  /** Collection ids of each person, by index in `personIds`. */
  personCollections: Array<Set<string>>;
  matrix: Float32Array;
}

const globalKey = Symbol.for("vigil.exactGallery");
type Holder = { [globalKey]?: WeakMap<object, Map<string, Promise<Snapshot>>> };

function cacheOf(db: Database): Map<string, Promise<Snapshot>> {
  const holder = globalThis as Holder;
  holder[globalKey] ??= new WeakMap();
  let cache = holder[globalKey].get(db);
  if (!cache) holder[globalKey].set(db, (cache = new Map()));
  return cache;
}

export async function galleryVersion(db: Database, projectId: string): Promise<number> {
  const [row] = await db.select({ version: projects.galleryVersion }).from(projects).where(eq(projects.id, projectId)).limit(1);
  return row?.version ?? 0;
}

async function load(db: Database, projectId: string, version: number): Promise<Snapshot> {
  const faces = await db.select({ id: personFaces.id, personId: personFaces.personId, embedding: personFaces.embedding }).from(personFaces).where(eq(personFaces.projectId, projectId));
  const memberships = await db
    .select({ personId: personCollections.personId, collectionId: personCollections.collectionId })
    .from(personCollections)
    .innerJoin(persons, eq(persons.id, personCollections.personId))
    .where(eq(persons.projectId, projectId));
  const personIndex = new Map<string, number>();
  const personIds: string[] = [];
  const facePerson = new Int32Array(faces.length);
  const matrix = new Float32Array(faces.length * EMBEDDING_DIMENSIONS);
  faces.forEach((face, i) => {
    let p = personIndex.get(face.personId);
    if (p === undefined) {
      p = personIds.length;
      personIndex.set(face.personId, p);
      personIds.push(face.personId);
    }
    facePerson[i] = p;
    matrix.set(embeddingFromBytes(face.embedding), i * EMBEDDING_DIMENSIONS);
  });
  const collectionsOf = personIds.map(() => new Set<string>());
  for (const m of memberships) {
    const p = personIndex.get(m.personId);
    if (p !== undefined) collectionsOf[p].add(m.collectionId);
  }
  return { version, faceIds: faces.map((f) => f.id), facePerson, personIds, personCollections: collectionsOf, matrix };
}

async function snapshot(db: Database, projectId: string): Promise<Snapshot> {
  const cache = cacheOf(db);
  // The version is read before the rows: a change committed in between makes the copy look
  // older than it is, so the next search reloads; never the other way round.
  const version = await galleryVersion(db, projectId);
  const cached = cache.get(projectId);
  if (cached) {
    const current = await cached.catch(() => null);
    if (current && current.version === version) return current;
  }
  const loading = load(db, projectId, version);
  cache.set(projectId, loading);
  loading.catch(() => cache.delete(projectId));
  return loading;
}

/**
 * The best face of each of the `personLimit` most similar persons, most similar first; only
 * persons in one of `collectionIds` when given. Scores are dot products of unit vectors: cosine.
 */
export async function exactSearch(db: Database, input: { projectId: string; probe: Float32Array; collectionIds: string[] | null; personLimit: number }): Promise<FaceHit[]> {
  const gallery = await snapshot(db, input.projectId);
  const allowed = input.collectionIds ? new Set(input.collectionIds) : null;
  const personAllowed = gallery.personIds.map((_, p) => !allowed || [...gallery.personCollections[p]].some((c) => allowed.has(c)));
  const best = new Float32Array(gallery.personIds.length).fill(-Infinity);
  const bestFace = new Int32Array(gallery.personIds.length).fill(-1);
  const { matrix, facePerson } = gallery;
  const probe = input.probe;
  const n = gallery.faceIds.length;
  // A local copy: an imported binding may compile to a getter, called per multiply otherwise.
  const dims = EMBEDDING_DIMENSIONS;
  for (let f = 0; f < n; f++) {
    const p = facePerson[f];
    if (!personAllowed[p]) continue;
    const base = f * dims;
    // Four running sums: independent additions pipeline; about twice one sum's speed.
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < dims; i += 4) {
      s0 += probe[i] * matrix[base + i];
      s1 += probe[i + 1] * matrix[base + i + 1];
      s2 += probe[i + 2] * matrix[base + i + 2];
      s3 += probe[i + 3] * matrix[base + i + 3];
    }
    const s = s0 + s1 + s2 + s3;
    if (s > best[p]) {
      best[p] = s;
      bestFace[p] = f;
    }
  }
  const order: number[] = [];
  for (let p = 0; p < best.length; p++) if (bestFace[p] >= 0) order.push(p);
  order.sort((a, b) => best[b] - best[a] || (gallery.personIds[a] < gallery.personIds[b] ? -1 : 1));
  return order.slice(0, input.personLimit).map((p) => ({ personId: gallery.personIds[p], faceId: gallery.faceIds[bestFace[p]], similarity: best[p] }));
}

/** Bumps the project's gallery version: call in the transaction that changes faces or memberships. */
export async function touchGallery(tx: Pick<Database, "update">, projectId: string): Promise<void> {
  await tx.update(projects).set({ galleryVersion: sql`${projects.galleryVersion} + 1` }).where(eq(projects.id, projectId));
}
