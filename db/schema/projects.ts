import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** A tenant: its own API keys, threshold policies, review queue and (later) webhooks. */
export const projects = pgTable("projects", {
  id: text().primaryKey(),
  slug: text().notNull().unique(),
  name: text().notNull(),
  /** Hours a review case may wait before the queue marks it overdue. */
  reviewSlaHours: integer().notNull().default(24),
  /** Reason codes reviewers choose from; null means the defaults (lib/review/reasons.ts). */
  reasonCodes: jsonb(),
  /** Days a verification's images are kept; then the retention job purges them (records, scores and decisions stay). */
  imageRetentionDays: integer().notNull().default(30),
  /** Bumped with every change to the project's enrolled faces or collections, so instances can tell a cached gallery is stale. */
  galleryVersion: integer().notNull().default(0),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * API keys: only a SHA-256 of the secret is stored (the secret is 32 random bytes, so a slow
 * hash adds nothing); `prefix` is the visible start of the key that lists and logs show.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text().notNull(),
    prefix: text().notNull(),
    secretHash: text().notNull().unique(),
    scopes: text().array().notNull().default(sql`'{}'::text[]`),
    /** Requests allowed over the key's life; null is unlimited. */
    quota: integer(),
    usedCount: integer().notNull().default(0),
    /** The per-minute rate limit's current window: when it began and the requests counted in it. */
    rateWindowStart: timestamp({ withTimezone: true }),
    rateWindowCount: integer().notNull().default(0),
    lastUsedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.projectId)],
);

/**
 * Versioned threshold policies: every change is a new row; a verification stores the
 * version it was decided under. The active policy is the highest version.
 */
export const thresholdPolicies = pgTable(
  "threshold_policies",
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    version: integer().notNull(),
    bands: jsonb().notNull(),
    reason: text().notNull(),
    author: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex().on(t.projectId, t.version)],
);
