"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import type { ErasureResult } from "@/lib/retention/erase";
import { eraseSubject, findSubject, subjectSelectorSchema } from "@/lib/retention/erase";
import { retentionDaysSchema, setImageRetentionDays } from "@/lib/retention/settings";
import { getImageStore } from "@/lib/storage";

const retentionSchema = z.object({ projectId: z.string().min(1).max(64), days: retentionDaysSchema });

/** Admins only: how many days a project's images are kept (1-3650), with a retention.changed audit event. */
export async function setRetentionDaysAction(input: unknown): Promise<ActionResult<{ before: number; after: number }>> {
  return runAction("setRetentionDays", async () => {
    const admin = await requireUser("admin");
    const { projectId, days } = retentionSchema.parse(input);
    const changed = await setImageRetentionDays(await getDb(), { projectId, days, actor: admin.actor });
    revalidatePath("/admin/retention");
    return changed;
  });
}

export interface ErasurePreview {
  verifications: number;
  images: number;
  storedImages: number;
  sample: Array<{ id: string; createdAt: string; status: string }>;
}

/** Admins only: the confirmation step of an erasure, what it would remove. Changes nothing. */
export async function previewErasureAction(input: unknown): Promise<ActionResult<ErasurePreview>> {
  return runAction("previewErasure", async () => {
    await requireUser("admin");
    const found = await findSubject(await getDb(), subjectSelectorSchema.parse(input));
    return { ...found, sample: found.sample.map((v) => ({ id: v.id, status: v.status, createdAt: v.createdAt.toISOString() })) };
  });
}

/** Admins only: erases a subject's images, face data and gallery entries; the admin is the audit event's actor. */
export async function eraseSubjectAction(input: unknown): Promise<ActionResult<ErasureResult>> {
  return runAction("eraseSubject", async () => {
    const admin = await requireUser("admin");
    const selector = subjectSelectorSchema.parse(input);
    const result = await eraseSubject(await getDb(), getImageStore(), { ...selector, actor: admin.actor });
    revalidatePath("/admin/retention");
    return result;
  });
}
