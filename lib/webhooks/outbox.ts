import "server-only";
import { and, arrayContains, asc, eq, inArray, lte, or, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { Database, Transaction } from "@/db/client";
import { webhookDeliveries, webhookEndpoints } from "@/db/schema";
import { newId } from "@/lib/ids";
import type { WebhookEvent, WebhookPayload } from "./events";

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type DeliveryStatus = "pending" | "delivering" | "delivered" | "failed";

/**
 * Puts an event in the outbox: one pending delivery per enabled endpoint of the project that
 * subscribes to its type. Call it inside the transaction that makes the event, so the delivery
 * rows commit with it or not at all. Returns the event id, or null when no endpoint wants it
 * (nothing is written).
 */
export async function enqueueEvent(tx: Database | Transaction, event: WebhookEvent): Promise<string | null> {
  const endpoints = await tx
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.projectId, event.projectId), eq(webhookEndpoints.enabled, true), arrayContains(webhookEndpoints.events, [event.type])));
  if (endpoints.length === 0) return null;
  return (await insertDeliveries(tx, event, endpoints.map((e) => e.id))).eventId;
}

/** Writes one pending delivery of a new event per endpoint, due at once. */
export async function insertDeliveries(tx: Database | Transaction, event: WebhookEvent, endpointIds: string[]): Promise<{ eventId: string; deliveryIds: string[] }> {
  const createdAt = new Date();
  const eventId = newId("evt", createdAt.getTime());
  const payload: WebhookPayload = { id: eventId, type: event.type, createdAt: createdAt.toISOString(), data: event.data };
  const rows = endpointIds.map((endpointId) => ({ id: newId("dlv"), eventId, projectId: event.projectId, endpointId, type: event.type, payload, createdAt }));
  await tx.insert(webhookDeliveries).values(rows);
  return { eventId, deliveryIds: rows.map((r) => r.id) };
}

/**
 * The retry schedule: after failed attempt n the next is due in base x 4^(n-1) seconds (10 s,
 * 40 s, 2.7 min, 11 min, 43 min, 2.8 h, 11.4 h with the default 10 s base: 8 attempts over
 * about 15 hours), each delay at most 12 hours, spread by +-20% so that deliveries that failed
 * together (a receiver down) do not all come back in the same second.
 */
export function retryDelaySeconds(attempt: number, baseSeconds: number, random: number = Math.random()): number {
  const nominal = Math.min(baseSeconds * 4 ** Math.max(0, attempt - 1), 12 * 3600);
  return nominal * (0.8 + 0.4 * random);
}

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  type: string;
  payload: WebhookPayload;
  /** This attempt's number; with the id, it fences the outcome to this claim. */
  attempts: number;
  url: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * Claims up to `limit` due deliveries of enabled endpoints for this process: pending ones whose
 * time has come, and delivering ones whose sender's lease lapsed (it died mid-send). One UPDATE
 * whose rows are picked with FOR UPDATE SKIP LOCKED, so concurrent dispatchers, on any number of
 * instances, never claim the same row; each claim counts an attempt and leases the row for
 * `leaseSeconds`.
 */
