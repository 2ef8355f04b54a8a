import "server-only";
import { createHash } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "@/db/client";
import { isDatabaseUnavailable, isUniqueViolation } from "@/db/errors";
import { images, reviewCases, verifications } from "@/db/schema";
import { AppError, isAppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import type { FaceAnalysis, FaceQuality, ImageInput } from "@/lib/inference";
import { analyzeFaces, cosineSimilarity, modelInfo } from "@/lib/inference";
import { faceToJson } from "@/lib/inference/serialize";
import { toImageBytes } from "@/lib/inference/image";
import { appendAudit } from "@/lib/review/audit";
import { enqueueEvent, verificationCompletedEvent } from "@/lib/webhooks";
import type { ImageStore } from "@/lib/storage";
import type { Band, VerificationCheck } from "./policy";
import { bandFor, getActivePolicy } from "./policy";
import { roundTo } from "@/lib/round";
import { checkDuplicates, storeDuplicateCandidates } from "@/lib/search/duplicates";
import { committedStorageKeys, settleStagedImagesLater } from "./staged-images";
import type { DuplicateCandidate } from "@/lib/search/duplicates";

export type VerificationType = "face_match" | "selfie_liveness" | "face_match_liveness" | "document_liveness" | "document_selfie";
export type VerificationStatus = "approved" | "rejected" | "in_review" | "not_finished" | "resubmission_requested";
export type VerificationSource = "native" | "verifik" | "kairos" | "sfx" | "docliveness" | "console";
export type ImageRole = "selfie" | "document" | "portrait" | "reference" | "gallery";

export interface CheckResult {
  /** A banded check of the policy, or the duplicate check against enrolled persons (lib/search/duplicates.ts). */
  check: VerificationCheck;
  /** done, or skipped (with the reason in `details.skipped`). */
  status: "done" | "skipped";
  score: number | null;
  band: Band | null;
  model: { id: string; version: string };
  details: Record<string, unknown>;
}

export interface VerificationInput {
  projectId: string;
  apiKeyId: string | null;
  /** Who asked: key:<id> or user:<id>; recorded in the audit trail. */
  actor: string;
  source: VerificationSource;
  type: VerificationType;
  /** The probe: the live selfie. */
  selfie: ImageInput;
  /** Photos the selfie is compared with; the best match counts. */
  references: ImageInput[];
  referenceRole: "reference" | "gallery";
  requestId: string;
  idempotencyKey?: string | null;
  /** Hash of the request as the caller sent it; see `hashRequest`. */
  requestHash: string;
  externalRef?: string | null;
  /** Skip selfie liveness when the best similarity is below this (Verifik's compare_min_score). */
  livenessOnlyIfMatchAtLeast?: number;
}

export interface StoredImage {
  id: string;
  role: ImageRole;
  position: number;
  width: number;
  height: number;
  format: string;
  bytes: number;
  /**
   * Faces found, subject first: boxes, scores, landmarks; and the subject's quality. A document
   * image also has its detected outline (corners clockwise from the top-left, in its pixels).
   */
  faces: { faces: ReturnType<typeof faceToJson>[]; quality: FaceQuality | null; outline?: Array<[number, number]> | null };
}

export interface VerificationRecord {
  id: string;
  projectId: string;
  type: VerificationType;
  source: VerificationSource;
  status: VerificationStatus;
  band: Band | null;
  checks: CheckResult[];
  policyVersion: number;
  reviewCaseId: string | null;
  images: StoredImage[];
  /** Milliseconds per stage; `referencesMs` has one entry per reference image. */
  timings: Record<string, number | number[]>;
  requestId: string;
  idempotencyKey: string | null;
  externalRef: string | null;
  apiKeyId: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}

/** SHA-256 over the parts of a request that decide its result, for idempotency checks. */
export function hashRequest(parts: unknown[]): string {
  const hash = createHash("sha256");
  for (const part of parts) {
    if (part instanceof Uint8Array) hash.update(part);
    else hash.update(JSON.stringify(part ?? null));
    hash.update("\u0000");
  }
  return hash.digest("hex");
}

/**
 * The overall outcome: reject if any check rejects; else review if any is in review; else
 * approve. A skipped check means the verification is not finished unless it already rejects.
 */
export function decideOverall(checks: CheckResult[]): { status: VerificationStatus; band: Band | null } {
  const bands = checks.filter((c) => c.status === "done").map((c) => c.band);
  if (bands.includes("reject")) return { status: "rejected", band: "reject" };
  if (checks.some((c) => c.status === "skipped")) return { status: "not_finished", band: bands.includes("review") ? "review" : null };
  if (bands.includes("review")) return { status: "in_review", band: "review" };
  return { status: "approved", band: "approve" };
}


function storedFaces(analysis: FaceAnalysis) {
  return { faces: analysis.faces.map(faceToJson), quality: analysis.subject.quality };
}

/** Loads a verification with its images and review case id; null when absent. */
export async function getVerification(db: Database, projectId: string | null, id: string): Promise<VerificationRecord | null> {
  const where = projectId ? and(eq(verifications.id, id), eq(verifications.projectId, projectId)) : eq(verifications.id, id);
  const [row] = await db.select().from(verifications).where(where).limit(1);
  if (!row) return null;
  return (await hydrate(db, [row]))[0];
}

export async function hydrate(db: Database, rows: Array<typeof verifications.$inferSelect>): Promise<VerificationRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const imageRows = await db.select().from(images).where(inArray(images.verificationId, ids));
  const caseRows = await db.select({ id: reviewCases.id, verificationId: reviewCases.verificationId }).from(reviewCases).where(inArray(reviewCases.verificationId, ids));
  return rows.map((row) => ({
    id: row.id,
    projectId: row.projectId,
    type: row.type as VerificationType,
    source: row.source as VerificationSource,
    status: row.status as VerificationStatus,
    band: row.band as Band | null,
    checks: row.checks as CheckResult[],
    policyVersion: row.policyVersion,
    reviewCaseId: caseRows.find((c) => c.verificationId === row.id)?.id ?? null,
    images: imageRows
      .filter((i) => i.verificationId === row.id && !i.purgedAt)
      .sort((a, b) => (a.role === b.role ? a.position - b.position : a.role < b.role ? -1 : 1))
      .map((i) => ({ id: i.id, role: i.role as ImageRole, position: i.position, width: i.width, height: i.height, format: i.format, bytes: i.bytes, faces: i.faces as StoredImage["faces"] })),
    timings: row.timings as Record<string, number | number[]>,
    requestId: row.requestId,
    idempotencyKey: row.idempotencyKey,
    externalRef: row.externalRef,
    apiKeyId: row.apiKeyId,
    createdAt: row.createdAt,
    decidedAt: row.decidedAt,
  }));
}

