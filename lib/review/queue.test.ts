import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase } from "@/db/client";
import { auditEvents, reviewCases, verifications } from "@/db/schema";
import { testBackends } from "@/db/testing/backends";
import { createProject } from "@/lib/auth/api-keys";
import type { ConsoleUser } from "@/lib/auth/users";
import { toConsoleUser } from "@/lib/auth/users";
import { presentFaceReport } from "@/lib/compat/face-report";
import { newId } from "@/lib/ids";
import { errorCodeOf } from "@/lib/testing/errors";
import { getVerification } from "@/lib/verification/service";
import { verifyAuditChain } from "./audit";
import { claimCase, claimNextCase, decideCase, listQueue, queueSummary, releaseCase, renewClaim, reopenVerification } from "./queue";


const reviewer = (n: number): ConsoleUser => toConsoleUser({ id: `usr_r${n}`, email: `r${n}@test`, name: `r${n}`, role: "reviewer" });

/** Inserts `n` verifications with a review case each (no images: the queue never reads them). */
async function seedCases(db: DatabaseHandle["db"], projectId: string, n: number, band: "review" | "reject" = "review"): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += 250) {
    const rows = Array.from({ length: Math.min(250, n - start) }, (_, i) => {
      const id = newId("ver");
      return {
        v: {
          id,
          projectId,
          type: "face_match",
          source: "native",
          status: band === "review" ? "in_review" : "rejected",
          band,
          checks: [{ check: "face_match", status: "done", score: band === "review" ? 0.47 : 0.1, band, model: { id: "m", version: "1" }, details: {} }],
          policyVersion: 1,
          timings: {},
          requestId: `req-${start + i}`,
          requestHash: "h",
          // Spread creation over time so "oldest first" is observable.
          createdAt: new Date(Date.now() - (n - start - i) * 1000),
        },
        c: { id: newId("case"), verificationId: id, projectId, status: "open", reasons: ["face_match"], createdAt: new Date(Date.now() - (n - start - i) * 1000) },
      };
    });
    await db.insert(verifications).values(rows.map((r) => r.v));
    if (band === "review") await db.insert(reviewCases).values(rows.map((r) => r.c));
    ids.push(...(band === "review" ? rows.map((r) => r.c.id) : rows.map((r) => r.v.id)));
  }
  return ids;
}

// One connection per claimer, so the 20 really run at once.
const backends = testBackends("queue", 21);

describe.each(backends)("review queue claims on $name", ({ open, skip }) => {
  let handle: DatabaseHandle;
  let stop: () => Promise<void>;
  let projectId: string;

  beforeAll(async () => {
    if (skip) return;
    ({ handle, stop } = await open());
    projectId = (await createProject(handle.db, { slug: "queue", name: "Queue" })).id;
  }, 120_000);

  afterAll(async () => {
    if (skip) return;
    await handle.close();
    await stop();
  });

  it.skipIf(skip)(
    "20 concurrent claimers over 1,000 cases: every case claimed exactly once, never two at a time",
    async () => {
      const db = handle.db;
      const caseIds = await seedCases(db, projectId, 1000);
      const holding = new Map<string, string>();
      let doubleHeld = 0;
      const claimsBy = await Promise.all(
        Array.from({ length: 20 }, async (_, n) => {
          const user = reviewer(n);
          const mine: string[] = [];
          for (;;) {
            const claimed = await claimNextCase(db, { user, leaseSeconds: 600 });
            if (!claimed) return mine;
            if (holding.has(claimed.id)) doubleHeld++;
            holding.set(claimed.id, user.actor);
            mine.push(claimed.id);
            await decideCase(db, { user, caseId: claimed.id, decision: "approve" });
            holding.delete(claimed.id);
          }
        }),
      );
      const all = claimsBy.flat();
      expect(doubleHeld).toBe(0);
      expect(all.length).toBe(1000);
      expect(new Set(all).size).toBe(1000);
      expect(new Set(all)).toEqual(new Set(caseIds));
      // Work was shared: with a real server more than one claimer got cases.
      if (handle.kind === "postgres") expect(claimsBy.filter((c) => c.length > 0).length).toBeGreaterThan(1);
      const [claimEvents] = await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(auditEvents).where(eq(auditEvents.action, "case.claimed"));
      expect(claimEvents.n).toBe(1000);
      const [open] = await db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(reviewCases).where(and(eq(reviewCases.projectId, projectId), sql`${reviewCases.status} <> 'decided'`));
      expect(open.n).toBe(0);
      expect((await verifyAuditChain(db)).brokenAt).toBeNull();
    },
    180_000,
  );
});

