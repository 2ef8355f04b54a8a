"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import { createEndpoint, createEndpointSchema, deleteEndpoint, redeliver, rotateEndpointSecret, sendTestEvent, setEndpointEnabled } from "@/lib/webhooks/endpoints";
import { getWebhookSecretKey } from "@/lib/webhooks/secrets";

const PATH = "/admin/webhooks";
const endpointIdSchema = z.object({ endpointId: z.string().min(1).max(64) });

/** Admins only: adds an endpoint; its signing secret is returned once. */
export async function createWebhookEndpointAction(input: unknown): Promise<ActionResult<{ endpointId: string; secret: string }>> {
  return runAction("createWebhookEndpoint", async () => {
    const admin = await requireUser("admin");
    const parsed = createEndpointSchema.parse(input);
    const { endpoint, secret } = await createEndpoint(await getDb(), getWebhookSecretKey(), { ...parsed, actor: admin.actor });
    revalidatePath(PATH);
    return { endpointId: endpoint.id, secret };
  });
}

/** Admins only: a new signing secret, returned once; the old one also signs for 24 hours. */
export async function rotateWebhookSecretAction(input: unknown): Promise<ActionResult<{ secret: string }>> {
  return runAction("rotateWebhookSecret", async () => {
    const admin = await requireUser("admin");
    const { endpointId } = endpointIdSchema.parse(input);
    const { secret } = await rotateEndpointSecret(await getDb(), getWebhookSecretKey(), { endpointId, actor: admin.actor });
    revalidatePath(PATH);
    return { secret };
  });
}

/** Admins only: turns an endpoint on or off (queued deliveries wait while it is off). */
export async function setWebhookEndpointEnabledAction(input: unknown): Promise<ActionResult<null>> {
  return runAction("setWebhookEndpointEnabled", async () => {
    const admin = await requireUser("admin");
    const { endpointId, enabled } = endpointIdSchema.extend({ enabled: z.boolean() }).parse(input);
    await setEndpointEnabled(await getDb(), { endpointId, enabled, actor: admin.actor });
    revalidatePath(PATH);
    return null;
  });
}

/** Admins only: deletes an endpoint and its delivery log. */
export async function deleteWebhookEndpointAction(input: unknown): Promise<ActionResult<null>> {
  return runAction("deleteWebhookEndpoint", async () => {
    const admin = await requireUser("admin");
    const { endpointId } = endpointIdSchema.parse(input);
    await deleteEndpoint(await getDb(), { endpointId, actor: admin.actor });
    revalidatePath(PATH);
    return null;
  });
}

/** Admins only: queues a `ping` event for one endpoint. */
export async function sendWebhookTestAction(input: unknown): Promise<ActionResult<{ deliveryId: string }>> {
  return runAction("sendWebhookTest", async () => {
    const admin = await requireUser("admin");
    const { endpointId } = endpointIdSchema.parse(input);
    const { deliveryId } = await sendTestEvent(await getDb(), { endpointId, actor: admin.actor });
    revalidatePath(PATH);
    return { deliveryId };
  });
}

/** Admins only: sends a logged delivery's event to its endpoint again, as a new delivery. */
export async function redeliverWebhookAction(input: unknown): Promise<ActionResult<{ deliveryId: string }>> {
  return runAction("redeliverWebhook", async () => {
    const admin = await requireUser("admin");
    const { deliveryId } = z.object({ deliveryId: z.string().min(1).max(64) }).parse(input);
    const result = await redeliver(await getDb(), { deliveryId, actor: admin.actor });
    revalidatePath(PATH);
    return result;
  });
}
