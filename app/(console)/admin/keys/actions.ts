"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { API_SCOPES, createApiKey, revokeApiKey } from "@/lib/auth/api-keys";
import { requireUser } from "@/lib/auth/guard";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import { appendAudit } from "@/lib/review/audit";

const createKeySchema = z.object({
  projectId: z.string().min(1).max(64),
  name: z.string().trim().min(1, "Name the key (who uses it).").max(80),
  scopes: z.array(z.enum(API_SCOPES)).min(1, "Give the key at least one scope."),
  quota: z.number().int().positive().max(1_000_000_000).nullable(),
});

/** Admins only: a new API key; the secret is returned once and only its hash is stored. */
export async function createKeyAction(input: unknown): Promise<ActionResult<{ secret: string; prefix: string }>> {
  return runAction("createKey", async () => {
    const admin = await requireUser("admin");
    const { projectId, name, scopes, quota } = createKeySchema.parse(input);
    const db = await getDb();
    const { key, secret } = await createApiKey(db, { projectId, name, scopes, quota });
    await db.transaction((tx) => appendAudit(tx, { actor: admin.actor, action: "api_key.created", projectId, after: { keyId: key.id, prefix: key.prefix, name, scopes, quota } }));
    revalidatePath("/admin/keys");
    return { secret, prefix: key.prefix };
  });
}

/** Admins only: revokes a key; requests with it fail from then on. */
export async function revokeKeyAction(input: unknown): Promise<ActionResult<null>> {
  return runAction("revokeKey", async () => {
    const admin = await requireUser("admin");
    const { keyId } = z.object({ keyId: z.string().min(1).max(64) }).parse(input);
    const db = await getDb();
    const key = await revokeApiKey(db, keyId);
    if (key) await db.transaction((tx) => appendAudit(tx, { actor: admin.actor, action: "api_key.revoked", projectId: key.projectId, after: { keyId: key.id, prefix: key.prefix } }));
    revalidatePath("/admin/keys");
    return null;
  });
}