describe("review workflow (PGlite)", () => {
  let handle: DatabaseHandle;
  let projectId: string;
  const alice = reviewer(1);
  const bob = reviewer(2);

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    projectId = (await createProject(handle.db, { slug: "flow", name: "Flow" })).id;
  });
  afterAll(() => handle.close());

  it("takes the highest priority, then the oldest case; a held case comes back to its holder", async () => {
    const db = handle.db;
    const [older, newer] = await seedCases(db, projectId, 2);
    await db.update(reviewCases).set({ priority: 5 }).where(eq(reviewCases.id, newer));
    expect((await claimNextCase(db, { user: alice, leaseSeconds: 600 }))?.id).toBe(newer);
    // Alice has not decided: "Next case" returns the one she holds, renewed.
    expect((await claimNextCase(db, { user: alice, leaseSeconds: 600 }))?.id).toBe(newer);
    expect((await claimNextCase(db, { user: bob, leaseSeconds: 600 }))?.id).toBe(older);
    expect(await claimNextCase(db, { user: reviewer(3), leaseSeconds: 600 })).toBeNull();
    const queue = await listQueue(db, { projectId });
    expect(queue.map((q) => [q.caseId, q.state, q.claimedBy])).toEqual([
      [newer, "claimed", alice.actor],
      [older, "claimed", bob.actor],
    ]);
    const summary = await queueSummary(db, { projectId });
    expect(summary).toMatchObject({ waiting: 2, claimed: 2, awaitingConfirmation: 0 });
    // Skipping releases nothing by itself; releasing puts the case back for anyone.
    await releaseCase(db, { user: alice, caseId: newer });
    expect((await claimNextCase(db, { user: reviewer(3), leaseSeconds: 600 }))?.id).toBe(newer);
    await decideCase(db, { user: reviewer(3), caseId: newer, decision: "approve" });
    await decideCase(db, { user: bob, caseId: older, decision: "resubmit", reasonCode: "poor_quality" });
    const statuses = await db.select({ status: verifications.status }).from(verifications).innerJoin(reviewCases, eq(reviewCases.verificationId, verifications.id)).where(eq(reviewCases.id, older));
    expect(statuses[0].status).toBe("resubmission_requested");
  });

  it("returns a case to the queue when its lease lapses; the old holder can no longer renew or decide", async () => {
    const db = handle.db;
    const [caseId] = await seedCases(db, projectId, 1);
    expect((await claimNextCase(db, { user: alice, leaseSeconds: 0.2 }))?.id).toBe(caseId);
    expect((await claimCase(db, { user: bob, caseId, leaseSeconds: 600 })).claimedBy).toBe(alice.actor);
    await new Promise((r) => setTimeout(r, 300));
    expect((await claimNextCase(db, { user: bob, leaseSeconds: 600, filters: { projectId } }))?.id).toBe(caseId);
    const [takeover] = await db.select().from(auditEvents).where(and(eq(auditEvents.caseId, caseId), eq(auditEvents.actor, bob.actor)));
    expect(takeover.after).toMatchObject({ lapsedLeaseOf: alice.actor });
    expect(await errorCodeOf(() => renewClaim(db, { user: alice, caseId, leaseSeconds: 600 }))).toBe("CASE_NOT_CLAIMED");
    expect(await errorCodeOf(() => decideCase(db, { user: alice, caseId, decision: "approve" }))).toBe("CASE_NOT_CLAIMED");
    expect(await errorCodeOf(() => decideCase(db, { user: bob, caseId, decision: "reject" }))).toBe("REASON_REQUIRED");
    expect(await errorCodeOf(() => decideCase(db, { user: bob, caseId, decision: "reject", reasonCode: "made_up" }))).toBe("INVALID_REQUEST");
    await decideCase(db, { user: bob, caseId, decision: "reject", reasonCode: "spoof_screen", note: "moire on the selfie" });
    expect(await errorCodeOf(() => decideCase(db, { user: bob, caseId, decision: "approve" }))).toBe("CASE_ALREADY_DECIDED");
  });

  it("a decision changes the vendor report: In Review becomes Approved", async () => {
    const db = handle.db;
    const [caseId] = await seedCases(db, projectId, 1);
    const [row] = await db.select().from(reviewCases).where(eq(reviewCases.id, caseId));
    const before = await getVerification(db, projectId, row.verificationId);
    expect(presentFaceReport(before!, "system", "http://x").face.status).toBe("In Review");
    await claimCase(db, { user: alice, caseId, leaseSeconds: 600 });
    await decideCase(db, { user: alice, caseId, decision: "approve" });
    const after = await getVerification(db, projectId, row.verificationId);
    expect(after?.status).toBe("approved");
    expect(after?.decidedAt).toBeInstanceOf(Date);
    expect(presentFaceReport(after!, "system", "http://x").face.status).toBe("Approved");
  });

  it("four eyes: approving an automatic reject needs a second, different reviewer", async () => {
    const db = handle.db;
    const [verificationId] = await seedCases(db, projectId, 1, "reject");
    const caseId = await reopenVerification(db, { user: alice, verificationId, note: "applicant appealed with a new photo" });
    expect((await claimCase(db, { user: alice, caseId, leaseSeconds: 600 })).claimedBy).toBe(alice.actor);
    const proposed = await decideCase(db, { user: alice, caseId, decision: "approve", note: "same person, older photo" });
    expect(proposed).toMatchObject({ outcome: "awaiting_confirmation", verificationStatus: "in_review" });
    // Alice can neither take it back from the queue nor confirm it herself.
    expect((await claimNextCase(db, { user: alice, leaseSeconds: 600, filters: { projectId, check: "reopened" } }))?.id).not.toBe(caseId);
    expect((await claimCase(db, { user: alice, caseId, leaseSeconds: 600 })).claimedBy).not.toBe(alice.actor);
    expect((await listQueue(db, { projectId })).find((q) => q.caseId === caseId)?.stage).toBe("confirmation");
    expect((await claimCase(db, { user: bob, caseId, leaseSeconds: 600 })).claimedBy).toBe(bob.actor);
    const confirmed = await decideCase(db, { user: bob, caseId, decision: "approve" });
    expect(confirmed).toMatchObject({ outcome: "decided", verificationStatus: "approved" });
    const [c] = await db.select().from(reviewCases).where(eq(reviewCases.id, caseId));
    expect(c).toMatchObject({ status: "decided", decidedBy: alice.actor, confirmedBy: bob.actor, decision: "approve" });
    const actions = (await db.select({ action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.caseId, caseId)).orderBy(auditEvents.seq)).map((e) => e.action);
    expect(actions).toEqual(["case.reopened", "case.claimed", "case.approval_proposed", "case.claimed", "case.approval_confirmed"]);
  });

  it("the same reviewer cannot confirm their own proposal even if they still hold the case", async () => {
    const db = handle.db;
    const [verificationId] = await seedCases(db, projectId, 1, "reject");
    const caseId = await reopenVerification(db, { user: alice, verificationId, note: "appeal" });
    await claimCase(db, { user: alice, caseId, leaseSeconds: 600 });
    await decideCase(db, { user: alice, caseId, decision: "approve" });
    // Forge the holder to Alice, as a race could: the decision itself still refuses her.
    await db.update(reviewCases).set({ status: "claimed", claimedBy: alice.actor, claimExpiresAt: new Date(Date.now() + 60_000) }).where(eq(reviewCases.id, caseId));
    expect(await errorCodeOf(() => decideCase(db, { user: alice, caseId, decision: "approve" }))).toBe("SAME_REVIEWER");
  });
});
