import "server-only";
import { and, arrayContains, asc, count, desc, eq, getTableColumns, gt, inArray, isNull, lt, min, ne, or, sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database, Transaction } from "@/db/client";
import { projects, reviewCases, users, verifications } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import type { ConsoleUser } from "@/lib/auth/users";
import type { Band, VerificationCheck } from "@/lib/verification/policy";
import type { CheckResult, VerificationStatus } from "@/lib/verification/service";
import { enqueueEvent, reviewDecidedEvent } from "@/lib/webhooks";
import { appendAudit } from "./audit";
import type { Decision } from "./reasons";
import { reasonCodesOf } from "./reasons";

export type CaseRow = typeof reviewCases.$inferSelect;

export const queueFiltersSchema = z.object({
  check: z.enum(["face_match", "selfie_liveness", "document_liveness", "duplicate", "reopened"]).optional(),
  projectId: z.string().max(64).optional(),
  band: z.enum(["review", "reject"]).optional(),
  /** Only cases waiting at least this many hours. */
  minAgeHours: z.coerce.number().min(0).max(24 * 365).optional(),
});
export type QueueFilters = z.infer<typeof queueFiltersSchema>;

/** Cases anyone may take now: open, or claimed with a lapsed lease. */
function claimable(): SQL {
  return or(eq(reviewCases.status, "open"), and(eq(reviewCases.status, "claimed"), lt(reviewCases.claimExpiresAt, sql`now()`)))!;
}

function filterConditions(filters: QueueFilters): SQL[] {
  const conditions: SQL[] = [];
  if (filters.projectId) conditions.push(eq(reviewCases.projectId, filters.projectId));
  if (filters.check) conditions.push(arrayContains(reviewCases.reasons, [filters.check]));
  if (filters.band) conditions.push(eq(verifications.band, filters.band));
  if (filters.minAgeHours !== undefined) conditions.push(lt(reviewCases.createdAt, sql`now() - make_interval(secs => ${filters.minAgeHours * 3600})`));
  return conditions;
}

export interface QueueItem {
  caseId: string;
  verificationId: string;
  project: { id: string; slug: string; name: string };
  type: string;
  band: Band | null;
  reasons: string[];
  stage: "decision" | "confirmation";
  /** open, or claimed by someone whose lease has not lapsed. */
  state: "open" | "claimed";
  claimedBy: string | null;
  claimExpiresAt: Date | null;
  priority: number;
  createdAt: Date;
  /** The project's SLA has passed while the case waited. */
  overdue: boolean;
  checks: Array<{ check: VerificationCheck; score: number | null; band: Band | null }>;
  externalRef: string | null;
}

/**
 * Undecided cases, in the order "Next case" takes them (priority, then oldest), with who holds
 * each. At most `limit` rows; the summary gives the full counts.
 */
export async function listQueue(db: Database, filters: QueueFilters = {}, limit = 200): Promise<QueueItem[]> {
  const rows = await db
    .select({ c: reviewCases, v: { type: verifications.type, band: verifications.band, checks: verifications.checks, externalRef: verifications.externalRef }, p: { id: projects.id, slug: projects.slug, name: projects.name, slaHours: projects.reviewSlaHours }, now: sql<Date>`now()` })
    .from(reviewCases)
    .innerJoin(verifications, eq(verifications.id, reviewCases.verificationId))
    .innerJoin(projects, eq(projects.id, reviewCases.projectId))
    .where(and(ne(reviewCases.status, "decided"), ...filterConditions(filters)))
    .orderBy(desc(reviewCases.priority), asc(reviewCases.createdAt))
    .limit(limit);
  return rows.map(({ c, v, p, now }) => {
    const nowMs = new Date(now).getTime();
    const held = c.status === "claimed" && c.claimExpiresAt !== null && c.claimExpiresAt.getTime() > nowMs;
    return {
      caseId: c.id,
      verificationId: c.verificationId,
      project: { id: p.id, slug: p.slug, name: p.name },
      type: v.type,
      band: v.band as Band | null,
      reasons: c.reasons,
      stage: c.stage as QueueItem["stage"],
      state: held ? "claimed" : "open",
      claimedBy: held ? c.claimedBy : null,
      claimExpiresAt: held ? c.claimExpiresAt : null,
      priority: c.priority,
      createdAt: c.createdAt,
      overdue: nowMs - c.createdAt.getTime() > p.slaHours * 3_600_000,
      checks: (v.checks as CheckResult[]).map((k) => ({ check: k.check, score: k.score, band: k.band })),
      externalRef: v.externalRef,
    };
  });
}

