import "server-only";
import { and, asc, count, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { projects, webhookDeliveries, webhookEndpoints } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import { appendAudit } from "@/lib/review/audit";
import { pingEvent, WEBHOOK_EVENT_TYPES } from "./events";
import type { WebhookEventType } from "./events";
import type { DeliveryStatus } from "./outbox";
import { insertDeliveries } from "./outbox";
import { generateWebhookSecret, sealWebhookSecret, secretPrefixOf } from "./secrets";

/** How long deliveries also carry a signature with the secret a rotation replaced. */
export const PREVIOUS_SECRET_GRACE_HOURS = 24;

/**
 * An endpoint URL: absolute http(s), no user name or password (they would sit in the console
 * and the database in the clear), no fragment, at most 2048 characters. Admins are trusted to
 * point it anywhere, localhost included.
 */
export const webhookUrlSchema = z
  .string()
  .trim()
  .max(2048, "A webhook URL has at most 2048 characters.")
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "Enter an absolute URL, such as https://example.com/hooks/vigil." });
      return;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") ctx.addIssue({ code: "custom", message: "A webhook URL starts with https:// or http://." });
    else if (!url.hostname) ctx.addIssue({ code: "custom", message: "A webhook URL needs a host." });
    if (url.username || url.password) ctx.addIssue({ code: "custom", message: "Put no user name or password in the URL; verify the Vigil-Signature header instead." });
    if (url.hash) ctx.addIssue({ code: "custom", message: "A webhook URL has no #fragment." });
  });

export const createEndpointSchema = z.object({
  projectId: z.string().min(1).max(64),
  url: webhookUrlSchema,
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1, "Choose at least one event.").transform((events) => [...new Set(events)]),
});
export type CreateEndpointInput = z.infer<typeof createEndpointSchema>;

export interface EndpointView {
  id: string;
  projectId: string;
  url: string;
  events: WebhookEventType[];
  secretPrefix: string;
  enabled: boolean;
  createdAt: Date;
  disabledAt: Date | null;
  secretRotatedAt: Date | null;
  previousSecretExpiresAt: Date | null;
}

function toView(row: typeof webhookEndpoints.$inferSelect): EndpointView {
  return {
    id: row.id,
    projectId: row.projectId,
    url: row.url,
    events: row.events as WebhookEventType[],
    secretPrefix: row.secretPrefix,
    enabled: row.enabled,
    createdAt: row.createdAt,
    disabledAt: row.disabledAt,
    secretRotatedAt: row.secretRotatedAt,
    previousSecretExpiresAt: row.previousSecretExpiresAt,
  };
}

/** Projects with how many webhook endpoints each has, oldest project first. */
export async function listWebhookProjects(db: Database): Promise<Array<{ id: string; slug: string; name: string; endpoints: number }>> {
  return db
    .select({ id: projects.id, slug: projects.slug, name: projects.name, endpoints: count(webhookEndpoints.id) })
    .from(projects)
    .leftJoin(webhookEndpoints, eq(webhookEndpoints.projectId, projects.id))
    .groupBy(projects.id)
    .orderBy(asc(projects.createdAt), asc(projects.slug));
}

/** A project's endpoints, oldest first; secrets never leave as anything but their prefix. */
export async function listEndpoints(db: Database, projectId: string): Promise<EndpointView[]> {
  const rows = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.projectId, projectId)).orderBy(asc(webhookEndpoints.createdAt));
  return rows.map(toView);
}

async function getEndpointOrThrow(db: Database, endpointId: string) {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId)).limit(1);
  if (!row) throw new AppError("NOT_FOUND", "No such webhook endpoint.");
  return row;
}

/** Adds an endpoint with a new signing secret, returned once (only its sealed form is stored). */
export async function createEndpoint(db: Database, secretKey: Buffer, input: CreateEndpointInput & { actor: string }): Promise<{ endpoint: EndpointView; secret: string }> {
  const { projectId, url, events } = createEndpointSchema.parse(input);
  const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).limit(1);
  if (!project) throw new AppError("NOT_FOUND", "No such project.");
  const id = newId("whk");
  const secret = generateWebhookSecret();
  const endpoint = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({ id, projectId, url, events, secretSealed: sealWebhookSecret(secretKey, id, secret), secretPrefix: secretPrefixOf(secret), createdBy: input.actor })
      .returning();
    await appendAudit(tx, { actor: input.actor, action: "webhook.endpoint_created", projectId, after: { endpointId: id, url, events } });
    return row;
  });
  return { endpoint: toView(endpoint), secret };
}

/**
 * Replaces an endpoint's secret; the new one is returned once. For the next 24 hours deliveries
 * carry a second `v1=` signature made with the old secret, so a receiver can switch without
 * dropping any.
 */
