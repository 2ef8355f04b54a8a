import "server-only";
import type { VerifikCompareResponse } from "@/lib/openapi/vendor";
import type { Database } from "@/db/client";
import { callerFields } from "@/lib/auth/api-keys";
import type { Caller } from "@/lib/auth/api-keys";
import { getEnv } from "@/lib/env";
import { AppError, apiCodeOf, isAppError } from "@/lib/errors";
import type { ApiErrorCode } from "@/lib/errors";
import type { ParsedBody } from "@/lib/http/body";
import { answerWith } from "@/lib/http/answer";
import type { ImageStore } from "@/lib/storage";
import { getActivePolicy, getPolicyVersion } from "@/lib/verification/policy";
import type { PolicyBands } from "@/lib/verification/policy";
import { hashRequest, runFaceVerification } from "@/lib/verification/service";
import type { VerificationRecord } from "@/lib/verification/service";
import { roundTo } from "@/lib/round";

/**
 * Verifik-compatible `POST /v2/face-recognition/compare-with-liveness` (seed 000): a probe
 * selfie against a gallery (1:N, the best match counts), then selfie liveness on the probe
 * unless the best match is below `compare_min_score`.
 *
 * `result.score` and `compare_min_score` are on Verifik's scale (see `toVerifikScore`), not
 * raw cosine; `search_mode` is echoed, both modes run the same models. The Vigil record is
 * banded by the project's policy; the caller's `liveness_min_score` only decides
 * `liveness.result.passed`.
 */

/** Documented limits of the request's thresholds (seed 000: "[min 0.67 - max 0.95]", "[min 0.52 - max 1]"). */
export const COMPARE_MIN_SCORE_RANGE = { min: 0.67, max: 0.95 } as const;
export const LIVENESS_MIN_SCORE_RANGE = { min: 0.52, max: 1 } as const;
export const SEARCH_MODES = ["FAST", "ACCURATE"] as const;
export const OPERATING_SYSTEMS = ["DESKTOP", "IOS", "ANDROID"] as const;
/**
 * Verifik's comparison scores live on their own scale: its documented thresholds run from
 * 0.67 to 0.95 (0.85 in its example), while Vigil's cosine similarity approves at 0.55 and
 * goes to review at 0.40. Compared as is, a genuine pair at cosine 0.70 would fail the
 * example threshold. So the cosine is mapped piecewise-linearly through the project's
 * face-match bands: 0 -> 0, review -> 0.67 (Verifik's lowest threshold), approve -> 0.85
 * (its example threshold), 1 -> 1; and `compare_min_score` is read on the same scale.
 */
export const VERIFIK_REVIEW_SCORE = 0.67;
export const VERIFIK_APPROVE_SCORE = 0.85;

function anchors(bands: PolicyBands): Array<[number, number]> {
  return [
    [0, 0],
    [bands.face_match.review, VERIFIK_REVIEW_SCORE],
    [bands.face_match.approve, VERIFIK_APPROVE_SCORE],
    [1, 1],
  ];
}

function interpolate(points: Array<[number, number]>, x: number): number {
  if (x <= points[0][0]) return points[0][1];
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    if (x <= x1) return x1 === x0 ? y1 : y0 + ((x - x0) * (y1 - y0)) / (x1 - x0);
  }
  return points[points.length - 1][1];
}

/** A cosine similarity on Verifik's score scale, under the project's face-match bands. */
export function toVerifikScore(cosine: number, bands: PolicyBands): number {
  return interpolate(anchors(bands), cosine);
}

/** The cosine similarity that a Verifik-scale score stands for (the inverse of toVerifikScore). */
export function fromVerifikScore(score: number, bands: PolicyBands): number {
  return interpolate(anchors(bands).map(([x, y]): [number, number] => [y, x]), score);
}

/** What the certificate says in place of "Certified by Verifik.co". */
export const SIGNATURE_MESSAGE = "Certified by Vigil";

export type SearchMode = (typeof SEARCH_MODES)[number];
export type OperatingSystem = (typeof OPERATING_SYSTEMS)[number];