export interface QueueSummary {
  /** Undecided cases matching the filters. */
  waiting: number;
  /** Of those, held by a reviewer right now. */
  claimed: number;
  /** Of those, waiting for a second reviewer's confirmation. */
  awaitingConfirmation: number;
  /** Of those, past their project's SLA. */
  overdue: number;
  /** When the oldest undecided case was opened. */
  oldestSince: Date | null;
  /** Cases decided in the last 24 hours. */
  decidedToday: number;
}

export async function queueSummary(db: Database, filters: QueueFilters = {}): Promise<QueueSummary> {
  const where = and(ne(reviewCases.status, "decided"), ...filterConditions(filters));
  const [row] = await db
    .select({
      waiting: count(),
      claimed: sql<number>`count(*) filter (where ${reviewCases.status} = 'claimed' and ${reviewCases.claimExpiresAt} > now())`.mapWith(Number),
      awaitingConfirmation: sql<number>`count(*) filter (where ${reviewCases.stage} = 'confirmation')`.mapWith(Number),
      overdue: sql<number>`count(*) filter (where ${reviewCases.createdAt} < now() - make_interval(hours => ${projects.reviewSlaHours}))`.mapWith(Number),
      oldestSince: min(reviewCases.createdAt),
    })
    .from(reviewCases)
    .innerJoin(verifications, eq(verifications.id, reviewCases.verificationId))
    .innerJoin(projects, eq(projects.id, reviewCases.projectId))
    .where(where);
  const [decided] = await db
    .select({ n: count() })
    .from(reviewCases)
    .innerJoin(verifications, eq(verifications.id, reviewCases.verificationId))
    .where(and(eq(reviewCases.status, "decided"), gt(reviewCases.decidedAt, sql`now() - interval '24 hours'`), ...filterConditions(filters)));
  return { ...row, oldestSince: row.oldestSince ? new Date(row.oldestSince) : null, decidedToday: decided.n };
}

function leaseEnd(leaseSeconds: number): SQL {
  return sql`now() + make_interval(secs => ${leaseSeconds})`;
}

/**
 * Takes the next case for `user`: the one they already hold (renewed), else the
 * highest-priority, oldest claimable case. The claim is one UPDATE whose target row is picked
 * with FOR UPDATE SKIP LOCKED, so concurrent reviewers, on any number of instances, never get
 * the same case. A case in the confirmation stage is never offered to the reviewer who
 * proposed its decision. Returns null when nothing is waiting.
 */
export async function claimNextCase(
  db: Database,
  input: { user: ConsoleUser; leaseSeconds: number; filters?: QueueFilters; skipCaseId?: string },
): Promise<CaseRow | null> {
  const { user, leaseSeconds } = input;
  return db.transaction(async (tx) => {
    const held = await tx
      .update(reviewCases)
      .set({ claimExpiresAt: leaseEnd(leaseSeconds) })
      .where(
        and(
          eq(reviewCases.status, "claimed"),
          eq(reviewCases.claimedBy, user.actor),
          gt(reviewCases.claimExpiresAt, sql`now()`),
          input.skipCaseId ? ne(reviewCases.id, input.skipCaseId) : undefined,
        ),
      )
      .returning();
    if (held.length > 0) return held[0];

    const filters = input.filters ?? {};
    // Locked in a sub-select so the UPDATE can also report who held a lapsed lease before.
    const picked = tx
      .select({ pickedId: reviewCases.id, previousHolder: reviewCases.claimedBy })
      .from(reviewCases)
      .innerJoin(verifications, eq(verifications.id, reviewCases.verificationId))
      .where(
        and(
          claimable(),
          or(eq(reviewCases.stage, "decision"), isNull(reviewCases.decidedBy), ne(reviewCases.decidedBy, user.actor)),
          input.skipCaseId ? ne(reviewCases.id, input.skipCaseId) : undefined,
          ...filterConditions(filters),
        ),
      )
      .orderBy(desc(reviewCases.priority), asc(reviewCases.createdAt))
      .limit(1)
      .for("update", { of: reviewCases, skipLocked: true })
      .as("picked");
    const [claimed] = await tx
      .update(reviewCases)
      .set({ status: "claimed", claimedBy: user.actor, claimedAt: sql`now()`, claimExpiresAt: leaseEnd(leaseSeconds) })
      .from(picked)
      .where(eq(reviewCases.id, picked.pickedId))
      .returning({ ...getTableColumns(reviewCases), previousHolder: picked.previousHolder });
    if (!claimed) return null;
    const { previousHolder, ...row } = claimed;
    await appendAudit(tx, {
      actor: user.actor,
      action: "case.claimed",
      projectId: row.projectId,
      verificationId: row.verificationId,
      caseId: row.id,
      after: { claimExpiresAt: row.claimExpiresAt?.toISOString(), stage: row.stage, lapsedLeaseOf: previousHolder ?? undefined },
    });
    return row;
  });
}

