import "server-only";
import { eq } from "drizzle-orm";
import type { Database, Transaction } from "@/db/client";
import { duplicateCandidates, persons, reviewCases, verifications } from "@/db/schema";
import type { Band } from "@/lib/verification/policy";
import type { CheckResult, VerificationStatus, VerificationType } from "@/lib/verification/service";

/** Event types an endpoint can subscribe to. `ping` is sent only by "Send test event". */
export const WEBHOOK_EVENT_TYPES = ["verification.completed", "review.decided", "duplicate.decided"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** An event as the code that causes it hands it to the outbox. */
export interface WebhookEvent<T extends WebhookEventType | "ping" = WebhookEventType | "ping"> {
  projectId: string;
  type: T;
  data: Record<string, unknown>;
}

/** What every delivery's body is: frozen when the event happened, identical on every attempt. */
export interface WebhookPayload {
  /** The event id (evt_...): the same for every endpoint and every redelivery of this event. */
  id: string;
  type: WebhookEventType | "ping";
  createdAt: string;
  data: Record<string, unknown>;
}

/** A check as receivers see it: scores and bands, never images, embeddings or face data. */
function checkSummary(check: CheckResult) {
  return { check: check.check, status: check.status, score: check.score, band: check.band, model: check.model };
}

/**
 * `verification.completed`: a verification was stored with its automatic decision (approved,
 * rejected, in review with its case id, or not finished). No images, image URLs, faces or
 * embeddings: a receiver that needs them asks the API with its key.
 */
export function verificationCompletedEvent(v: {
  id: string;
  projectId: string;
  type: VerificationType;
  status: VerificationStatus;
  band: Band | null;
  checks: CheckResult[];
  policyVersion: number;
  reviewCaseId: string | null;
  externalRef?: string | null;
  createdAt: Date;
}): WebhookEvent<"verification.completed"> {
  return {
    projectId: v.projectId,
    type: "verification.completed",
    data: {
      verificationId: v.id,
      projectId: v.projectId,
      type: v.type,
      status: v.status,
      band: v.band,
      checks: v.checks.map(checkSummary),
      policyVersion: v.policyVersion,
      reviewCaseId: v.reviewCaseId,
      externalRef: v.externalRef ?? null,
      createdAt: v.createdAt.toISOString(),
    },
  };
}

/** `user:usr_...` -> `usr_...`; other actors (system, key:...) unchanged. */
function userIdOf(actor: string | null): string | null {
  return actor?.startsWith("user:") ? actor.slice(5) : actor;
}

/**
 * `review.decided`: a review case reached its final decision, read back inside the deciding
 * transaction so the payload is exactly what commits. Also sent when a second reviewer confirms
 * or turns down an overturned automatic reject (four eyes), never for the proposal alone.
 */
export async function reviewDecidedEvent(tx: Database | Transaction, caseId: string): Promise<WebhookEvent<"review.decided">> {
  const [row] = await tx
    .select({ c: reviewCases, status: verifications.status })
    .from(reviewCases)
    .innerJoin(verifications, eq(verifications.id, reviewCases.verificationId))
    .where(eq(reviewCases.id, caseId))
    .limit(1);
  if (!row) throw new Error(`review case ${caseId} not found for its review.decided event`);
  const c = row.c;
  return {
    projectId: c.projectId,
    type: "review.decided",
    data: {
      caseId: c.id,
      verificationId: c.verificationId,
      projectId: c.projectId,
      decision: c.decision,
      reasonCode: c.reasonCode,
      status: row.status,
      decidedBy: userIdOf(c.decidedBy),
      confirmedBy: userIdOf(c.confirmedBy),
      decidedAt: c.decidedAt?.toISOString() ?? null,
    },
  };
}

/**
 * `duplicate.decided`: a reviewer said whether a possible duplicate found at onboarding is
 * the same person as an enrolled one. Read back inside the verdict's transaction. The
 * person's `externalRef` lets a receiver find the existing customer in its own records.
 */
export async function duplicateDecidedEvent(tx: Database | Transaction, candidateId: string): Promise<WebhookEvent<"duplicate.decided">> {
  const [row] = await tx
    .select({ d: duplicateCandidates, externalRef: persons.externalRef, caseId: reviewCases.id })
    .from(duplicateCandidates)
    .leftJoin(persons, eq(persons.id, duplicateCandidates.personId))
    .leftJoin(reviewCases, eq(reviewCases.verificationId, duplicateCandidates.verificationId))
    .where(eq(duplicateCandidates.id, candidateId))
    .limit(1);
  if (!row) throw new Error(`duplicate candidate ${candidateId} not found for its duplicate.decided event`);
  const d = row.d;
  return {
    projectId: d.projectId,
    type: "duplicate.decided",
    data: {
      candidateId: d.id,
      verificationId: d.verificationId,
      caseId: row.caseId,
      projectId: d.projectId,
      personId: d.personId,
      externalRef: row.externalRef,
      similarity: d.similarity,
      verdict: d.verdict,
      decidedBy: userIdOf(d.decidedBy),
      decidedAt: d.decidedAt?.toISOString() ?? null,
    },
  };
}

/** `ping`: what "Send test event" sends to one endpoint. */
export function pingEvent(projectId: string, endpointId: string): WebhookEvent<"ping"> {
  return { projectId, type: "ping", data: { endpointId, message: "Test event from Vigil. Answer 2xx to acknowledge." } };
}
