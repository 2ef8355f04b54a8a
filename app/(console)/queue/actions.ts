"use server";

import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import { getEnv } from "@/lib/env";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import { claimNextCase, queueFiltersSchema } from "@/lib/review/queue";

/**
 * "Next case": claims the next case for the signed-in reviewer (the one they hold, else the
 * highest-priority oldest). `skipCaseId` passes over the case on screen. Null when the queue is empty.
 */
export async function claimNextAction(input: { filters?: unknown; skipCaseId?: string }): Promise<ActionResult<{ caseId: string | null }>> {
  return runAction("claimNext", async () => {
    const user = await requireUser();
    const filters = queueFiltersSchema.parse(input.filters ?? {});
    const skipCaseId = typeof input.skipCaseId === "string" ? input.skipCaseId.slice(0, 64) : undefined;
    const claimed = await claimNextCase(await getDb(), { user, leaseSeconds: getEnv().VIGIL_CLAIM_LEASE_SECONDS, filters, skipCaseId });
    return { caseId: claimed?.id ?? null };
  });
}