export interface CompareWithLivenessRequest {
  os: OperatingSystem;
  probe: string;
  gallery: string[];
  searchMode: SearchMode;
  /** null: the project's face-match approve threshold. */
  compareMinScore: number | null;
  /** null: the project's selfie-liveness approve threshold. */
  livenessMinScore: number | null;
}

/** INVALID_REQUEST with `details.missing`: answered as `MissingParameter` (`missing <field>\n`). */
export const missing = (field: string) => new AppError("INVALID_REQUEST", `missing ${field}`, { field, missing: true });
/** INVALID_REQUEST naming the field: answered as `InvalidArgument`. */
export const invalid = (field: string, message: string) => new AppError("INVALID_REQUEST", `${field} ${message}`, { field });
export const isAbsent = (value: unknown) => value === undefined || value === null || value === "";

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  const upper = typeof value === "string" ? value.trim().toUpperCase() : null;
  const found = allowed.find((a) => a === upper);
  if (!found) throw invalid(field, `must be one of ${allowed.join(", ")}`);
  return found;
}

export function optionalScore(field: string, value: unknown, range: { min: number; max: number }): number | null {
  if (isAbsent(value)) return null;
  const score = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(score)) throw invalid(field, "must be a number");
  if (score < range.min || score > range.max) throw invalid(field, `must be between ${range.min} and ${range.max}`);
  return score;
}

/**
 * Reads the JSON body. Missing parameters are checked in the order of the documented errors
 * (search_mode, probe, gallery) and throw INVALID_REQUEST with `details.missing`, which the
 * error mapper answers as `MissingParameter`; other bad values answer `InvalidArgument`.
 */
export function parseCompareWithLivenessRequest(body: ParsedBody): CompareWithLivenessRequest {
  const value = body.kind === "json" && typeof body.value === "object" && body.value !== null && !Array.isArray(body.value) ? (body.value as Record<string, unknown>) : {};

  if (isAbsent(value.search_mode)) throw missing("search_mode");
  const searchMode = oneOf("search_mode", value.search_mode, SEARCH_MODES);

  if (isAbsent(value.probe)) throw missing("probe");
  if (typeof value.probe !== "string") throw invalid("probe", "must be a base64 image or a data URL");

  if (isAbsent(value.gallery) || (Array.isArray(value.gallery) && value.gallery.length === 0)) throw missing("gallery");
  if (!Array.isArray(value.gallery)) throw invalid("gallery", "must be an array of base64 images or data URLs");
  const gallery = value.gallery.map((image, i) => {
    if (typeof image !== "string" || image === "") throw invalid(`gallery[${i}]`, "must be a base64 image or a data URL");
    return image;
  });
  const max = getEnv().VIGIL_MAX_GALLERY;
  if (gallery.length > max) throw new AppError("GALLERY_TOO_LARGE", `gallery must hold at most ${max} images`, { field: "gallery", max });

  return {
    os: isAbsent(value.os) ? "DESKTOP" : oneOf("os", value.os, OPERATING_SYSTEMS),
    probe: value.probe,
    gallery,
    searchMode,
    compareMinScore: optionalScore("compare_min_score", value.compare_min_score, COMPARE_MIN_SCORE_RANGE),
    livenessMinScore: optionalScore("liveness_min_score", value.liveness_min_score, LIVENESS_MIN_SCORE_RANGE),
  };
}

/**
 * Runs the verification (source "verifik", gallery images stored with role "gallery") and
 * answers in Verifik's shape. Without `compare_min_score` the project's approve threshold
 * stands in (0.85 on Verifik's scale), without `liveness_min_score` the liveness approve
 * threshold: liveness runs whenever the match alone would approve.
 */