/**
 * Claims one named case for `user` if nobody holds it (a reviewer opening a case from the
 * queue list), or renews their own claim. Returns the case as it is after the attempt:
 * claimed by someone else or decided means the caller shows it read-only.
 */
export async function claimCase(db: Database, input: { user: ConsoleUser; caseId: string; leaseSeconds: number }): Promise<CaseRow> {
  const { user, caseId, leaseSeconds } = input;
  return db.transaction(async (tx) => {
    const [renewed] = await tx
      .update(reviewCases)
      .set({ claimExpiresAt: leaseEnd(leaseSeconds) })
      .where(and(eq(reviewCases.id, caseId), eq(reviewCases.status, "claimed"), eq(reviewCases.claimedBy, user.actor)))
      .returning();
    if (renewed) return renewed;
    const [claimed] = await tx
      .update(reviewCases)
      .set({ status: "claimed", claimedBy: user.actor, claimedAt: sql`now()`, claimExpiresAt: leaseEnd(leaseSeconds) })
      .where(
        and(
          eq(reviewCases.id, caseId),
          claimable(),
          or(eq(reviewCases.stage, "decision"), isNull(reviewCases.decidedBy), ne(reviewCases.decidedBy, user.actor)),
        ),
      )
      .returning();
    if (claimed) {
      await appendAudit(tx, { actor: user.actor, action: "case.claimed", projectId: claimed.projectId, verificationId: claimed.verificationId, caseId, after: { claimExpiresAt: claimed.claimExpiresAt?.toISOString(), stage: claimed.stage } });
      return claimed;
    }
    const [current] = await tx.select().from(reviewCases).where(eq(reviewCases.id, caseId)).limit(1);
    if (!current) throw new AppError("NOT_FOUND", "No such case.");
    return current;
  });
}

/**
 * Extends `user`'s lease on a case they hold (the case page does this while it is open).
 * CASE_NOT_CLAIMED when the lease lapsed and another reviewer took the case.
 */
export async function renewClaim(db: Database, input: { user: ConsoleUser; caseId: string; leaseSeconds: number }): Promise<Date> {
  const [row] = await db
    .update(reviewCases)
    .set({ claimExpiresAt: leaseEnd(input.leaseSeconds) })
    .where(and(eq(reviewCases.id, input.caseId), eq(reviewCases.status, "claimed"), eq(reviewCases.claimedBy, input.user.actor)))
    .returning({ claimExpiresAt: reviewCases.claimExpiresAt });
  if (!row?.claimExpiresAt) throw new AppError("CASE_NOT_CLAIMED", "You no longer hold this case: its lease lapsed and it went back to the queue.");
  return row.claimExpiresAt;
}

