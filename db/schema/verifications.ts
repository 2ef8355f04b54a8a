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
    /** approved | rejected | in_review | not_finished | resubmission_requested */
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
    /**
     * decision: waiting for a reviewer's decision; confirmation: a first reviewer overturned an
     * automatic reject and a second, different reviewer must confirm (four eyes).
     */
    stage: text().notNull().default("decision"),
    /** Higher first; ties go to the oldest. */
    priority: integer().notNull().default(0),
    /** The checks that sent it here. */
    reasons: text().array().notNull(),
    /** user:<id> holding the lease while status is claimed. */
    claimedBy: text(),
    claimedAt: timestamp({ withTimezone: true }),
    /** The lease: past this time the case is back in the queue for anyone. */
    claimExpiresAt: timestamp({ withTimezone: true }),
    /** approve | reject | resubmit: final, or proposed while stage is confirmation. */
    decision: text(),
    /** Why, from the project's reason codes (required to reject). */
    reasonCode: text(),
    note: text(),
    /** Who decided (or proposed, in the confirmation stage). */
    decidedBy: text(),
    /** The second reviewer who confirmed an overturned automatic reject. */
    confirmedBy: text(),
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
