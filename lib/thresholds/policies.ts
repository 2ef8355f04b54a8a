import "server-only";
import { and, asc, count, desc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Database, Transaction } from "@/db/client";
import { isUniqueViolation } from "@/db/errors";
import { projects, thresholdPolicies, verifications } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import { appendAudit } from "@/lib/review/audit";
import type { CheckKind, PolicyBands } from "@/lib/verification/policy";
import { DEFAULT_BANDS, policyBandsSchema } from "@/lib/verification/policy";

/**
 * The checks a policy bands, in the order the console lists them. Taken from the schema, so a
 * check added to `policyBandsSchema` (1:N duplicates) appears in the editor and the backtest.
 */
export const POLICY_CHECKS = Object.keys(policyBandsSchema.shape) as CheckKind[];

/** Why the bands change: required, shown in the version history and the audit trail. */
export const policyReasonSchema = z.string().trim().min(1, "Say why the thresholds change.").max(500, "Keep the reason under 500 characters.");

/** One stored version of a project's policy, as the history lists it. */
export interface PolicyVersion {
  version: number;
  bands: PolicyBands;
  reason: string;
  /** user:<id> (or system for the initial defaults), as in the audit trail. */
  author: string;
  createdAt: Date;
  /** The highest version: what new verifications are decided under. */
  active: boolean;
  /** The latest earlier version with exactly these bands (what a rollback restored), else null. */
  sameBandsAs: number | null;
  /** Verifications stored with this `policyVersion`. */
  verifications: number;
}

export interface SavePolicyInput {
  projectId: string;
  bands: unknown;
  reason: unknown;
  /** Who changes it: user:<id>; becomes the version's author and the audit event's actor. */
  author: string;
  /**
   * The active version the caller looked at (and backtested against). When another change
   * landed in between, the save is refused instead of silently stacking on top of it.
   */
  baseVersion?: number;
}

export interface RollbackPolicyInput {
  projectId: string;
  toVersion: number;
  reason: unknown;
  author: string;
  baseVersion?: number;
}

function sameBands(a: PolicyBands, b: PolicyBands): boolean {
  return POLICY_CHECKS.every((check) => a[check].approve === b[check].approve && a[check].review === b[check].review);
}

function parseReason(reason: unknown): string {
  const parsed = policyReasonSchema.safeParse(reason ?? "");
  if (!parsed.success) {
    const empty = typeof reason !== "string" || reason.trim() === "";
    throw new AppError(empty ? "REASON_REQUIRED" : "INVALID_REQUEST", parsed.error.issues[0].message, { field: "reason" });
  }
  return parsed.data;
}

/** Bands from a caller: each check's approve and review limits in 0..1, review at most approve. */
export function parseBands(bands: unknown): PolicyBands {
  const parsed = policyBandsSchema.safeParse(bands);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join(".");
    throw new AppError("INVALID_REQUEST", `${field ? `${field}: ` : ""}${issue.message}`, { field: field || "bands" });
  }
  return parsed.data;
}

interface NewVersion {
  projectId: string;
  author: string;
  reason: string;
  baseVersion?: number;
  /** The new bands, given the active version (read under the project lock). */
  bandsFor: (tx: Transaction, active: { version: number; bands: PolicyBands }) => Promise<PolicyBands>;
  /** Set for a rollback: the version whose bands are restored. */
  rollbackOf?: number;
}

/**
 * Writes the next version of a project's policy and its `policy.changed` audit event in one
 * transaction. Saves for one project are serialised by a row lock on the project (FOR NO KEY
 * UPDATE, which does not block verifications referencing it), so each reads the true
 * highest version; the unique (project, version) index backs this up, and a conflict from a
 * writer that skipped the lock is retried.
 */