/** Puts a case `user` holds back in the queue. */
export async function releaseCase(db: Database, input: { user: ConsoleUser; caseId: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(reviewCases)
      .set({ status: "open", claimedBy: null, claimedAt: null, claimExpiresAt: null })
      .where(and(eq(reviewCases.id, input.caseId), eq(reviewCases.status, "claimed"), eq(reviewCases.claimedBy, input.user.actor)))
      .returning();
    if (!row) return;
    await appendAudit(tx, { actor: input.user.actor, action: "case.released", projectId: row.projectId, verificationId: row.verificationId, caseId: row.id });
  });
}

/**
 * Throws unless `user` holds the case: CASE_ALREADY_DECIDED once decided, CASE_NOT_CLAIMED when
 * it is open or someone else's. Callers read the row `FOR UPDATE`, so a lapsed lease still
 * counts until another reviewer actually takes the case.
 */
export function assertHoldsCase(c: Pick<CaseRow, "status" | "claimedBy">, user: ConsoleUser): void {
  if (c.status === "decided") throw new AppError("CASE_ALREADY_DECIDED", "This case was already decided.");
  if (c.status !== "claimed" || c.claimedBy !== user.actor) {
    throw new AppError("CASE_NOT_CLAIMED", "You do not hold this case. Take it from the queue first.");
  }
}

export const decisionInputSchema = z.object({
  caseId: z.string().min(1).max(64),
  decision: z.enum(["approve", "reject", "resubmit"]),
  reasonCode: z.string().max(40).optional().nullable(),
  note: z.string().trim().max(2000).optional().nullable(),
});
export type DecisionInput = z.infer<typeof decisionInputSchema>;

const finalStatus: Record<Decision, VerificationStatus> = { approve: "approved", reject: "rejected", resubmit: "resubmission_requested" };

export interface DecisionOutcome {
  caseId: string;
  /** decided: final; awaiting_confirmation: an overturned automatic reject waits for a second reviewer. */
  outcome: "decided" | "awaiting_confirmation";
  verificationStatus: VerificationStatus;
}

/**
 * Records a reviewer's decision on a case they hold, with the verification's new status and
 * an audit event, in one transaction on the locked case row.
 *
 * Four eyes: approving a verification the automatic checks rejected does not take effect; it
 * becomes a proposal that a second, different reviewer confirms (approve) or turns down
 * (reject). A reject needs a reason code from the project's list.
 */
export async function decideCase(db: Database, input: DecisionInput & { user: ConsoleUser }): Promise<DecisionOutcome> {
  const { user } = input;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ c: reviewCases, v: { status: verifications.status, band: verifications.band }, reasonCodes: projects.reasonCodes })
      .from(reviewCases)
      .innerJoin(verifications, eq(verifications.id, reviewCases.verificationId))
      .innerJoin(projects, eq(projects.id, reviewCases.projectId))
      .where(eq(reviewCases.id, input.caseId))
      .for("update", { of: reviewCases })
      .limit(1);
    if (!row) throw new AppError("NOT_FOUND", "No such case.");
    const c = row.c;
    // A lapsed lease still counts while nobody else has taken the case: the row lock above
    // keeps a concurrent claim waiting until this decision commits.
    assertHoldsCase(c, user);
    const reasonCode = input.reasonCode || null;
    const codes = reasonCodesOf(row.reasonCodes);
    if (reasonCode && !codes.some((r) => r.code === reasonCode)) throw new AppError("INVALID_REQUEST", `Unknown reason code "${reasonCode}".`, { field: "reasonCode" });
    if (input.decision === "reject" && !reasonCode) throw new AppError("REASON_REQUIRED", "Choose a reason to reject.", { field: "reasonCode" });
    const note = input.note || null;
    const before = { caseStatus: c.status, stage: c.stage, verificationStatus: row.v.status, decision: c.decision, decidedBy: c.decidedBy };
    const base = { projectId: c.projectId, verificationId: c.verificationId, caseId: c.id };

    if (c.stage === "confirmation" && c.decidedBy === user.actor) {
      throw new AppError("SAME_REVIEWER", "You proposed this decision; a different reviewer must confirm it.");
    }
    if (c.stage === "decision" && input.decision === "approve" && row.v.band === "reject") {
      await tx
        .update(reviewCases)
        .set({ stage: "confirmation", status: "open", decision: "approve", reasonCode, note, decidedBy: user.actor, claimedBy: null, claimedAt: null, claimExpiresAt: null, priority: c.priority + 10 })
        .where(eq(reviewCases.id, c.id));
      await appendAudit(tx, { actor: user.actor, action: "case.approval_proposed", ...base, before, after: { stage: "confirmation", decision: "approve", reasonCode, note } });
      return { caseId: c.id, outcome: "awaiting_confirmation", verificationStatus: row.v.status as VerificationStatus };
    }

    const confirming = c.stage === "confirmation";
    const status = finalStatus[input.decision];
    await tx
      .update(reviewCases)
      .set({
        status: "decided",
        decision: input.decision,
        reasonCode,
        note,
        // In confirmation, the first reviewer stays the decider when confirmed; a turned-down
        // proposal is the second reviewer's decision.
        decidedBy: confirming && input.decision === "approve" ? c.decidedBy : user.actor,
        confirmedBy: confirming ? user.actor : null,
        claimExpiresAt: null,
        decidedAt: sql`now()`,
      })
      .where(eq(reviewCases.id, c.id));
    await tx.update(verifications).set({ status, decidedAt: sql`now()` }).where(eq(verifications.id, c.verificationId));
    await enqueueEvent(tx, await reviewDecidedEvent(tx, c.id));
    const action = !confirming ? "case.decided" : input.decision === "approve" ? "case.approval_confirmed" : "case.approval_declined";
    await appendAudit(tx, { actor: user.actor, action, ...base, before, after: { caseStatus: "decided", decision: input.decision, reasonCode, note, verificationStatus: status, proposedBy: confirming ? c.decidedBy : undefined } });
    return { caseId: c.id, outcome: "decided", verificationStatus: status };
  });
}

