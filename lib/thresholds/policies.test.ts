import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase } from "@/db/client";
import { auditEvents, reviewCases, thresholdPolicies } from "@/db/schema";
import { testBackends } from "@/db/testing/backends";
import { createProject } from "@/lib/auth/api-keys";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import { verifyAuditChain } from "@/lib/review/audit";
import { LocalImageStore } from "@/lib/storage/image-store";
import { errorCodeOf } from "@/lib/testing/errors";
import type { PolicyBands } from "@/lib/verification/policy";
import { DEFAULT_BANDS, getActivePolicy } from "@/lib/verification/policy";
import type { VerificationInput } from "@/lib/verification/service";
import { getVerification, hashRequest, runFaceVerification } from "@/lib/verification/service";
import { listPolicyVersions, rollbackPolicy, savePolicy } from "./policies";


const admin = "user:usr_admin";

function withFaceMatch(approve: number, review: number): PolicyBands {
  return { ...DEFAULT_BANDS, face_match: { approve, review } };
}

// A connection per concurrent save, so they really run at once.
const backends = testBackends("threshold policy", 12);

describe.each(backends)("threshold policy versions on $name", ({ open, skip }) => {
  let handle: DatabaseHandle;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    if (skip) return;
    ({ handle, stop } = await open());
  }, 120_000);

  afterAll(async () => {
    if (skip) return;
    await handle.close();
    await stop();
  });

  const newProject = async (slug: string) => (await createProject(handle.db, { slug, name: slug })).id;

  it.skipIf(skip)("refuses a change without a reason, or with bands out of order or range, and writes nothing", async () => {
    const db = handle.db;
    const projectId = await newProject("reasons");
    const bands = withFaceMatch(0.6, 0.45);
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands, reason: "", author: admin }))).toBe("REASON_REQUIRED");
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands, reason: "   \n", author: admin }))).toBe("REASON_REQUIRED");
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands, reason: undefined, author: admin }))).toBe("REASON_REQUIRED");
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands: withFaceMatch(0.4, 0.5), reason: "x", author: admin }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands: withFaceMatch(1.2, 0.5), reason: "x", author: admin }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands: withFaceMatch(0.6, -0.1), reason: "x", author: admin }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands: withFaceMatch(Number.NaN, 0.5), reason: "x", author: admin }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands: { face_match: { approve: 0.6, review: 0.4 } }, reason: "x", author: admin }))).toBe("INVALID_REQUEST");
    // The active bands again are no change.
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands: DEFAULT_BANDS, reason: "x", author: admin }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => savePolicy(db, { projectId: "prj_missing", bands, reason: "x", author: admin }))).toBe("NOT_FOUND");
    expect((await listPolicyVersions(db, projectId)).map((v) => v.version)).toEqual([1]);
    expect(await db.select().from(auditEvents).where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.action, "policy.changed")))).toEqual([]);
  });

  it.skipIf(skip)("saves version max + 1 with author, reason and a policy.changed audit event holding the bands before and after", async () => {
    const db = handle.db;
    const projectId = await newProject("save");
    const bands = withFaceMatch(0.62, 0.45);
    const saved = await savePolicy(db, { projectId, bands, reason: "  Fewer manual reviews of clear matches  ", author: admin, baseVersion: 1 });
    expect(saved).toMatchObject({ version: 2, bands, reason: "Fewer manual reviews of clear matches", author: admin, active: true });
    expect(await getActivePolicy(db, projectId)).toEqual({ version: 2, bands });

    const versions = await listPolicyVersions(db, projectId);
    expect(versions.map((v) => [v.version, v.active, v.author, v.reason])).toEqual([
      [2, true, admin, "Fewer manual reviews of clear matches"],
      [1, false, "system", "Initial defaults"],
    ]);
    const [event] = await db.select().from(auditEvents).where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.action, "policy.changed")));
    expect(event.actor).toBe(admin);
    expect(event.before).toEqual({ version: 1, bands: DEFAULT_BANDS });
    expect(event.after).toEqual({ version: 2, bands, reason: "Fewer manual reviews of clear matches" });
    expect((await verifyAuditChain(db)).brokenAt).toBeNull();

    // Saved against v1 while v2 is active: refused, not stacked on top.
    expect(await errorCodeOf(() => savePolicy(db, { projectId, bands: withFaceMatch(0.7, 0.45), reason: "stale page", author: admin, baseVersion: 1 }))).toBe("INVALID_REQUEST");
    expect((await getActivePolicy(db, projectId)).version).toBe(2);
  });

  it.skipIf(skip)("rolls back by writing a new version with the old bands; earlier versions stay as they were", async () => {
    const db = handle.db;
    const projectId = await newProject("rollback");
    const v2 = withFaceMatch(0.6, 0.45);
    const v3 = { ...v2, selfie_liveness: { approve: 0.7, review: 0.5 } };
    await savePolicy(db, { projectId, bands: v2, reason: "v2", author: admin });
    await savePolicy(db, { projectId, bands: v3, reason: "v3", author: admin });
    const before = await db.select().from(thresholdPolicies).where(eq(thresholdPolicies.projectId, projectId)).orderBy(asc(thresholdPolicies.version));

    const rolled = await rollbackPolicy(db, { projectId, toVersion: 1, reason: "Too many false accepts since v2", author: "user:usr_other", baseVersion: 3 });
    expect(rolled).toMatchObject({ version: 4, bands: DEFAULT_BANDS, sameBandsAs: 1, author: "user:usr_other" });
    expect(await getActivePolicy(db, projectId)).toEqual({ version: 4, bands: DEFAULT_BANDS });
    const after = await db.select().from(thresholdPolicies).where(eq(thresholdPolicies.projectId, projectId)).orderBy(asc(thresholdPolicies.version));
    expect(after.slice(0, 3)).toEqual(before);
    expect(after).toHaveLength(4);

    const versions = await listPolicyVersions(db, projectId);
    expect(versions.map((v) => [v.version, v.sameBandsAs, v.active])).toEqual([
      [4, 1, true],
      [3, null, false],
      [2, null, false],
      [1, null, false],
    ]);
    const events = await db.select().from(auditEvents).where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.action, "policy.changed"))).orderBy(asc(auditEvents.seq));
    expect(events.at(-1)?.before).toEqual({ version: 3, bands: v3 });
    expect(events.at(-1)?.after).toEqual({ version: 4, bands: DEFAULT_BANDS, reason: "Too many false accepts since v2", rollbackOf: 1 });

    // Rolling back to v2, then to v2 again (no change), to the active one, to one that never was.
    expect((await rollbackPolicy(db, { projectId, toVersion: 2, reason: "again", author: admin })).bands).toEqual(v2);
    expect(await errorCodeOf(() => rollbackPolicy(db, { projectId, toVersion: 5, reason: "x", author: admin }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => rollbackPolicy(db, { projectId, toVersion: 2, reason: "x", author: admin }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => rollbackPolicy(db, { projectId, toVersion: 9, reason: "x", author: admin }))).toBe("NOT_FOUND");
    expect(await errorCodeOf(() => rollbackPolicy(db, { projectId, toVersion: 1, reason: " ", author: admin }))).toBe("REASON_REQUIRED");
    expect((await getActivePolicy(db, projectId)).version).toBe(5);
  });

  it.skipIf(skip)("ten saves at once get ten distinct, consecutive versions, each recorded against the one before it", async () => {
    const db = handle.db;
    const projectId = await newProject("concurrent");
    const saves = await Promise.all(
      Array.from({ length: 10 }, (_, i) => savePolicy(db, { projectId, bands: withFaceMatch(0.56 + i / 100, 0.4), reason: `change ${i}`, author: `user:usr_${i}` })),
    );
    const versions = saves.map((s) => s.version).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const events = await db.select().from(auditEvents).where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.action, "policy.changed"))).orderBy(asc(auditEvents.seq));
    expect(events).toHaveLength(10);
    // Serialised: each change saw the version just before it as the active one.
    for (const e of events) {
      const after = e.after as { version: number; bands: PolicyBands };
      const before = e.before as { version: number; bands: PolicyBands };
      expect(before.version).toBe(after.version - 1);
      const stored = await db.select().from(thresholdPolicies).where(and(eq(thresholdPolicies.projectId, projectId), eq(thresholdPolicies.version, before.version)));
      expect(stored[0].bands).toEqual(before.bands);
    }
    expect((await verifyAuditChain(db)).brokenAt).toBeNull();
  });
});

