"use server";

import { revalidatePath } from "next/cache";
import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import { getEnv } from "@/lib/env";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import { decideDuplicateCandidate, duplicateVerdictInputSchema } from "@/lib/review/duplicates";
import type { DecisionOutcome } from "@/lib/review/queue";
import { decideCase, decisionInputSchema, releaseCase, renewClaim } from "@/lib/review/queue";

/** Approve, reject or request resubmission on a case the reviewer holds. */
export async function decideAction(input: unknown): Promise<ActionResult<DecisionOutcome>> {
  return runAction("decide", async () => {
    const user = await requireUser();
    const outcome = await decideCase(await getDb(), { ...decisionInputSchema.parse(input), user });
    revalidatePath("/queue");
    return outcome;
  });
}

/** Keeps the reviewer's lease while the case page stays open. */
export async function renewClaimAction(caseId: string): Promise<ActionResult<{ claimExpiresAt: string }>> {
  return runAction("renewClaim", async () => {
    const user = await requireUser();
    const until = await renewClaim(await getDb(), { user, caseId: String(caseId).slice(0, 64), leaseSeconds: getEnv().VIGIL_CLAIM_LEASE_SECONDS });
    return { claimExpiresAt: until.toISOString() };
  });
}

/** Gives the case back to the queue. */
export async function releaseAction(caseId: string): Promise<ActionResult<null>> {
  return runAction("release", async () => {
    const user = await requireUser();
    await releaseCase(await getDb(), { user, caseId: String(caseId).slice(0, 64) });
    revalidatePath("/queue");
    return null;
  });
}

/** "Same person" / "different person" on one possible duplicate of a case the reviewer holds. */
export async function duplicateVerdictAction(input: unknown): Promise<ActionResult<{ candidateId: string; verdict: "same" | "different"; decidedAt: string }>> {
  return runAction("duplicateVerdict", async () => {
    const user = await requireUser();
    const row = await decideDuplicateCandidate(await getDb(), { ...duplicateVerdictInputSchema.parse(input), user });
    revalidatePath(`/records/${row.verificationId}`);
    return { candidateId: row.id, verdict: row.verdict === "same" ? "same" : "different", decidedAt: (row.decidedAt ?? new Date()).toISOString() };
  });
}
