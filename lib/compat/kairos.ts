import "server-only";
import type { KairosResponse } from "@/lib/openapi/vendor";
import type { Database } from "@/db/client";
import { callerFields } from "@/lib/auth/api-keys";
import type { Caller } from "@/lib/auth/api-keys";
import { AppError, isAppError } from "@/lib/errors";
import type { ErrorCode } from "@/lib/errors";
import type { ParsedBody } from "@/lib/http/body";
import { answerWith } from "@/lib/http/answer";
import type { ImageInput } from "@/lib/inference";
import type { ImageStore } from "@/lib/storage";
import type { PolicyBands } from "@/lib/verification/policy";
import { getPolicyVersion } from "@/lib/verification/policy";
import { hashRequest, runFaceVerification } from "@/lib/verification/service";
import type { CheckResult, StoredImage, VerificationRecord } from "@/lib/verification/service";
import { roundTo } from "@/lib/round";

/**
 * Kairos-compatible `POST /v0.1/biometric-verification` (seed 002): a multipart `selfie`
 * (liveness, and the probe) and `image` (the photo it must match). `app_id` is the project's
 * slug and `app_key` a Vigil API key of that project.
 *
 * `face_match_confidence` is Vigil's cosine similarity clamped to 0-1 and `faces_liveness`
 * the selfie-liveness score. `decision.details` lists only the checks that did not approve
 * (FAILED_FACE_MATCH, FAILED_SELFIE_LIVENESS with decision "review" or "reject"), with the
 * thresholds of the policy version the record was decided under; an approved verification
 * has no details and all scores 0. Vigil emits no "warning" decisions.
 */

export interface BiometricVerificationRequest {
  selfie: ImageInput;
  image: ImageInput;
}

/** The `app_id` / `app_key` headers; UNAUTHORIZED when either is missing. */
export function kairosCredentials(request: Request): { appId: string; appKey: string } {
  const appId = request.headers.get("app_id")?.trim();
  const appKey = request.headers.get("app_key")?.trim();
  if (!appId || !appKey) throw new AppError("UNAUTHORIZED", "The app_id and app_key headers are required.");
  return { appId, appKey };
}

function oneImage(body: Extract<ParsedBody, { kind: "form" }>, name: "selfie" | "image", what: string): ImageInput {
  const files = body.files[name] ?? [];
  if (files.length > 1) throw new AppError("INVALID_REQUEST", `${name}: send exactly one file`, { field: name });
  const value = files[0] ?? body.fields[name];
  if (!value) throw new AppError("INVALID_REQUEST", `${name}: ${what} is required`, { field: name });
  return value;
}

/** Reads the multipart files `selfie` and `image` (a base64 text field of the same name also works). */
export function parseBiometricVerificationRequest(body: ParsedBody): BiometricVerificationRequest {
  if (body.kind !== "form") throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the request as multipart/form-data.");
  return { selfie: oneImage(body, "selfie", "a selfie image"), image: oneImage(body, "image", "a photo image") };
}