export async function rotateEndpointSecret(db: Database, secretKey: Buffer, input: { endpointId: string; actor: string }): Promise<{ secret: string; secretPrefix: string }> {
  const secret = generateWebhookSecret();
  await db.transaction(async (tx) => {
    const [row] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, input.endpointId)).for("update").limit(1);
    if (!row) throw new AppError("NOT_FOUND", "No such webhook endpoint.");
    await tx
      .update(webhookEndpoints)
      .set({
        secretSealed: sealWebhookSecret(secretKey, row.id, secret),
        secretPrefix: secretPrefixOf(secret),
        previousSecretSealed: row.secretSealed,
        previousSecretExpiresAt: sql`now() + make_interval(hours => ${PREVIOUS_SECRET_GRACE_HOURS})`,
        secretRotatedAt: sql`now()`,
      })
      .where(eq(webhookEndpoints.id, row.id));
    await appendAudit(tx, { actor: input.actor, action: "webhook.secret_rotated", projectId: row.projectId, before: { endpointId: row.id, secretPrefix: row.secretPrefix }, after: { endpointId: row.id, secretPrefix: secretPrefixOf(secret) } });
  });
  return { secret, secretPrefix: secretPrefixOf(secret) };
}

/**
 * Turns an endpoint on or off. While off it gets no new events, and deliveries already queued
 * for it wait (nothing is dropped); they go out once it is enabled again.
 */
export async function setEndpointEnabled(db: Database, input: { endpointId: string; enabled: boolean; actor: string }): Promise<EndpointView> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookEndpoints)
      .set({ enabled: input.enabled, disabledAt: input.enabled ? null : sql`now()` })
      .where(eq(webhookEndpoints.id, input.endpointId))
      .returning();
    if (!row) throw new AppError("NOT_FOUND", "No such webhook endpoint.");
    await appendAudit(tx, { actor: input.actor, action: input.enabled ? "webhook.endpoint_enabled" : "webhook.endpoint_disabled", projectId: row.projectId, after: { endpointId: row.id } });
    return toView(row);
  });
}

/** Deletes an endpoint with its delivery log; queued deliveries are dropped with it. */
export async function deleteEndpoint(db: Database, input: { endpointId: string; actor: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, input.endpointId)).returning();
    if (!row) throw new AppError("NOT_FOUND", "No such webhook endpoint.");
    await appendAudit(tx, { actor: input.actor, action: "webhook.endpoint_deleted", projectId: row.projectId, before: { endpointId: row.id, url: row.url, events: row.events } });
  });
}

function assertEnabled(endpoint: { enabled: boolean }): void {
  if (!endpoint.enabled) throw new AppError("INVALID_REQUEST", "This endpoint is disabled: enable it first.");
}

/** Queues a `ping` event for one endpoint, whatever events it subscribes to; returns the delivery id. */
export async function sendTestEvent(db: Database, input: { endpointId: string; actor: string }): Promise<{ deliveryId: string; eventId: string }> {
  const endpoint = await getEndpointOrThrow(db, input.endpointId);
  assertEnabled(endpoint);
  return db.transaction(async (tx) => {
    const { eventId, deliveryIds } = await insertDeliveries(tx, pingEvent(endpoint.projectId, endpoint.id), [endpoint.id]);
    await appendAudit(tx, { actor: input.actor, action: "webhook.test_sent", projectId: endpoint.projectId, after: { endpointId: endpoint.id, deliveryId: deliveryIds[0] } });
    return { deliveryId: deliveryIds[0], eventId };
  });
}

/**
 * Sends an event to an endpoint again: a new delivery (new Vigil-Delivery id, fresh attempts)
 * of the same payload and event id, due at once. The original row keeps its history.
 */
export async function redeliver(db: Database, input: { deliveryId: string; actor: string }): Promise<{ deliveryId: string }> {
  const [original] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, input.deliveryId)).limit(1);
  if (!original) throw new AppError("NOT_FOUND", "No such delivery.");
  assertEnabled(await getEndpointOrThrow(db, original.endpointId));
  const id = newId("dlv");
  await db.transaction(async (tx) => {
    await tx.insert(webhookDeliveries).values({
      id,
      eventId: original.eventId,
      projectId: original.projectId,
      endpointId: original.endpointId,
      type: original.type,
      payload: original.payload,
      redeliveryOf: original.id,
    });
    await appendAudit(tx, { actor: input.actor, action: "webhook.redelivered", projectId: original.projectId, after: { endpointId: original.endpointId, deliveryId: id, redeliveryOf: original.id, eventId: original.eventId } });
  });
  return { deliveryId: id };
}

export interface DeliveryView {
  id: string;
  eventId: string;
  endpointId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  redeliveryOf: string | null;
  createdAt: Date;
}

/** The delivery log of a project (or one endpoint), newest first; payloads are not included. */
export async function listDeliveries(db: Database, input: { projectId: string; endpointId?: string; limit?: number }): Promise<DeliveryView[]> {
  const rows = await db
    .select({
      id: webhookDeliveries.id,
      eventId: webhookDeliveries.eventId,
      endpointId: webhookDeliveries.endpointId,
      type: webhookDeliveries.type,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      lastStatusCode: webhookDeliveries.lastStatusCode,
      lastError: webhookDeliveries.lastError,
      nextAttemptAt: webhookDeliveries.nextAttemptAt,
      lastAttemptAt: webhookDeliveries.lastAttemptAt,
      deliveredAt: webhookDeliveries.deliveredAt,
      redeliveryOf: webhookDeliveries.redeliveryOf,
      createdAt: webhookDeliveries.createdAt,
    })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.projectId, input.projectId), input.endpointId ? eq(webhookDeliveries.endpointId, input.endpointId) : undefined))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(input.limit ?? 100);
  return rows.map((r) => ({ ...r, status: r.status as DeliveryStatus }));
}