export async function findIdempotent(db: Database, projectId: string, key: string, requestHash: string): Promise<VerificationRecord | null> {
  const [row] = await db
    .select()
    .from(verifications)
    .where(and(eq(verifications.projectId, projectId), eq(verifications.idempotencyKey, key)))
    .limit(1);
  if (!row) return null;
  if (row.requestHash !== requestHash) {
    throw new AppError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was already used with a different request body.", { verificationId: row.id });
  }
  return (await hydrate(db, [row]))[0];
}

/** Says which image an image or face error is about, so a caller with a gallery can tell. */
export async function naming<T>(image: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isAppError(error)) throw new AppError(error.code, `${image}: ${error.message}`, { ...error.details, image });
    throw error;
  }
}

/**
 * Runs a face verification end to end: inference on every image, a band per check from the
 * project's active policy, then `storeVerification`.
 *
 * With an idempotency key, a repeat of the same request returns the first record (`replayed`)
 * and writes nothing. Image and face errors are thrown before anything is written.
 */
export async function runFaceVerification(db: Database, store: ImageStore, input: VerificationInput): Promise<{ record: VerificationRecord; replayed: boolean }> {
  if (input.idempotencyKey) {
    const existing = await findIdempotent(db, input.projectId, input.idempotencyKey, input.requestHash);
    if (existing) return { record: existing, replayed: true };
  }
  const started = performance.now();
  const wantsMatch = input.type !== "selfie_liveness";
  const wantsLiveness = input.type !== "face_match";
  if (wantsMatch && input.references.length === 0) throw new AppError("INVALID_REQUEST", "A reference photo is required for face matching.");

  const selfieBytes = toImageBytes(input.selfie);
  const referenceBytes = input.references.map(toImageBytes);
  // Liveness runs with the selfie's analysis, so a skipped check costs nothing extra to undo.
  const [selfie, ...references] = await Promise.all([
    // A selfie with a second confident face is refused: whose face is being verified is unclear.
    naming("selfie", analyzeFaces(selfieBytes, { liveness: wantsLiveness, requireSingleFace: true })),
    ...referenceBytes.map((bytes, i) => naming(`${input.referenceRole}[${i}]`, analyzeFaces(bytes, { liveness: false }))),
  ]);
  const inferenceMs = performance.now() - started;

  const policy = await getActivePolicy(db, input.projectId);
  const checks: CheckResult[] = [];
  let bestSimilarity: number | null = null;
  if (wantsMatch) {
    const similarities = references.map((r) => roundTo(cosineSimilarity(selfie.subject.embedding, r.subject.embedding), 4));
    bestSimilarity = Math.max(...similarities);
    checks.push({
      check: "face_match",
      status: "done",
      score: bestSimilarity,
      band: bandFor(bestSimilarity, policy.bands.face_match),
      model: { id: modelInfo.feature.id, version: modelInfo.feature.version },
      details: { similarities, bestIndex: similarities.indexOf(bestSimilarity), metric: "cosine" },
    });
  }
  if (wantsLiveness) {
    const below = input.livenessOnlyIfMatchAtLeast !== undefined && bestSimilarity !== null && bestSimilarity < input.livenessOnlyIfMatchAtLeast;
    const score = roundTo(selfie.subject.liveness ?? 0, 4);
    checks.push({
      check: "selfie_liveness",
      status: below ? "skipped" : "done",
      score: below ? null : score,
      band: below ? null : bandFor(score, policy.bands.selfie_liveness),
      model: { id: modelInfo.liveness.id, version: modelInfo.liveness.version },
      details: below ? { skipped: "MATCH_BELOW_MINIMUM", minimum: input.livenessOnlyIfMatchAtLeast } : { quality: selfie.subject.quality },
    });
  }
  const duplicates = await checkDuplicates(db, { projectId: input.projectId, probe: selfie.subject.embedding, bands: policy.bands, externalRef: input.externalRef });
  if (duplicates) checks.push(duplicates.check);
  const timings = {
    inferenceMs: Math.round(inferenceMs),
    selfieMs: selfie.timingsMs.total,
    referencesMs: references.map((r) => r.timingsMs.total),
  };
  return storeVerification(db, store, {
    ...input,
    checks,
    duplicateCandidates: duplicates?.candidates,
    policyVersion: policy.version,
    timings,
    started,
    images: [
      { role: "selfie" as const, position: 0, bytes: selfieBytes, analysis: selfie },
      ...references.map((analysis, i) => ({ role: input.referenceRole, position: i, bytes: referenceBytes[i], analysis })),
    ].map((img) => ({ role: img.role, position: img.position, bytes: img.bytes, format: img.analysis.image.format, width: img.analysis.image.width, height: img.analysis.image.height, faces: storedFaces(img.analysis) })),
  });
}

