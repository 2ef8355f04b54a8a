import { sql } from "drizzle-orm";
import { customType, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { projects } from "./projects";
import { verifications } from "./verifications";

/** Raw bytes: an embedding as little-endian float32 (512 of them, 2048 bytes). */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
});

/**
 * A named set of persons that searches can be limited to. `code` is the public identifier the
 * Verifik-shaped routes call `collection_id`; native routes use `id`.
 */
export const collections = pgTable(
  "collections",
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    code: text().notNull().unique(),
    name: text().notNull(),
    description: text().notNull().default(""),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.projectId)],
);

/** Someone enrolled for 1:N search: metadata here, faces in `person_faces`. */
export const persons = pgTable(
  "persons",
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** The caller's own identifier for the person (a customer id), unique in the project when set. */
    externalRef: text(),
    /** gender, dateOfBirth, nationality, notes, emails, phones: what the caller chose to store. */
    metadata: jsonb().notNull().default(sql`'{}'::jsonb`),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.projectId, t.createdAt), uniqueIndex().on(t.projectId, t.externalRef)],
);

export const personCollections = pgTable(
  "person_collections",
  {
    personId: text()
      .notNull()
      .references(() => persons.id, { onDelete: "cascade" }),
    collectionId: text()
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.personId, t.collectionId] }), index().on(t.collectionId)],
);

/**
 * One enrolled face. The embedding (L2-normalised) is the source of truth for both search
 * paths: the exact scan reads it, and where pgvector is installed lib/search/index.ts adds an
 * `embedding_vec vector(512)` copy with an HNSW index. The image (encrypted in the image store)
 * is absent for faces bulk-imported as precomputed embeddings.
 */
export const personFaces = pgTable(
  "person_faces",
  {
    id: text().primaryKey(),
    personId: text()
      .notNull()
      .references(() => persons.id, { onDelete: "cascade" }),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    embedding: bytea().notNull(),
    storageKey: text(),
    format: text(),
    width: integer(),
    height: integer(),
    /** The face's box, landmarks, score and quality in the enrolled image. */
    face: jsonb(),
    liveness: real(),
    /** The verification image this face was enrolled from, so erasing that subject removes it. */
    sourceImageId: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.projectId), index().on(t.personId), index().on(t.sourceImageId)],
);

/**
 * Enrolled persons a new verification's selfie resembled (duplicate check at onboarding), and
 * the reviewer's verdict on each: same person or different person.
 */
export const duplicateCandidates = pgTable(
  "duplicate_candidates",
  {
    id: text().primaryKey(),
    verificationId: text()
      .notNull()
      .references(() => verifications.id, { onDelete: "cascade" }),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** Null once the person is deleted; the name and similarity stay for the record. */
    personId: text().references(() => persons.id, { onDelete: "set null" }),
    faceId: text(),
    personName: text().notNull(),
    similarity: real().notNull(),
    rank: integer().notNull(),
    /** null until a reviewer says: same | different */
    verdict: text(),
    decidedBy: text(),
    decidedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.verificationId), index().on(t.personId)],
);
