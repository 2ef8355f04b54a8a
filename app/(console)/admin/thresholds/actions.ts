"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import type { BacktestResult } from "@/lib/thresholds/backtest";
import { backtestPolicy, backtestWindowSchema } from "@/lib/thresholds/backtest";
import { rollbackPolicy, savePolicy } from "@/lib/thresholds/policies";

const projectIdSchema = z.string().min(1).max(64);
const versionSchema = z.number().int().min(0).max(1_000_000);

/** Bands, reasons and versions are validated by lib/thresholds, which answers with their field. */
const backtestSchema = z.object({ projectId: projectIdSchema, bands: z.unknown(), days: backtestWindowSchema });
const saveSchema = z.object({ projectId: projectIdSchema, bands: z.unknown(), reason: z.unknown(), baseVersion: versionSchema });
const rollbackSchema = z.object({ projectId: projectIdSchema, toVersion: versionSchema, reason: z.unknown(), baseVersion: versionSchema });

/** Admins only: what proposed bands would have done to the project's past verifications. Writes nothing. */
export async function backtestThresholdsAction(input: unknown): Promise<ActionResult<BacktestResult>> {
  return runAction("backtestThresholds", async () => {
    await requireUser("admin");
    const { projectId, bands, days } = backtestSchema.parse(input);
    return backtestPolicy(await getDb(), { projectId, bands, days });
  });
}

/** Admins only: saves the bands as the project's next policy version, with the admin as author. */
export async function saveThresholdsAction(input: unknown): Promise<ActionResult<{ version: number }>> {
  return runAction("saveThresholds", async () => {
    const admin = await requireUser("admin");
    const { projectId, bands, reason, baseVersion } = saveSchema.parse(input);
    const saved = await savePolicy(await getDb(), { projectId, bands, reason, baseVersion, author: admin.actor });
    revalidatePath("/admin/thresholds");
    return { version: saved.version };
  });
}

/** Admins only: makes an earlier version's bands the next version (history is kept). */
export async function rollbackThresholdsAction(input: unknown): Promise<ActionResult<{ version: number }>> {
  return runAction("rollbackThresholds", async () => {
    const admin = await requireUser("admin");
    const { projectId, toVersion, reason, baseVersion } = rollbackSchema.parse(input);
    const saved = await rollbackPolicy(await getDb(), { projectId, toVersion, reason, baseVersion, author: admin.actor });
    revalidatePath("/admin/thresholds");
    return { version: saved.version };
  });
}