describe("a threshold change and the verifications around it (PGlite, real inference)", () => {
  let handle: DatabaseHandle;
  let storeDir: string;
  let store: LocalImageStore;
  let projectId: string;
  let selfie: Buffer;
  let reference: Buffer;

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    storeDir = mkdtempSync(join(tmpdir(), "vigil-thresholds-"));
    store = new LocalImageStore(storeDir, randomBytes(32));
    projectId = (await createProject(handle.db, { slug: "bank", name: "Bank" })).id;
    // The same person twice: a tight selfie crop and a looser, recompressed "document" crop.
    const photo = samplePhoto("sample6.jpg");
    const [face] = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
    selfie = await cropAround(photo, face.box, 0.8);
    reference = await cropAround(photo, face.box, 0.4, 70);
  });

  afterAll(async () => {
    await handle.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  const input = (requestId: string): VerificationInput => ({
    projectId,
    apiKeyId: null,
    actor: "system",
    source: "native",
    type: "face_match",
    selfie,
    references: [reference],
    referenceRole: "reference",
    requestId,
    requestHash: hashRequest([selfie, reference, requestId]),
  });

  it("moves the band of the next verification and leaves past ones with their band and version", async () => {
    const db = handle.db;
    const { record: past } = await runFaceVerification(db, store, input("before-change"));
    const score = past.checks[0].score!;
    expect(past).toMatchObject({ status: "approved", band: "approve", policyVersion: 1 });
    expect(score).toBeGreaterThanOrEqual(DEFAULT_BANDS.face_match.approve);
    expect(score).toBeLessThan(0.99);

    // Approve only above this pair's similarity: the same pair now belongs in review.
    const approve = Math.ceil((score + 0.005) * 100) / 100;
    const saved = await savePolicy(db, { projectId, bands: withFaceMatch(approve, 0.4), reason: "Stricter face match after an audit", author: admin });
    expect(saved.version).toBe(2);

    const { record: next } = await runFaceVerification(db, store, input("after-change"));
    expect(next.checks[0].score).toBe(score);
    expect(next.checks[0].band).toBe("review");
    expect(next).toMatchObject({ status: "in_review", band: "review", policyVersion: 2 });
    expect(next.reviewCaseId).not.toBeNull();

    const reread = await getVerification(db, projectId, past.id);
    expect(reread).toMatchObject({ status: "approved", band: "approve", policyVersion: 1, reviewCaseId: null });
    expect(reread?.checks[0]).toMatchObject({ score, band: "approve" });
    expect(await db.select().from(reviewCases).where(eq(reviewCases.verificationId, past.id))).toEqual([]);

    // A rollback is again a new version; the two stored verifications keep theirs.
    await rollbackPolicy(db, { projectId, toVersion: 1, reason: "Back to the defaults", author: admin });
    const { record: third } = await runFaceVerification(db, store, input("after-rollback"));
    expect(third).toMatchObject({ band: "approve", policyVersion: 3 });
    expect((await getVerification(db, projectId, next.id))?.policyVersion).toBe(2);
    expect((await listPolicyVersions(db, projectId)).map((v) => [v.version, v.verifications])).toEqual([
      [3, 1],
      [2, 1],
      [1, 1],
    ]);
  });
});
