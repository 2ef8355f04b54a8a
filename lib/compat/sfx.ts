import "server-only";
import type { SfxResponse } from "@/lib/openapi/vendor";
import { randomInt } from "node:crypto";
import type { Database } from "@/db/client";
import { callerFields } from "@/lib/auth/api-keys";
import type { Caller } from "@/lib/auth/api-keys";
import { AppError, apiCodeOf, isAppError } from "@/lib/errors";
import type { ApiErrorCode } from "@/lib/errors";
import type { ParsedBody } from "@/lib/http/body";
import { answerWith } from "@/lib/http/answer";
import type { ImageStore } from "@/lib/storage";
import { hashRequest, runFaceVerification } from "@/lib/verification/service";
import type { VerificationRecord, VerificationStatus } from "@/lib/verification/service";
import { roundTo } from "@/lib/round";

/**
 * verified.africa-compatible passive selfie liveness, `POST /sfx-verify/v3/id-service`
 * (seed 004): `Userid` is the project's slug, `ApiKey` a Vigil API key of that project.
 *
 * `verificationStatus` follows the Vigil record: approved VERIFIED, rejected NOT VERIFIED,
 * in review (or not finished) PENDING, so a borderline selfie answers "00" + PENDING while it
 * waits in the review queue. `response.live_score` is the liveness score x 100 and
 * `pop_score` 100 minus it; `livenessScore` is the liveness score on Vigil's 0-1 scale.
 */

/** The one verificationType this endpoint serves, "exactly as provided" (seed 004). */
export const PASSIVE_LIVENESS = "PASSIVE-LIVELINESS-VERIFICATION";

/** What an error body echoes of the request, filled in as far as it was read. */
export interface SfxEcho {
  verificationType: string | null;
  transactionReference: string | null;
}

export interface PassiveLivenessRequest {
  selfie: string;
  /** The caller's reference, or null to generate one. */
  transactionReference: string | null;
}

/** The `Userid` / `ApiKey` headers; UNAUTHORIZED when either is missing. */
export function sfxCredentials(request: Request): { userId: string; apiKey: string } {
  const userId = request.headers.get("userid")?.trim();
  const apiKey = request.headers.get("apikey")?.trim();
  if (!userId || !apiKey) throw new AppError("UNAUTHORIZED", "The Userid and ApiKey headers are required.");
  return { userId, apiKey };
}

const invalid = (field: string, message: string) => new AppError("INVALID_REQUEST", `${field} ${message}`, { field });

/**
 * Reads the JSON body: verificationType (exactly PASSIVE-LIVELINESS-VERIFICATION), selfie
 * (base64 or a data URL; the documentation's table spells it "Selfie", so that is accepted
 * too) and an optional transactionReference. Fills `echo` as it goes.
 */
export function parsePassiveLivenessRequest(body: ParsedBody, echo: SfxEcho): PassiveLivenessRequest {
  const value = body.kind === "json" && typeof body.value === "object" && body.value !== null && !Array.isArray(body.value) ? (body.value as Record<string, unknown>) : {};
  if (typeof value.verificationType === "string") echo.verificationType = value.verificationType;
  const reference = value.transactionReference;
  if (reference !== undefined && reference !== null && reference !== "") {
    if (typeof reference !== "string" || reference.length > 200) throw invalid("transactionReference", "must be a string of at most 200 characters");
    echo.transactionReference = reference;
  }
  if (value.verificationType === undefined || value.verificationType === null || value.verificationType === "") throw invalid("verificationType", "is required");
  if (value.verificationType !== PASSIVE_LIVENESS) throw invalid("verificationType", `must be ${PASSIVE_LIVENESS}`);
  const selfie = value.selfie ?? value.Selfie;
  if (selfie === undefined || selfie === null || selfie === "") throw invalid("selfie", "is required");
  if (typeof selfie !== "string") throw invalid("selfie", "must be a base64 image or a data URL");
  return { selfie, transactionReference: echo.transactionReference };
}

const referenceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A reference in the vendor's documented form: milliseconds, a dash, 8 characters ("1628016393774-LH92B5CT"). */
export function newTransactionReference(now = Date.now()): string {
  let suffix = "";
  for (let i = 0; i < 8; i++) suffix += referenceAlphabet[randomInt(referenceAlphabet.length)];
  return `${now}-${suffix}`;
}

/** Runs selfie liveness (source "sfx"; the transaction reference is the record's externalRef). */
export async function runPassiveLiveness(
  db: Database,
  store: ImageStore,
  caller: Caller,
  input: PassiveLivenessRequest,
  requestId: string,
  idempotencyKey: string | null = null,
): Promise<{ record: VerificationRecord; replayed: boolean; body: ReturnType<typeof presentPassiveLiveness> }> {
  const transactionReference = input.transactionReference ?? newTransactionReference();
  const { record, replayed } = await runFaceVerification(db, store, {
    ...callerFields(caller),
    source: "sfx",
    type: "selfie_liveness",
    selfie: input.selfie,
    references: [],
    referenceRole: "reference",
    requestId,
    idempotencyKey,
    // The reference as sent: one made up for a request without it differs on every retry.
    requestHash: hashRequest(["sfx", input.selfie, input.transactionReference ?? null]),
    externalRef: transactionReference,
  });
  // A replay answers the reference the first request was stored under.
  return { record, replayed, body: presentPassiveLiveness(record, record.externalRef ?? transactionReference) };
}

