import "server-only";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { duplicateCandidates, reviewCases } from "@/db/schema";
import type { ConsoleUser } from "@/lib/auth/users";
import { AppError } from "@/lib/errors";
import type { DuplicateCandidateRow } from "@/lib/search/duplicates";
import { recordDuplicateVerdict } from "@/lib/search/duplicates";
import { assertHoldsCase } from "./queue";

export const duplicateVerdictInputSchema = z.object({
  caseId: z.string().min(1).max(64),
  candidateId: z.string().min(1).max(64),
  verdict: z.enum(["same", "different"]),
});
export type DuplicateVerdictInput = z.infer<typeof duplicateVerdictInputSchema>;

/**
 * A reviewer's verdict on one possible duplicate of the case's verification: same person or
 * different person. Like a decision, it needs the case held by `user`; the case row stays
 * locked until the verdict and its audit event are written, so a reviewer whose lease was just
 * taken over cannot slip one in. The case still needs its own decision afterwards.
 */
export async function decideDuplicateCandidate(db: Database, input: DuplicateVerdictInput & { user: ConsoleUser }): Promise<DuplicateCandidateRow> {
  return db.transaction(async (tx) => {
    const [c] = await tx.select().from(reviewCases).where(eq(reviewCases.id, input.caseId)).for("update").limit(1);
    if (!c) throw new AppError("NOT_FOUND", "No such case.");
    assertHoldsCase(c, input.user);
    const [candidate] = await tx.select({ verificationId: duplicateCandidates.verificationId }).from(duplicateCandidates).where(eq(duplicateCandidates.id, input.candidateId)).limit(1);
    if (!candidate || candidate.verificationId !== c.verificationId) throw new AppError("NOT_FOUND", "No such duplicate candidate on this case.");
    return recordDuplicateVerdict(tx, { candidateId: input.candidateId, verdict: input.verdict, actor: input.user.actor, projectIds: [c.projectId] });
  });
}
