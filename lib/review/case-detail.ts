import "server-only";
import { and, asc, desc, eq, inArray, ne, or } from "drizzle-orm";
import type { Database } from "@/db/client";
import { auditEvents, images, personFaces, persons, projects, reviewCases, verifications } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { listDuplicateCandidates } from "@/lib/search/duplicates";
import type { ActivePolicy } from "@/lib/verification/policy";
import { getPolicyVersion } from "@/lib/verification/policy";
import type { VerificationRecord } from "@/lib/verification/service";
import { getVerification } from "@/lib/verification/service";
import type { CaseRow } from "./queue";
import { actorNames } from "./queue";
import type { ReasonCode } from "./reasons";
import { reasonCodesOf } from "./reasons";

export type AuditEvent = typeof auditEvents.$inferSelect;

/** A face as stored: pixel box, detector score, five landmarks (lib/inference/serialize.ts faceToJson). */
export interface StoredFace {
  box: { x1: number; y1: number; x2: number; y2: number };
  score: number;
  landmarks: number[][];
}

/** An enrolled person the verification's selfie resembled (the duplicate check), with the reviewer's verdict. */
export interface DuplicateCandidateDetail {
  id: string;
  /** Null once the person has been deleted from the gallery. */
  personId: string | null;
  /** The person's name now; as it was at the check once they are deleted. */
  personName: string;
  externalRef: string | null;
  similarity: number;
  rank: number;
  verdict: "same" | "different" | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  /** The enrolled face the selfie matched, with its box and landmarks; null when it is gone or has no image. */
  face: { id: string; width: number; height: number; faces: StoredFace[] } | null;
}

export interface RecordDetail {
  record: VerificationRecord;
  project: { id: string; slug: string; name: string; slaHours: number; reasonCodes: ReasonCode[] };
  /** The bands the verification was decided under. */
  policy: ActivePolicy;
  reviewCase: CaseRow | null;
  /** Other verifications of the same subject (an image with the same bytes, or the same external reference) or from the same API key. */
  related: Array<{ id: string; status: string; type: string; createdAt: Date; link: "same image" | "same reference" | "same API key" }>;
  /** Enrolled persons the selfie resembled, best first; empty when the duplicate check found nobody. */
  duplicates: DuplicateCandidateDetail[];
  /** The verification's audit trail, oldest first. */
  audit: AuditEvent[];
  /** E-mail addresses of the users named in claims, decisions and the audit trail. */
  names: Record<string, string>;
}

/** Everything the record and case pages show about one verification; null when it does not exist. */
export async function getRecordDetail(db: Database, verificationId: string): Promise<RecordDetail | null> {
  const record = await getVerification(db, null, verificationId);
  if (!record) return null;
  const [[project], [reviewCase], audit, policy] = await Promise.all([
    db.select().from(projects).where(eq(projects.id, record.projectId)).limit(1),
    db.select().from(reviewCases).where(eq(reviewCases.verificationId, verificationId)).limit(1),
    db.select().from(auditEvents).where(eq(auditEvents.verificationId, verificationId)).orderBy(asc(auditEvents.seq)).limit(500),
    getPolicyVersion(db, record.projectId, record.policyVersion),
  ]);
  const [related, duplicates] = await Promise.all([relatedVerifications(db, record), duplicateDetails(db, verificationId)]);
  const names = await actorNames(db, [reviewCase?.claimedBy, reviewCase?.decidedBy, reviewCase?.confirmedBy, ...audit.map((e) => e.actor), ...duplicates.map((d) => d.decidedBy)]);
  return {
    record,
    project: { id: project.id, slug: project.slug, name: project.name, slaHours: project.reviewSlaHours, reasonCodes: reasonCodesOf(project.reasonCodes) },
    policy,
    reviewCase: reviewCase ?? null,
    related,
    duplicates,
    audit,
    names,
  };
}

/** A case with its verification's detail; NOT_FOUND when the case does not exist. */
export async function getCaseDetail(db: Database, caseId: string): Promise<RecordDetail & { reviewCase: CaseRow }> {
  const [row] = await db.select({ verificationId: reviewCases.verificationId }).from(reviewCases).where(eq(reviewCases.id, caseId)).limit(1);
  const detail = row ? await getRecordDetail(db, row.verificationId) : null;
  if (!detail?.reviewCase) throw new AppError("NOT_FOUND", "No such case.");
  return detail as RecordDetail & { reviewCase: CaseRow };
}