export async function compareWithLiveness(
  db: Database,
  store: ImageStore,
  caller: Caller,
  input: CompareWithLivenessRequest,
  requestId: string,
  idempotencyKey: string | null = null,
): Promise<{ record: VerificationRecord; replayed: boolean; body: ReturnType<typeof presentCompareWithLiveness> }> {
  const policy = await getActivePolicy(db, caller.project.id);
  const compareMinScore = input.compareMinScore ?? VERIFIK_APPROVE_SCORE;
  const livenessMinScore = input.livenessMinScore ?? policy.bands.selfie_liveness.approve;
  const { record, replayed } = await runFaceVerification(db, store, {
    ...callerFields(caller),
    source: "verifik",
    type: "face_match_liveness",
    selfie: input.probe,
    references: input.gallery,
    referenceRole: "gallery",
    requestId,
    idempotencyKey,
    requestHash: hashRequest(["verifik", input.searchMode, input.os, compareMinScore, livenessMinScore, input.probe, ...input.gallery]),
    livenessOnlyIfMatchAtLeast: fromVerifikScore(compareMinScore, policy.bands),
  });
  // The bands the record was decided under (a replay may predate a policy change).
  const decidedUnder = record.policyVersion === policy.version ? policy : await getPolicyVersion(db, caller.project.id, record.policyVersion);
  return { record, replayed, body: presentCompareWithLiveness(record, { os: input.os, searchMode: input.searchMode, livenessMinScore, bands: decidedUnder.bands }) };
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** "September 15, 2024 3:13 AM" in UTC, the certificate's documented format. */
export function formatSignatureDate(date: Date): string {
  const hours = date.getUTCHours();
  const minutes = String(date.getUTCMinutes()).padStart(2, "0");
  return `${months[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()} ${hours % 12 || 12}:${minutes} ${hours < 12 ? "AM" : "PM"}`;
}

/**
 * A verification in Verifik's response shape. `client` is the project id; `_id` and `id` are
 * the verification id (one Vigil record stands behind both sections). `liveness` is present
 * only when liveness ran.
 */
export function presentCompareWithLiveness(record: VerificationRecord, options: { os: OperatingSystem; searchMode: SearchMode; livenessMinScore: number; bands: PolicyBands }): VerifikCompareResponse {
  const match = record.checks.find((c) => c.check === "face_match");
  const liveness = record.checks.find((c) => c.check === "selfie_liveness");
  const at = record.createdAt.toISOString();
  const comparison: VerifikCompareResponse["data"]["comparison"] = {
    client: record.projectId,
    type: "compareLive",
    search_mode: options.searchMode,
    gallery: [] as string[],
    probe: [] as string[],
    status: "success",
    _id: record.id,
    comparedAt: at,
    result: { score: roundTo(toVerifikScore(match?.score ?? 0, options.bands), 4) },
    updatedAt: at,
    createdAt: at,
    __v: 0,
  };
  const livenessScore = liveness?.status === "done" && liveness.score !== null ? roundTo(clamp01(liveness.score), 4) : null;
  const data: VerifikCompareResponse["data"] =
    livenessScore === null
      ? { comparison }
      : {
          comparison,
          liveness: {
            client: record.projectId,
            type: "liveness",
            status: "success",
            search_mode: options.searchMode,
            os: options.os,
            liveness_min_score: options.livenessMinScore,
            _id: record.id,
            result: { liveness_score: livenessScore, passed: livenessScore >= options.livenessMinScore, min_score: options.livenessMinScore },
            updatedAt: at,
            createdAt: at,
            __v: 0,
          },
        };
  return { data, signature: { dateTime: formatSignatureDate(record.createdAt), message: SIGNATURE_MESSAGE }, id: record.id };
}

/** Verifik's error body (restify style): `{ code, message }`. */
export interface VerifikErrorBody {
  code: string;
  message: string;
}

/**
 * Vigil error code -> HTTP status and Verifik code. Parameter errors follow the documented
 * `MissingParameter` (409, restify's status for it) and restify's `InvalidArgument`; image
 * errors keep Vigil's status with the code in PascalCase.
 */
const verifikErrors: Record<ApiErrorCode, { status: number; code: string }> = {
  INVALID_REQUEST: { status: 409, code: "InvalidArgument" },
  GALLERY_TOO_LARGE: { status: 409, code: "InvalidArgument" },
  BODY_TOO_LARGE: { status: 413, code: "RequestEntityTooLarge" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: "UnsupportedMediaType" },
  UNAUTHORIZED: { status: 401, code: "InvalidCredentials" },
  FORBIDDEN: { status: 403, code: "NotAuthorized" },
  QUOTA_EXCEEDED: { status: 403, code: "QuotaExceeded" },
  RATE_LIMITED: { status: 429, code: "TooManyRequests" },
  NOT_FOUND: { status: 404, code: "ResourceNotFound" },
  IDEMPOTENCY_KEY_REUSED: { status: 409, code: "InvalidArgument" },
  INVALID_IMAGE: { status: 400, code: "InvalidImage" },
  UNSUPPORTED_FORMAT: { status: 415, code: "UnsupportedFormat" },
  IMAGE_TOO_LARGE: { status: 413, code: "ImageTooLarge" },
  IMAGE_TOO_SMALL: { status: 422, code: "ImageTooSmall" },
  NO_FACE_FOUND: { status: 422, code: "NoFaceFound" },
  MULTIPLE_FACES: { status: 422, code: "MultipleFaces" },
  // Document codes never arise on this face endpoint; PascalCase like the other image errors.
  DOCUMENT_NOT_FOUND: { status: 422, code: "DocumentNotFound" },
  TOO_MANY_DOCUMENTS: { status: 422, code: "TooManyDocuments" },
  DOCUMENT_TOO_SMALL: { status: 422, code: "DocumentTooSmall" },
  DOCUMENT_CROPPED: { status: 422, code: "DocumentCropped" },
  DOCUMENT_TOO_CLOSE_TO_BORDER: { status: 422, code: "DocumentTooCloseToBorder" },
  DOCUMENT_TOO_CLOSE_TO_CAMERA: { status: 422, code: "DocumentTooCloseToCamera" },
  DOCUMENT_PHOTO_NOT_FOUND: { status: 422, code: "DocumentPhotoNotFound" },
  LIVENESS_FAILED: { status: 422, code: "LivenessFailed" },
  FACES_DO_NOT_MATCH: { status: 422, code: "FacesDoNotMatch" },
  DUPLICATE_PERSON: { status: 409, code: "DuplicatePerson" },
  EXTERNAL_REF_TAKEN: { status: 409, code: "InvalidArgument" },
  MODELS_UNAVAILABLE: { status: 503, code: "ServiceUnavailable" },
  DATABASE_UNAVAILABLE: { status: 503, code: "ServiceUnavailable" },
  INTERNAL: { status: 500, code: "InternalError" },
};

/**
 * Maps an error onto Verifik's body. Parameter messages end in "\n" as the documented
 * `MissingParameter` bodies do; an unparseable body is `InvalidContent` (400); anything
 * that is not an AppError is a generic `InternalError`.
 */
export function toVerifikError(error: unknown): { status: number; body: VerifikErrorBody } {
  if (!isAppError(error)) return { status: 500, body: { code: "InternalError", message: "Internal error. The request id is in the server log." } };
  if (error.code === "INVALID_REQUEST" && error.details?.missing === true) return { status: 409, body: { code: "MissingParameter", message: `${error.message}\n` } };
  if (error.code === "INVALID_REQUEST" && !error.details?.field) return { status: 400, body: { code: "InvalidContent", message: error.message } };
  const mapped = verifikErrors[apiCodeOf(error)];
  const isParameter = error.code === "INVALID_REQUEST" || error.code === "GALLERY_TOO_LARGE";
  return { status: mapped.status, body: { code: mapped.code, message: isParameter ? `${error.message}\n` : error.message } };
}

/** Wraps a Verifik-compatible handler: request id in and out, every error in Verifik's shape. */
export function verifikRoute<C = unknown>(handler: (request: Request, requestId: string, context: C) => Promise<Response>) {
  return (request: Request, context?: C): Promise<Response> => answerWith(request, (requestId) => handler(request, requestId, context as C), (error) => toVerifikError(error));
}