async function appendVersion(db: Database, input: NewVersion): Promise<PolicyVersion> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const [project] = await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, input.projectId)).for("no key update").limit(1);
        if (!project) throw new AppError("NOT_FOUND", "No such project.");
        const [latest] = await tx
          .select({ version: thresholdPolicies.version, bands: thresholdPolicies.bands })
          .from(thresholdPolicies)
          .where(eq(thresholdPolicies.projectId, input.projectId))
          .orderBy(desc(thresholdPolicies.version))
          .limit(1);
        const active = latest ? { version: latest.version, bands: policyBandsSchema.parse(latest.bands) } : { version: 0, bands: DEFAULT_BANDS };
        if (input.baseVersion !== undefined && input.baseVersion !== active.version) {
          throw new AppError("INVALID_REQUEST", `The policy changed while you edited it: v${active.version} is now active. Reload the page and run the backtest again.`, {
            field: "baseVersion",
            activeVersion: active.version,
          });
        }
        const bands = await input.bandsFor(tx, active);
        if (sameBands(bands, active.bands)) {
          throw new AppError("INVALID_REQUEST", `These are already the bands of the active policy v${active.version}: nothing to save.`, { field: "bands" });
        }
        const version = active.version + 1;
        const [row] = await tx
          .insert(thresholdPolicies)
          .values({ id: newId("pol"), projectId: input.projectId, version, bands, reason: input.reason, author: input.author })
          .returning();
        await appendAudit(tx, {
          actor: input.author,
          action: "policy.changed",
          projectId: input.projectId,
          before: { version: active.version, bands: active.bands },
          after: { version, bands, reason: input.reason, rollbackOf: input.rollbackOf },
        });
        return { version, bands, reason: row.reason, author: row.author, createdAt: row.createdAt, active: true, sameBandsAs: input.rollbackOf ?? null, verifications: 0 };
      });
    } catch (error) {
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

/**
 * Saves new bands as the project's next policy version (max + 1) with the author and a
 * required reason. Verifications made from then on are decided under it; stored ones keep
 * the version, bands and status they were decided with.
 */
export async function savePolicy(db: Database, input: SavePolicyInput): Promise<PolicyVersion> {
  const reason = parseReason(input.reason);
  const bands = parseBands(input.bands);
  return appendVersion(db, { projectId: input.projectId, author: input.author, reason, baseVersion: input.baseVersion, bandsFor: async () => bands });
}

/**
 * Restores the bands of an earlier version as a new version: history is never rewritten, so a
 * rollback is itself a change with an author and a reason.
 */
export async function rollbackPolicy(db: Database, input: RollbackPolicyInput): Promise<PolicyVersion> {
  const reason = parseReason(input.reason);
  if (!Number.isInteger(input.toVersion) || input.toVersion < 1) throw new AppError("INVALID_REQUEST", "Choose a version to roll back to.", { field: "toVersion" });
  return appendVersion(db, {
    projectId: input.projectId,
    author: input.author,
    reason,
    baseVersion: input.baseVersion,
    rollbackOf: input.toVersion,
    bandsFor: async (tx, active) => {
      if (input.toVersion === active.version) throw new AppError("INVALID_REQUEST", `v${input.toVersion} is the active version already.`, { field: "toVersion" });
      const [target] = await tx
        .select({ bands: thresholdPolicies.bands })
        .from(thresholdPolicies)
        .where(and(eq(thresholdPolicies.projectId, input.projectId), eq(thresholdPolicies.version, input.toVersion)))
        .limit(1);
      if (!target) throw new AppError("NOT_FOUND", `This project has no policy v${input.toVersion}.`, { field: "toVersion" });
      return policyBandsSchema.parse(target.bands);
    },
  });
}

/** Every version of a project's policy, newest first, with how many verifications each decided. */
export async function listPolicyVersions(db: Database, projectId: string): Promise<PolicyVersion[]> {
  const [rows, used] = await Promise.all([
    db.select().from(thresholdPolicies).where(eq(thresholdPolicies.projectId, projectId)).orderBy(asc(thresholdPolicies.version)),
    db
      .select({ version: verifications.policyVersion, n: count() })
      .from(verifications)
      .where(eq(verifications.projectId, projectId))
      .groupBy(verifications.policyVersion),
  ]);
  const versions = rows.map((row, i): PolicyVersion => {
    const bands = policyBandsSchema.parse(row.bands);
    let sameBandsAs: number | null = null;
    for (let j = i - 1; j >= 0 && sameBandsAs === null; j--) {
      if (sameBands(policyBandsSchema.parse(rows[j].bands), bands)) sameBandsAs = rows[j].version;
    }
    return {
      version: row.version,
      bands,
      reason: row.reason,
      author: row.author,
      createdAt: row.createdAt,
      active: i === rows.length - 1,
      sameBandsAs,
      verifications: used.find((u) => u.version === row.version)?.n ?? 0,
    };
  });
  return versions.reverse();
}

/** Projects an admin can tune, oldest first (the first-run `demo` project leads). */
export async function listPolicyProjects(db: Database): Promise<Array<{ id: string; slug: string; name: string }>> {
  return db.select({ id: projects.id, slug: projects.slug, name: projects.name }).from(projects).orderBy(asc(projects.createdAt), asc(projects.slug));
}
