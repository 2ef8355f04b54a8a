import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { apiKeys, projects } from "./projects";

/** One verification request and its outcome: per-check results, overall status and band. */
export const verifications = pgTable(
  "verifications",
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** face_match, selfie_liveness, face_match_liveness, document_liveness... */
    type: text().notNull(),
    /** Which API shape the request came in: native, verifik, kairos, sfx, console. */
    source: text().notNull(),
    /** approved | rejected | in_review | not_finished */
    status: text().notNull(),
    /** approve | review | reject: the automatic decision, kept when a reviewer decides. */
    band: text(),
    checks: jsonb().notNull(),
    policyVersion: integer().notNull(),
    timings: jsonb().notNull(),
    requestId: text().notNull(),
    idempotencyKey: text(),
    /** SHA-256 of the request, to tell a replay from a reused idempotency key. */
    requestHash: text().notNull(),
    apiKeyId: text().references(() => apiKeys.id, { onDelete: "set null" }),
    /** Free-form reference from the caller (Kairos/sfx transaction references, session ids). */
    externalRef: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex().on(t.projectId, t.idempotencyKey),
    index().on(t.projectId, t.createdAt),
    index().on(t.status),
  ],
);

/** Image metadata; the encrypted bytes live in the image store under `storageKey`. */
export const images = pgTable(
  "images",
  {
    id: text().primaryKey(),
    verificationId: text()
      .notNull()
      .references(() => verifications.id, { onDelete: "cascade" }),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** selfie | document | portrait | reference | gallery */
    role: text().notNull(),
    /** Order among images of the same role (gallery position). */
    position: integer().notNull().default(0),
    sha256: text().notNull(),
    format: text().notNull(),
    width: integer().notNull(),
    height: integer().notNull(),
    bytes: integer().notNull(),
    storageKey: text().notNull(),
    /** Detected faces (boxes, scores, landmarks) for drawing over the image. */
    faces: jsonb().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    purgedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index().on(t.verificationId)],
);

/** A verification routed to people: one case per verification in the review band. */
export const reviewCases = pgTable(
  "review_cases",
  {
    id: text().primaryKey(),
    verificationId: text()
      .notNull()
      .unique()
      .references(() => verifications.id, { onDelete: "cascade" }),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** open | claimed | decided */
    status: text().notNull(),
    /** Higher first; ties go to the oldest. */
    priority: integer().notNull().default(0),
    /** The checks that sent it here. */
    reasons: text().array().notNull(),
    claimedBy: text(),
    claimExpiresAt: timestamp({ withTimezone: true }),
    decision: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index().on(t.status, t.priority, t.createdAt)],
);

/**
 * Append-only audit trail. Each event stores the hash of the one before it, so a changed or
 * deleted event breaks the chain.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigserial({ mode: "number" }).primaryKey(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** user:<id>, key:<id> or system */
    actor: text().notNull(),
    action: text().notNull(),
    projectId: text(),
    verificationId: text(),
    caseId: text(),
    before: jsonb(),
    after: jsonb(),
    prevHash: text().notNull(),
    hash: text().notNull().unique(),
  },
  (t) => [index().on(t.verificationId), index().on(t.caseId)],
);