export async function claimDueDeliveries(db: Database, input: { limit: number; leaseSeconds: number }): Promise<ClaimedDelivery[]> {
  const due = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(
      and(
        eq(webhookEndpoints.enabled, true),
        or(
          and(eq(webhookDeliveries.status, "pending"), lte(webhookDeliveries.nextAttemptAt, sql`now()`)),
          and(eq(webhookDeliveries.status, "delivering"), lte(webhookDeliveries.leaseUntil, sql`now()`)),
        ),
      ),
    )
    .orderBy(asc(webhookDeliveries.createdAt))
    .limit(input.limit)
    .for("update", { of: webhookDeliveries, skipLocked: true });
  const claimed = await db
    .update(webhookDeliveries)
    .set({
      status: "delivering",
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      leaseUntil: sql`now() + make_interval(secs => ${input.leaseSeconds})`,
      lastAttemptAt: sql`now()`,
    })
    .where(inArray(webhookDeliveries.id, due))
    .returning();
  if (claimed.length === 0) return [];
  const endpoints = await db
    .select({ id: webhookEndpoints.id, url: webhookEndpoints.url, secretSealed: webhookEndpoints.secretSealed, previousSecretSealed: webhookEndpoints.previousSecretSealed, previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt })
    .from(webhookEndpoints)
    .where(inArray(webhookEndpoints.id, [...new Set(claimed.map((d) => d.endpointId))]));
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  return claimed.flatMap((d) => {
    const endpoint = byId.get(d.endpointId);
    // Deleted between the claim and now: the delivery went with it (on delete cascade).
    if (!endpoint) return [];
    return [{ id: d.id, eventId: d.eventId, endpointId: d.endpointId, type: d.type, payload: d.payload as WebhookPayload, attempts: d.attempts, url: endpoint.url, secretSealed: endpoint.secretSealed, previousSecretSealed: endpoint.previousSecretSealed, previousSecretExpiresAt: endpoint.previousSecretExpiresAt }];
  });
}

/** Only the claim that made this attempt may settle it: a sender whose lease lapsed and whose row was claimed again changes nothing. */
function heldBy(claim: Pick<ClaimedDelivery, "id" | "attempts">) {
  return and(eq(webhookDeliveries.id, claim.id), eq(webhookDeliveries.status, "delivering"), eq(webhookDeliveries.attempts, claim.attempts));
}

export type AttemptOutcome =
  | { kind: "delivered"; statusCode: number }
  | { kind: "failed"; statusCode: number | null; error: string }
  /** The dispatcher stopped mid-send: due again at once, for this or another instance. */
  | { kind: "interrupted" }
  /**
   * Claimed but never sent: the dispatcher was told to stop while its claim was under way. Due
   * again at once, and the claim's attempt is taken back, since no receiver saw it.
   */
  | { kind: "released" };

/**
 * Settles one attempt: delivered on a 2xx; otherwise pending again after the retry delay, or
 * failed for good once `maxAttempts` attempts were made. Returns the status written, or null
 * when the claim was no longer held.
 */
export async function settleAttempt(
  db: Database,
  claim: Pick<ClaimedDelivery, "id" | "attempts">,
  outcome: AttemptOutcome,
  policy: { retryBaseSeconds: number; maxAttempts: number },
): Promise<DeliveryStatus | null> {
  let fields: PgUpdateSetSource<typeof webhookDeliveries>;
  let status: DeliveryStatus;
  if (outcome.kind === "delivered") {
    status = "delivered";
    fields = { status, deliveredAt: sql`now()`, nextAttemptAt: null, leaseUntil: null, lastStatusCode: outcome.statusCode, lastError: null };
  } else if (outcome.kind === "interrupted") {
    status = "pending";
    fields = { status, nextAttemptAt: sql`now()`, leaseUntil: null, lastError: "interrupted: the dispatcher stopped during the send" };
  } else if (outcome.kind === "released") {
    status = "pending";
    fields = { status, nextAttemptAt: sql`now()`, leaseUntil: null, attempts: claim.attempts - 1 };
  } else if (claim.attempts >= policy.maxAttempts) {
    status = "failed";
    fields = { status, nextAttemptAt: null, leaseUntil: null, lastStatusCode: outcome.statusCode, lastError: outcome.error };
  } else {
    status = "pending";
    const delay = retryDelaySeconds(claim.attempts, policy.retryBaseSeconds);
    fields = { status, nextAttemptAt: sql`now() + make_interval(secs => ${delay})`, leaseUntil: null, lastStatusCode: outcome.statusCode, lastError: outcome.error };
  }
  const rows = await db.update(webhookDeliveries).set(fields).where(heldBy(claim)).returning({ id: webhookDeliveries.id });
  return rows.length > 0 ? status : null;
}