const verificationStatuses: Record<VerificationStatus, "VERIFIED" | "NOT VERIFIED" | "PENDING"> = {
  approved: "VERIFIED",
  rejected: "NOT VERIFIED",
  in_review: "PENDING",
  not_finished: "PENDING",
  resubmission_requested: "PENDING",
};


/** A verification in the vendor's response shape. */
export function presentPassiveLiveness(record: VerificationRecord, transactionReference: string): SfxResponse {
  const liveness = record.checks.find((c) => c.check === "selfie_liveness");
  const score = Math.min(1, Math.max(0, liveness?.score ?? 0));
  const liveScore = roundTo(score * 100, 3);
  return {
    responseCode: "00",
    description: "Success",
    verificationType: PASSIVE_LIVENESS,
    verificationStatus: verificationStatuses[record.status],
    transactionStatus: "SUCCESSFUL",
    transactionReference,
    transactionDate: String(record.createdAt.getTime()),
    searchParameter: null,
    callBackUrl: null,
    livenessScore: roundTo(score, 4),
    paymentRef: null,
    response: { pop_score: roundTo(100 - liveScore, 3), live_score: liveScore },
    faceMatch: null,
  };
}

/**
 * responseCode and HTTP status per Vigil error code. Every input problem is HTTP 400 (the
 * only input status the vendor documents); the responseCode tells them apart:
 * 01 invalid request, 02 invalid image, 03 no usable face, 04 invalid credentials (401),
 * 05 Userid is not the key's project (403), 06 quota used up (403), 99 system error (5xx).
 */
const sfxErrors: Record<ApiErrorCode, { status: number; responseCode: string }> = {
  INVALID_REQUEST: { status: 400, responseCode: "01" },
  BODY_TOO_LARGE: { status: 400, responseCode: "01" },
  UNSUPPORTED_MEDIA_TYPE: { status: 400, responseCode: "01" },
  GALLERY_TOO_LARGE: { status: 400, responseCode: "01" },
  IDEMPOTENCY_KEY_REUSED: { status: 400, responseCode: "01" },
  NOT_FOUND: { status: 400, responseCode: "01" },
  INVALID_IMAGE: { status: 400, responseCode: "02" },
  UNSUPPORTED_FORMAT: { status: 400, responseCode: "02" },
  IMAGE_TOO_LARGE: { status: 400, responseCode: "02" },
  IMAGE_TOO_SMALL: { status: 400, responseCode: "02" },
  NO_FACE_FOUND: { status: 400, responseCode: "03" },
  MULTIPLE_FACES: { status: 400, responseCode: "03" },
  // Document codes never arise on this selfie endpoint; mapped as image problems for completeness.
  DOCUMENT_NOT_FOUND: { status: 400, responseCode: "02" },
  TOO_MANY_DOCUMENTS: { status: 400, responseCode: "02" },
  DOCUMENT_TOO_SMALL: { status: 400, responseCode: "02" },
  DOCUMENT_CROPPED: { status: 400, responseCode: "02" },
  DOCUMENT_TOO_CLOSE_TO_BORDER: { status: 400, responseCode: "02" },
  DOCUMENT_TOO_CLOSE_TO_CAMERA: { status: 400, responseCode: "02" },
  DOCUMENT_PHOTO_NOT_FOUND: { status: 400, responseCode: "03" },
  // Search and enrollment codes never arise on this endpoint.
  LIVENESS_FAILED: { status: 400, responseCode: "03" },
  FACES_DO_NOT_MATCH: { status: 400, responseCode: "03" },
  DUPLICATE_PERSON: { status: 400, responseCode: "01" },
  EXTERNAL_REF_TAKEN: { status: 400, responseCode: "01" },
  UNAUTHORIZED: { status: 401, responseCode: "04" },
  FORBIDDEN: { status: 403, responseCode: "05" },
  QUOTA_EXCEEDED: { status: 403, responseCode: "06" },
  // Like a spent quota, but for this minute only (Retry-After says when).
  RATE_LIMITED: { status: 429, responseCode: "06" },
  MODELS_UNAVAILABLE: { status: 503, responseCode: "99" },
  DATABASE_UNAVAILABLE: { status: 503, responseCode: "99" },
  INTERNAL: { status: 500, responseCode: "99" },
};

/**
 * The error body: the success shape with a non-"00" responseCode, the reason in
 * `description`, verificationStatus PENDING ("could not be completed; refer to the
 * responseCode", seed 004), transactionStatus FAILED and no scores.
 */
export function toSfxError(error: unknown, echo: SfxEcho, now = Date.now()) {
  const mapped = isAppError(error) ? sfxErrors[apiCodeOf(error)] : sfxErrors.INTERNAL;
  return {
    status: mapped.status,
    body: {
      responseCode: mapped.responseCode,
      description: isAppError(error) ? error.message : "Internal error. The request id is in the server log.",
      verificationType: echo.verificationType,
      verificationStatus: "PENDING" as const,
      transactionStatus: "FAILED" as const,
      transactionReference: echo.transactionReference,
      transactionDate: String(now),
      searchParameter: null,
      callBackUrl: null,
      livenessScore: null,
      paymentRef: null,
      response: null,
      faceMatch: null,
    },
  };
}

/** Wraps a handler: request id in and out, every error in the vendor's shape. */
export function sfxRoute(handler: (request: Request, requestId: string, echo: SfxEcho) => Promise<Response>) {
  return (request: Request): Promise<Response> => {
    // Filled in by the handler as it reads the body, so that errors can echo it back.
    const echo: SfxEcho = { verificationType: null, transactionReference: null };
    return answerWith(request, (requestId) => handler(request, requestId, echo), (error) => toSfxError(error, echo));
  };
}