/** Runs a face match with liveness (source "kairos") and answers in Kairos' shape. */
export async function runBiometricVerification(
  db: Database,
  store: ImageStore,
  caller: Caller,
  input: BiometricVerificationRequest,
  request: { requestId: string; requestedAt: Date; idempotencyKey?: string | null },
): Promise<{ record: VerificationRecord; replayed: boolean; body: ReturnType<typeof presentBiometricVerification> }> {
  const { record, replayed } = await runFaceVerification(db, store, {
    ...callerFields(caller),
    source: "kairos",
    type: "face_match_liveness",
    selfie: input.selfie,
    references: [input.image],
    referenceRole: "reference",
    requestId: request.requestId,
    idempotencyKey: request.idempotencyKey ?? null,
    requestHash: hashRequest(["kairos", input.selfie, input.image]),
  });
  const policy = await getPolicyVersion(db, record.projectId, record.policyVersion);
  return { record, replayed, body: presentBiometricVerification(record, policy.bands, { requestId: request.requestId, requestedAt: request.requestedAt, processedAt: new Date() }) };
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** "2024-04-22 06:36:50": Kairos' timestamps, UTC. */
export function formatKairosDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

function presentImage(image: StoredImage | undefined) {
  return {
    faces_predicted: (image?.faces.faces ?? []).map((face) => ({
      confidence: roundTo(face.score, 4),
      delta: { x: roundTo(face.box.x2 - face.box.x1, 4), y: roundTo(face.box.y2 - face.box.y1, 4) },
      top_left: { x: face.box.x1, y: face.box.y1 },
    })),
    img: { height: image?.height ?? 0, width: image?.width ?? 0 },
  };
}

const failures = {
  face_match: { code: "FAILED_FACE_MATCH", text: "Faces do not match; threshold failed" },
  selfie_liveness: { code: "FAILED_SELFIE_LIVENESS", text: "Selfie liveness threshold failed" },
} as const;

/**
 * One decision detail per check that did not approve. The description keeps the documented
 * template "<review> < <actual> (actual) < <approve>" whatever side of the range the score
 * fell on, as Kairos' own example does for a rejected liveness score.
 */
function decisionDetails(checks: CheckResult[], bands: PolicyBands) {
  const details: Array<{ code: string; confidence: number; decision: "review" | "reject"; description: string }> = [];
  for (const check of checks) {
    if (check.check !== "face_match" && check.check !== "selfie_liveness") continue;
    if (check.status !== "done" || check.score === null || (check.band !== "review" && check.band !== "reject")) continue;
    const limits = bands[check.check];
    const failure = failures[check.check];
    details.push({
      code: failure.code,
      // The decision follows from the thresholds alone, so it is certain: Kairos reports 1 too.
      confidence: 1,
      decision: check.band,
      description: `${failure.text}: ${limits.review} < ${roundTo(clamp01(check.score), 4)} (actual) < ${limits.approve}`,
    });
  }
  return details;
}

/** A verification in Kairos' response shape; `bands` are those of the record's policy version. */
export function presentBiometricVerification(record: VerificationRecord, bands: PolicyBands, times: { requestId: string; requestedAt: Date; processedAt: Date }): KairosResponse {
  const match = record.checks.find((c) => c.check === "face_match");
  const liveness = record.checks.find((c) => c.check === "selfie_liveness");
  const selfie = record.images.find((i) => i.role === "selfie");
  const image = record.images.find((i) => i.role === "reference");
  const details = decisionDetails(record.checks, bands);
  return {
    api_req_uid: times.requestId,
    processed_at: formatKairosDate(times.processedAt),
    requested_at: formatKairosDate(times.requestedAt),
    response_code: 1,
    response_data: {
      biometric: {
        face_match_confidence: roundTo(clamp01(match?.score ?? 0), 4),
        image: presentImage(image),
        selfie: { faces_liveness: roundTo(clamp01(liveness?.score ?? 0), 4), ...presentImage(selfie) },
      },
      decision: {
        details,
        reject_score: details.filter((d) => d.decision === "reject").length,
        review_score: details.filter((d) => d.decision === "review").length,
        warning_score: 0,
      },
    },
  };
}

/** The one error body of this endpoint: `{ response_code: 0, errors: [{ code, message }] }`, code = Vigil's. */
export interface KairosErrorBody {
  response_code: 0;
  errors: Array<{ code: string; message: string }>;
}

/**
 * Maps an error onto Kairos' body with Vigil's code and status (401 bad credentials, 403 a
 * key of another project or a spent quota, 4xx bad input); anything that is not an AppError
 * is a generic 500 INTERNAL.
 */
export function toKairosError(error: unknown): { status: number; body: KairosErrorBody } {
  const code: ErrorCode = isAppError(error) ? error.code : "INTERNAL";
  const message = isAppError(error) ? error.message : "Internal error. The request id is in the server log.";
  return { status: isAppError(error) ? error.httpStatus : 500, body: { response_code: 0, errors: [{ code, message }] } };
}

/** Wraps a Kairos-compatible handler: request id in and out, every error in Kairos' shape. */
export function kairosRoute(handler: (request: Request, requestId: string) => Promise<Response>) {
  return (request: Request): Promise<Response> => answerWith(request, (requestId) => handler(request, requestId), (error) => toKairosError(error));
}
