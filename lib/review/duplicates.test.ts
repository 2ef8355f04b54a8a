import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase } from "@/db/client";
import { auditEvents, duplicateCandidates, personFaces, persons, reviewCases, verifications, webhookDeliveries } from "@/db/schema";
import { createProject } from "@/lib/auth/api-keys";
import type { ConsoleUser } from "@/lib/auth/users";
import { toConsoleUser } from "@/lib/auth/users";
import { newId } from "@/lib/ids";
import { errorCodeOf } from "@/lib/testing/errors";
import { createEndpoint } from "@/lib/webhooks/endpoints";
import { verifyAuditChain } from "./audit";
import { getRecordDetail } from "./case-detail";
import { decideDuplicateCandidate } from "./duplicates";
import { claimCase, decideCase } from "./queue";

const reviewer = (n: number): ConsoleUser => toConsoleUser({ id: `usr_d${n}`, email: `d${n}@test`, name: `d${n}`, role: "reviewer" });
const LEASE = 600;

describe("duplicate verdicts on a review case (PGlite)", () => {
  let handle: DatabaseHandle;
  let projectId: string;

  beforeAll(async () => {
    handle = await openMemoryDatabase({ searchIndex: "exact" });
    projectId = (await createProject(handle.db, { slug: "dups", name: "Dups" })).id;
  });

  afterAll(async () => {
    await handle.close();
  });

  /**
   * A verification in review for the duplicate check with two candidates (rows written the way
   * storeVerification writes them; no images, nothing here reads them).
   */
  async function seedDuplicateCase(): Promise<{ caseId: string; verificationId: string; candidateIds: string[]; personIds: string[] }> {
    const db = handle.db;
    const personIds = [newId("per"), newId("per")];
    await db.insert(persons).values([
      { id: personIds[0], projectId, name: "Ana Enrolled", externalRef: `cust-${personIds[0]}` },
      { id: personIds[1], projectId, name: "Bo Lookalike", externalRef: null },
    ]);
    const faceIds = personIds.map(() => newId("face"));
    const face = { box: { x1: 10, y1: 20, x2: 110, y2: 150 }, score: 0.99, landmarks: [[40, 70], [80, 70], [60, 95], [45, 120], [75, 120]], quality: null };
    await db.insert(personFaces).values(
      personIds.map((personId, i) => ({ id: faceIds[i], personId, projectId, embedding: Buffer.alloc(2048), storageKey: `${projectId}/gallery/${faceIds[i]}`, format: "jpeg", width: 300, height: 400, face })),
    );
    const verificationId = newId("ver");
    await db.insert(verifications).values({
      id: verificationId,
      projectId,
      type: "face_match",
      source: "native",
      status: "in_review",
      band: "review",
      checks: [{ check: "duplicate", status: "done", score: 0.71, band: "review", model: { id: "m", version: "1" }, details: {} }],
      policyVersion: 1,
      timings: {},
      requestId: newId("req"),
      requestHash: "h",
    });
    const candidateIds = [newId("dup"), newId("dup")];
    await db.insert(duplicateCandidates).values([
      { id: candidateIds[0], verificationId, projectId, personId: personIds[0], faceId: faceIds[0], personName: "Ana Enrolled", similarity: 0.71, rank: 0 },
      { id: candidateIds[1], verificationId, projectId, personId: personIds[1], faceId: faceIds[1], personName: "Bo Lookalike", similarity: 0.52, rank: 1 },
    ]);
    const caseId = newId("case");
    await db.insert(reviewCases).values({ id: caseId, verificationId, projectId, status: "open", reasons: ["duplicate"] });
    return { caseId, verificationId, candidateIds, personIds };
  }

  it("the record detail lists the candidates best first, with the person's reference and the enrolled face", async () => {
    const { verificationId, personIds } = await seedDuplicateCase();
    const detail = await getRecordDetail(handle.db, verificationId);
    expect(detail!.duplicates.map((d) => [d.personName, d.similarity, d.rank, d.verdict])).toEqual([
      ["Ana Enrolled", expect.closeTo(0.71, 4), 0, null],
      ["Bo Lookalike", expect.closeTo(0.52, 4), 1, null],
    ]);
    expect(detail!.duplicates[0].externalRef).toBe(`cust-${personIds[0]}`);
    expect(detail!.duplicates[0].face).toMatchObject({ width: 300, height: 400, faces: [{ box: { x1: 10, y1: 20, x2: 110, y2: 150 } }] });
  });

  it("needs the case held: an open case, or one someone else holds, refuses the verdict", async () => {
    const { caseId, candidateIds } = await seedDuplicateCase();
    const input = { caseId, candidateId: candidateIds[0], verdict: "same" as const };
    expect(await errorCodeOf(() => decideDuplicateCandidate(handle.db, { ...input, user: reviewer(1) }))).toBe("CASE_NOT_CLAIMED");
    await claimCase(handle.db, { user: reviewer(1), caseId, leaseSeconds: LEASE });
    expect(await errorCodeOf(() => decideDuplicateCandidate(handle.db, { ...input, user: reviewer(2) }))).toBe("CASE_NOT_CLAIMED");
    const [row] = await handle.db.select().from(duplicateCandidates).where(eq(duplicateCandidates.id, candidateIds[0]));
    expect(row.verdict).toBeNull();
  });

  it("records each candidate's verdict once, with who and when and an audit event; the case still needs its decision", async () => {
    const { caseId, verificationId, candidateIds } = await seedDuplicateCase();
    const user = reviewer(3);
    await claimCase(handle.db, { user, caseId, leaseSeconds: LEASE });
    const same = await decideDuplicateCandidate(handle.db, { caseId, candidateId: candidateIds[0], verdict: "same", user });
    expect(same).toMatchObject({ verdict: "same", decidedBy: user.actor });
    expect(same.decidedAt).toBeInstanceOf(Date);
    expect(await errorCodeOf(() => decideDuplicateCandidate(handle.db, { caseId, candidateId: candidateIds[0], verdict: "different", user }))).toBe("CASE_ALREADY_DECIDED");
    await decideDuplicateCandidate(handle.db, { caseId, candidateId: candidateIds[1], verdict: "different", user });

    const [c] = await handle.db.select().from(reviewCases).where(eq(reviewCases.id, caseId));
    expect(c.status).toBe("claimed");
    const events = await handle.db.select().from(auditEvents).where(eq(auditEvents.verificationId, verificationId)).orderBy(auditEvents.seq);
    expect(events.filter((e) => e.action === "duplicate.verdict").map((e) => (e.after as { verdict: string }).verdict)).toEqual(["same", "different"]);
    expect((await verifyAuditChain(handle.db)).brokenAt).toBeNull();

    const detail = await getRecordDetail(handle.db, verificationId);
    expect(detail!.duplicates.map((d) => d.verdict)).toEqual(["same", "different"]);

    await decideCase(handle.db, { caseId, decision: "approve", user });
    expect(await errorCodeOf(() => decideDuplicateCandidate(handle.db, { caseId, candidateId: candidateIds[0], verdict: "different", user }))).toBe("CASE_ALREADY_DECIDED");
  });

  it("each verdict queues a duplicate.decided webhook, in the verdict's transaction, naming the enrolled customer", async () => {
    const { endpoint } = await createEndpoint(handle.db, randomBytes(32), { projectId, url: "https://hooks.example.test/dups", events: ["duplicate.decided"], actor: "system" });
    const { caseId, verificationId, candidateIds, personIds } = await seedDuplicateCase();
    const user = reviewer(4);
    await claimCase(handle.db, { user, caseId, leaseSeconds: LEASE });
    await decideDuplicateCandidate(handle.db, { caseId, candidateId: candidateIds[0], verdict: "same", user });
    // A refused verdict (already decided) queues nothing.
    await errorCodeOf(() => decideDuplicateCandidate(handle.db, { caseId, candidateId: candidateIds[0], verdict: "different", user }));

    const queued = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(queued).toHaveLength(1);
    expect(queued[0].type).toBe("duplicate.decided");
    expect(queued[0].payload).toMatchObject({
      type: "duplicate.decided",
      data: { candidateId: candidateIds[0], verificationId, caseId, projectId, personId: personIds[0], externalRef: `cust-${personIds[0]}`, verdict: "same", decidedBy: "usr_d4" },
    });
  });

  it("a candidate of another verification is not found through this case", async () => {
    const first = await seedDuplicateCase();
    const second = await seedDuplicateCase();
    const user = reviewer(4);
    await claimCase(handle.db, { user, caseId: first.caseId, leaseSeconds: LEASE });
    expect(await errorCodeOf(() => decideDuplicateCandidate(handle.db, { caseId: first.caseId, candidateId: second.candidateIds[0], verdict: "same", user }))).toBe("NOT_FOUND");
  });

  it("after the person is deleted the candidate keeps the name and score, without the link or the face", async () => {
    const { verificationId, personIds } = await seedDuplicateCase();
    await handle.db.delete(persons).where(eq(persons.id, personIds[0]));
    const detail = await getRecordDetail(handle.db, verificationId);
    expect(detail!.duplicates[0]).toMatchObject({ personId: null, personName: "Ana Enrolled", externalRef: null, face: null });
  });
});