/** An image to store with a new verification: its bytes, what was measured, and what to draw over it. */
export interface NewImage {
  role: ImageRole;
  position: number;
  bytes: Uint8Array;
  format: string;
  width: number;
  height: number;
  faces: StoredImage["faces"];
}

/** A verification whose checks are done, ready to be stored. */
export interface NewVerification {
  projectId: string;
  apiKeyId: string | null;
  actor: string;
  source: VerificationSource;
  type: VerificationType;
  requestId: string;
  idempotencyKey?: string | null;
  requestHash: string;
  externalRef?: string | null;
  checks: CheckResult[];
  policyVersion: number;
  images: NewImage[];
  timings: Record<string, number | number[]>;
  /** performance.now() when the request's work began, for `timings.totalMs`. */
  started: number;
  /** Enrolled persons the selfie resembled (the duplicate check's candidates). */
  duplicateCandidates?: DuplicateCandidate[];
}

/**
 * Stores a verification: the overall decision from its checks, then the verification, its
 * images, its review case (when in the review band), its webhook event and an audit event in
 * one transaction. Image bytes are staged before the transaction and published after it
 * commits, so a crash leaves neither a record without images nor images without a record
 * (see ImageStore.recover). A concurrent request with the same idempotency key that commits
 * first wins: its record is returned as a replay.
 */
