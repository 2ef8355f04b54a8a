import "server-only";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { Database, Transaction } from "@/db/client";
import { duplicateCandidates, personFaces, persons } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import { modelInfo } from "@/lib/inference";
import { appendAudit } from "@/lib/review/audit";
import { roundTo } from "@/lib/round";
import type { PolicyBands } from "@/lib/verification/policy";
import { duplicateDecidedEvent, enqueueEvent } from "@/lib/webhooks";
import { searchGallery } from "./search";

/**
 * The duplicate check at onboarding: a new verification's selfie is searched against the
 * project's enrolled persons. A candidate at or above the face-match review threshold sends
 * the verification to review with the candidate beside the selfie; the reviewer says whether
 * it is the same person, and that verdict is kept with the candidate.
 *
 * A match is evidence of who someone is, not of fraud (a customer may legitimately verify
 * again), so even a clear match goes to a person rather than being rejected automatically.
 * Enrolled persons with the verification's own externalRef are the same customer and are not
 * candidates.
 */
export const DUPLICATE_CANDIDATES = 3;

export interface DuplicateCandidate {
  personId: string;
  faceId: string;
  personName: string;
  similarity: number;
  rank: number;
}

export interface DuplicateCheck {
  check: {
    check: "duplicate";
    status: "done";
    score: number | null;
    band: "approve" | "review";
    model: { id: string; version: string };
    details: { threshold: number; candidates: Array<{ personId: string; name: string; similarity: number }> };
  };
  candidates: DuplicateCandidate[];
}

/** Null when the project has nobody enrolled: there is nothing to check against. */
export async function checkDuplicates(db: Database, input: { projectId: string; probe: Float32Array; bands: PolicyBands; externalRef?: string | null }): Promise<DuplicateCheck | null> {
  const [anyone] = await db.select({ id: personFaces.id }).from(personFaces).where(eq(personFaces.projectId, input.projectId)).limit(1);
  if (!anyone) return null;
  const threshold = input.bands.face_match.review;
  const hits = await searchGallery(db, { projectId: input.projectId, probe: input.probe, collectionIds: null, limit: DUPLICATE_CANDIDATES + 1, mode: "FAST", minSimilarity: -1 });
  const names = hits.length
    ? await db
        .select({ id: persons.id, name: persons.name, externalRef: persons.externalRef })
        .from(persons)
        .where(and(eq(persons.projectId, input.projectId), inArray(persons.id, hits.map((h) => h.personId))))
    : [];
  const byId = new Map(names.map((p) => [p.id, p]));
  const others = hits.filter((h) => {
    const person = byId.get(h.personId);
    return person && !(input.externalRef && person.externalRef === input.externalRef);
  });
  const best = others[0]?.similarity ?? null;
  const candidates = others
    .filter((h) => h.similarity >= threshold)
    .slice(0, DUPLICATE_CANDIDATES)
    .map((h, rank) => ({ personId: h.personId, faceId: h.faceId, personName: byId.get(h.personId)!.name, similarity: roundTo(h.similarity, 4), rank }));
  return {
    check: {
      check: "duplicate",
      status: "done",
      score: best === null ? null : roundTo(best, 4),
      band: candidates.length > 0 ? "review" : "approve",
      model: { id: modelInfo.feature.id, version: modelInfo.feature.version },
      details: { threshold, candidates: candidates.map((c) => ({ personId: c.personId, name: c.personName, similarity: c.similarity })) },
    },
    candidates,
  };
}

/** Writes a verification's candidates; called inside the transaction that stores it. */
export async function storeDuplicateCandidates(tx: Transaction, input: { verificationId: string; projectId: string; candidates: DuplicateCandidate[] }): Promise<void> {
  if (input.candidates.length === 0) return;
  await tx.insert(duplicateCandidates).values(
    input.candidates.map((c) => ({ id: newId("dup"), verificationId: input.verificationId, projectId: input.projectId, personId: c.personId, faceId: c.faceId, personName: c.personName, similarity: c.similarity, rank: c.rank })),
  );
}

export type DuplicateCandidateRow = typeof duplicateCandidates.$inferSelect;

export async function listDuplicateCandidates(db: Database | Transaction, verificationId: string): Promise<DuplicateCandidateRow[]> {
  return db.select().from(duplicateCandidates).where(eq(duplicateCandidates.verificationId, verificationId)).orderBy(asc(duplicateCandidates.rank));
}

export type DuplicateVerdict = "same" | "different";

/**
 * Records a reviewer's verdict on one candidate (once; a second verdict is refused) with an
 * audit event. The case's own decision is separate: the verdict says who the person is.
 */
export async function recordDuplicateVerdict(db: Database | Transaction, input: { candidateId: string; verdict: DuplicateVerdict; actor: string; projectIds: string[] | null }): Promise<DuplicateCandidateRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(duplicateCandidates).where(eq(duplicateCandidates.id, input.candidateId)).for("update");
    if (!row || (input.projectIds && !input.projectIds.includes(row.projectId))) throw new AppError("NOT_FOUND", "No such duplicate candidate.");
    if (row.verdict) throw new AppError("CASE_ALREADY_DECIDED", `This candidate was already marked ${row.verdict === "same" ? "the same person" : "a different person"}.`);
    const [updated] = await tx
      .update(duplicateCandidates)
      .set({ verdict: input.verdict, decidedBy: input.actor, decidedAt: new Date() })
      .where(and(eq(duplicateCandidates.id, row.id), isNull(duplicateCandidates.verdict)))
      .returning();
    await appendAudit(tx, {
      actor: input.actor,
      action: "duplicate.verdict",
      projectId: row.projectId,
      verificationId: row.verificationId,
      after: { candidateId: row.id, personId: row.personId, similarity: row.similarity, verdict: input.verdict },
    });
    await enqueueEvent(tx, await duplicateDecidedEvent(tx, row.id));
    return updated;
  });
}