async function duplicateDetails(db: Database, verificationId: string): Promise<DuplicateCandidateDetail[]> {
  const candidates = await listDuplicateCandidates(db, verificationId);
  if (candidates.length === 0) return [];
  const personIds = candidates.map((c) => c.personId).filter((id): id is string => id !== null);
  const faceIds = candidates.map((c) => c.faceId).filter((id): id is string => id !== null);
  const [people, faces] = await Promise.all([
    personIds.length ? db.select({ id: persons.id, name: persons.name, externalRef: persons.externalRef }).from(persons).where(inArray(persons.id, personIds)) : [],
    faceIds.length
      ? db
          .select({ id: personFaces.id, personId: personFaces.personId, storageKey: personFaces.storageKey, width: personFaces.width, height: personFaces.height, face: personFaces.face })
          .from(personFaces)
          .where(inArray(personFaces.id, faceIds))
      : [],
  ]);
  return candidates.map((c) => {
    const person = people.find((p) => p.id === c.personId);
    // A face deleted from the person since, or one of another person (ids are never reused), is not shown.
    const face = faces.find((f) => f.id === c.faceId && f.personId === c.personId && f.storageKey && f.width && f.height);
    const stored = face?.face as StoredFace | null | undefined;
    return {
      id: c.id,
      personId: person ? c.personId : null,
      personName: person?.name ?? c.personName,
      externalRef: person?.externalRef ?? null,
      similarity: c.similarity,
      rank: c.rank,
      verdict: c.verdict === "same" || c.verdict === "different" ? c.verdict : null,
      decidedBy: c.decidedBy,
      decidedAt: c.decidedAt,
      face: face ? { id: face.id, width: face.width!, height: face.height!, faces: stored ? [{ box: stored.box, score: stored.score, landmarks: stored.landmarks }] : [] } : null,
    };
  });
}

async function relatedVerifications(db: Database, record: VerificationRecord): Promise<RecordDetail["related"]> {
  const mine = await db.select({ sha256: images.sha256 }).from(images).where(eq(images.verificationId, record.id));
  const hashes = mine.map((i) => i.sha256);
  const sameImage = hashes.length
    ? await db
        .selectDistinct({ id: images.verificationId })
        .from(images)
        .where(and(inArray(images.sha256, hashes), eq(images.projectId, record.projectId), ne(images.verificationId, record.id)))
        .limit(20)
    : [];
  const sameImageIds = new Set(sameImage.map((r) => r.id));
  const conditions = [
    sameImageIds.size ? inArray(verifications.id, [...sameImageIds]) : undefined,
    record.externalRef ? eq(verifications.externalRef, record.externalRef) : undefined,
    record.apiKeyId ? eq(verifications.apiKeyId, record.apiKeyId) : undefined,
  ].filter((c) => c !== undefined);
  if (conditions.length === 0) return [];
  const rows = await db
    .select({ id: verifications.id, status: verifications.status, type: verifications.type, createdAt: verifications.createdAt, externalRef: verifications.externalRef, apiKeyId: verifications.apiKeyId })
    .from(verifications)
    .where(and(eq(verifications.projectId, record.projectId), ne(verifications.id, record.id), or(...conditions)))
    .orderBy(desc(verifications.createdAt))
    .limit(10);
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    type: r.type,
    createdAt: r.createdAt,
    link: sameImageIds.has(r.id) ? "same image" : record.externalRef && r.externalRef === record.externalRef ? "same reference" : "same API key",
  }));
}

/** Recent verifications for the records list, newest first. */
export async function listRecords(db: Database, input: { status?: string; limit?: number } = {}) {
  return db
    .select({ id: verifications.id, type: verifications.type, status: verifications.status, band: verifications.band, source: verifications.source, externalRef: verifications.externalRef, createdAt: verifications.createdAt, project: projects.slug })
    .from(verifications)
    .innerJoin(projects, eq(projects.id, verifications.projectId))
    .where(input.status ? eq(verifications.status, input.status) : undefined)
    .orderBy(desc(verifications.createdAt))
    .limit(input.limit ?? 100);
}