/**
 * Sends a decided verification back to review (an appeal, or fraud found later). The case row
 * is reused: earlier decisions stay in the audit trail. Approving a verification the checks
 * rejected will then need a second reviewer.
 */
export async function reopenVerification(db: Database, input: { user: ConsoleUser; verificationId: string; note: string }): Promise<string> {
  const note = input.note.trim();
  if (!note) throw new AppError("INVALID_REQUEST", "Say why the verification is reopened.", { field: "note" });
  return db.transaction(async (tx: Transaction) => {
    const [v] = await tx.select().from(verifications).where(eq(verifications.id, input.verificationId)).for("update").limit(1);
    if (!v) throw new AppError("NOT_FOUND", "No such verification.");
    if (v.status === "in_review") throw new AppError("INVALID_REQUEST", "This verification is already in review.");
    const [existing] = await tx.select().from(reviewCases).where(eq(reviewCases.verificationId, v.id)).limit(1);
    const fields = { status: "open", stage: "decision", reasons: ["reopened"], priority: 1, claimedBy: null, claimedAt: null, claimExpiresAt: null, decision: null, reasonCode: null, note, decidedBy: null, confirmedBy: null, decidedAt: null };
    let caseId: string;
    if (existing) {
      caseId = existing.id;
      await tx.update(reviewCases).set({ ...fields, createdAt: sql`now()` }).where(eq(reviewCases.id, caseId));
    } else {
      caseId = newId("case");
      await tx.insert(reviewCases).values({ id: caseId, verificationId: v.id, projectId: v.projectId, ...fields });
    }
    await tx.update(verifications).set({ status: "in_review", decidedAt: null }).where(eq(verifications.id, v.id));
    await appendAudit(tx, { actor: input.user.actor, action: "case.reopened", projectId: v.projectId, verificationId: v.id, caseId, before: { verificationStatus: v.status }, after: { verificationStatus: "in_review", note } });
    return caseId;
  });
}

/** E-mail addresses for `user:<id>` actors, for showing who claimed or decided. */
export async function actorNames(db: Database, actors: Array<string | null | undefined>): Promise<Record<string, string>> {
  const ids = [...new Set(actors.filter((a): a is string => !!a && a.startsWith("user:")).map((a) => a.slice(5)))];
  if (ids.length === 0) return {};
  const rows = await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, ids));
  return Object.fromEntries(rows.map((r) => [`user:${r.id}`, r.email]));
}
