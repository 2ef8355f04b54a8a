import "server-only";
import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Database, Transaction } from "@/db/client";
import { thresholdPolicies } from "@/db/schema";
import { newId } from "@/lib/ids";

export type Band = "approve" | "review" | "reject";
export type CheckKind = "face_match" | "selfie_liveness" | "document_liveness";
/** What a verification's checks may be: the banded kinds, and the duplicate check against enrolled persons (banded by face_match). */
export type VerificationCheck = CheckKind | "duplicate";

/** A score at or above `approve` approves; at or above `review` goes to review; below rejects. */
export const bandLimitsSchema = z
  .object({ approve: z.number().min(0).max(1), review: z.number().min(0).max(1) })
  .refine((b) => b.review <= b.approve, { message: "review must not exceed approve" });

export const policyBandsSchema = z.object({
  face_match: bandLimitsSchema,
  selfie_liveness: bandLimitsSchema,
  document_liveness: bandLimitsSchema,
});
export type PolicyBands = z.infer<typeof policyBandsSchema>;

/**
 * Defaults (issue #3). Face match on cosine similarity, calibrated on faces-dev (lowest
 * genuine 0.51, highest impostor 0.47). Document liveness follows the vendor's documented
 * default threshold 0.25 with 0.25-0.5 sent to manual review.
 */
export const DEFAULT_BANDS: PolicyBands = {
  face_match: { approve: 0.55, review: 0.4 },
  selfie_liveness: { approve: 0.6, review: 0.4 },
  document_liveness: { approve: 0.5, review: 0.25 },
};

export function bandFor(score: number, limits: { approve: number; review: number }): Band {
  if (score >= limits.approve) return "approve";
  if (score >= limits.review) return "review";
  return "reject";
}

export interface ActivePolicy {
  version: number;
  bands: PolicyBands;
}

/** The project's active (highest-version) policy. */
export async function getActivePolicy(db: Database | Transaction, projectId: string): Promise<ActivePolicy> {
  const [row] = await db
    .select({ version: thresholdPolicies.version, bands: thresholdPolicies.bands })
    .from(thresholdPolicies)
    .where(eq(thresholdPolicies.projectId, projectId))
    .orderBy(desc(thresholdPolicies.version))
    .limit(1);
  if (!row) return { version: 0, bands: DEFAULT_BANDS };
  return { version: row.version, bands: policyBandsSchema.parse(row.bands) };
}

/** Writes version 1 of a new project's policy: the defaults. */
export async function createInitialPolicy(db: Database | Transaction, projectId: string, author: string): Promise<void> {
  await db.insert(thresholdPolicies).values({ id: newId("pol"), projectId, version: 1, bands: DEFAULT_BANDS, reason: "Initial defaults", author });
}

/**
 * The bands of one version of a project's policy: what a stored verification was decided
 * under (`policyVersion`). Version 0 is the defaults a project without policy rows runs on.
 */
export async function getPolicyVersion(db: Database | Transaction, projectId: string, version: number): Promise<ActivePolicy> {
  if (version === 0) return { version: 0, bands: DEFAULT_BANDS };
  const [row] = await db
    .select({ version: thresholdPolicies.version, bands: thresholdPolicies.bands })
    .from(thresholdPolicies)
    .where(and(eq(thresholdPolicies.projectId, projectId), eq(thresholdPolicies.version, version)))
    .limit(1);
  if (!row) throw new Error(`policy version ${version} of project ${projectId} is missing`);
  return { version: row.version, bands: policyBandsSchema.parse(row.bands) };
}
