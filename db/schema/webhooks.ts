import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { projects } from "./projects";

/**
 * Where a project's events are POSTed. The signing secret is stored sealed (AES-256-GCM with a
 * key derived from the storage key, the endpoint id bound in; lib/webhooks/secrets.ts): the
 * database alone cannot forge a signature.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** http(s) URL set by an admin. */
    url: text().notNull(),
    /** Event types sent here (verification.completed, review.decided...). */
    events: text().array().notNull(),
    /** The signing secret, sealed: base64 of iv | tag | ciphertext. */
    secretSealed: text().notNull(),
    /** The visible start of the secret, to tell secrets apart after a rotation. */
    secretPrefix: text().notNull(),
    /** The secret before the last rotation: deliveries carry a second signature with it until it expires. */
    previousSecretSealed: text(),
    previousSecretExpiresAt: timestamp({ withTimezone: true }),
    enabled: boolean().notNull().default(true),
    /** user:<id> of the admin who added it. */
    createdBy: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    disabledAt: timestamp({ withTimezone: true }),
    secretRotatedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index().on(t.projectId)],
);

/**
 * The outbox and delivery log: one row per (event, endpoint), inserted in the transaction that
 * made the event, so an event is sent if and only if it committed. The dispatcher claims due
 * rows with a lease (status delivering, leaseUntil); a lease that lapses means the process died
 * mid-send, and the row is claimed again.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text().primaryKey(),
    /** The event's id, also `id` in the payload: the same for every endpoint and every redelivery. */
    eventId: text().notNull(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    endpointId: text()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    type: text().notNull(),
    /** The body, frozen when the event happened: `{ id, type, createdAt, data }`. */
    payload: jsonb().notNull(),
    /** pending | delivering | delivered | failed */
    status: text().notNull().default("pending"),
    /** Sends started, counted when a send is claimed. */
    attempts: integer().notNull().default(0),
    /** When a pending delivery is due; null once delivered or failed. */
    nextAttemptAt: timestamp({ withTimezone: true }).defaultNow(),
    /** While delivering: past this time the sender is presumed dead and the row is claimed again. */
    leaseUntil: timestamp({ withTimezone: true }),
    lastAttemptAt: timestamp({ withTimezone: true }),
    /** HTTP status of the last answer; null when there was none (timeout, refused connection). */
    lastStatusCode: integer(),
    /** Why the last attempt failed, in a few words (never the response body or a secret). */
    lastError: text(),
    /** The delivery a manual redelivery repeats. */
    redeliveryOf: text(),
    deliveredAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The dispatcher's two ways to find work: due pending rows, and lapsed leases.
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("webhook_deliveries_lease_idx").on(t.leaseUntil).where(sql`status = 'delivering'`),
    index().on(t.projectId, t.createdAt),
    index().on(t.endpointId, t.createdAt),
    index().on(t.eventId),
  ],
);