export async function storeVerification(db: Database, store: ImageStore, input: NewVerification): Promise<{ record: VerificationRecord; replayed: boolean }> {
  const overall = decideOverall(input.checks);
  const verificationId = newId("ver");
  const now = new Date();
  const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
  const imageRows = input.images.map((img) => {
    const id = newId("img");
    return {
      row: {
        id,
        verificationId,
        projectId: input.projectId,
        role: img.role,
        position: img.position,
        sha256: createHash("sha256").update(img.bytes).digest("hex"),
        format: img.format,
        width: img.width,
        height: img.height,
        bytes: img.bytes.byteLength,
        storageKey: `${input.projectId}/${month}/${id}`,
        faces: img.faces,
      },
      bytes: img.bytes,
    };
  });

  await Promise.all(imageRows.map((img) => store.stage(img.row.storageKey, img.bytes)));
  const caseId = overall.band === "review" ? newId("case") : null;
  const timings = { ...input.timings, totalMs: 0 };
  const { checks } = input;
  try {
    await db.transaction(async (tx) => {
      timings.totalMs = Math.round(performance.now() - input.started);
      await tx.insert(verifications).values({
        id: verificationId,
        projectId: input.projectId,
        type: input.type,
        source: input.source,
        status: overall.status,
        band: overall.band,
        checks,
        policyVersion: input.policyVersion,
        timings,
        requestId: input.requestId,
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: input.requestHash,
        apiKeyId: input.apiKeyId,
        externalRef: input.externalRef ?? null,
        createdAt: now,
      });
      await tx.insert(images).values(imageRows.map((i) => i.row));
      if (input.duplicateCandidates) await storeDuplicateCandidates(tx, { verificationId, projectId: input.projectId, candidates: input.duplicateCandidates });
      if (caseId) {
        const reasons = checks.filter((c) => c.band === "review").map((c) => c.check);
        await tx.insert(reviewCases).values({ id: caseId, verificationId, projectId: input.projectId, status: "open", reasons, priority: 0, createdAt: now });
      }
      await enqueueEvent(tx, verificationCompletedEvent({ id: verificationId, projectId: input.projectId, type: input.type, status: overall.status, band: overall.band, checks, policyVersion: input.policyVersion, reviewCaseId: caseId, externalRef: input.externalRef, createdAt: now }));
      await appendAudit(tx, {
        actor: input.actor,
        action: "verification.created",
        projectId: input.projectId,
        verificationId,
        caseId,
        after: { status: overall.status, band: overall.band, policyVersion: input.policyVersion, checks: checks.map((c) => ({ check: c.check, score: c.score, band: c.band })) },
      });
    });
  } catch (error) {
    const keys = imageRows.map((img) => img.row.storageKey);
    // A lost connection leaves the commit in doubt: the images wait for the database to say.
    if (isDatabaseUnavailable(error)) settleStagedImagesLater(db, store, keys);
    else await Promise.all(keys.map((key) => store.discard(key)));
    // A concurrent request with the same idempotency key won the race: answer with its record.
    if (input.idempotencyKey && isUniqueViolation(error)) {
      const existing = await findIdempotent(db, input.projectId, input.idempotencyKey, input.requestHash);
      if (existing) return { record: existing, replayed: true };
    }
    throw error;
  }
  await Promise.all(imageRows.map((img) => store.publish(img.row.storageKey)));

  const record = await getVerification(db, input.projectId, verificationId);
  if (!record) throw new Error(`verification ${verificationId} vanished after commit`);
  return { record, replayed: false };
}

/** Settles images a crash left staged: publishes those whose rows committed, deletes the rest. */
export async function recoverStagedImages(db: Database, store: ImageStore) {
  return store.recover((keys) => committedStorageKeys(db, keys));
}
