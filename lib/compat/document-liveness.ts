import "server-only";
import type { Database } from "@/db/client";
import type { Caller } from "@/lib/auth/api-keys";
import { callerFields } from "@/lib/auth/api-keys";
import { AppError, isAppError } from "@/lib/errors";
import type { ParsedBody } from "@/lib/http/body";
import { answerWith } from "@/lib/http/answer";
import { fetchRemoteImage, isImageUrl } from "@/lib/http/remote-image";
import { roundTo } from "@/lib/round";
import type { ImageStore } from "@/lib/storage";
import { runDocumentVerification } from "@/lib/verification/document";
import type { VerificationRecord } from "@/lib/verification/service";
import { hashRequest } from "@/lib/verification/service";

/**
 * Document passive liveness, `POST /api/v1/document/liveness` (seed 003): HTTP Basic auth
 * (user name: the project's slug, or empty; password: a Vigil API key with the `documents`
 * scope), `sessionId` echoed, `frontSideImageBase` (or `documentImageBase`) and an optional
 * `backSideImageBase` as base64 or, when the server allows it, an https URL. Answers
 * `{ sessionId, score, hasError: false }`; a photo without a usable document answers
 * `{ sessionId, hasError: true, error: "DOCUMENT_NOT_FOUND" | ... }` as the vendor does.
 */

const DOCUMENT_CODES = new Set(["DOCUMENT_NOT_FOUND", "TOO_MANY_DOCUMENTS", "DOCUMENT_TOO_SMALL", "DOCUMENT_CROPPED", "DOCUMENT_TOO_CLOSE_TO_BORDER", "DOCUMENT_TOO_CLOSE_TO_CAMERA", "DOCUMENT_PHOTO_NOT_FOUND"]);

export interface DocumentLivenessRequest {
  sessionId: string | null;
  front: string;
  back: string | null;
}

/** The session id as far as it was read, for the error body. */
export interface DocumentLivenessEcho {
  sessionId: string | null;
}

/** `Authorization: Basic base64(user:password)`; UNAUTHORIZED when absent or malformed. */
export function basicCredentials(request: Request): { user: string; password: string } {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) throw new AppError("UNAUTHORIZED", "HTTP Basic authentication is required: the user name is the project, the password an API key.");
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw new AppError("UNAUTHORIZED", "The Basic credentials are malformed.");
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const invalid = (field: string, message: string) => new AppError("INVALID_REQUEST", `${field} ${message}`, { field });

/** Reads the JSON body; fills `echo.sessionId` first so even a bad request echoes it. */
export function parseDocumentLivenessRequest(body: ParsedBody, echo: DocumentLivenessEcho): DocumentLivenessRequest {
  if (body.kind !== "json" || typeof body.value !== "object" || body.value === null || Array.isArray(body.value)) {
    throw new AppError("INVALID_REQUEST", "The body must be a JSON object.");
  }
  const value = body.value as Record<string, unknown>;
  if (value.sessionId !== undefined && value.sessionId !== null) {
    if (typeof value.sessionId !== "string" || value.sessionId.length > 200) throw invalid("sessionId", "must be a string of at most 200 characters");
    echo.sessionId = value.sessionId;
  }
  const image = (field: string): string | null => {
    const v = value[field];
    if (v === undefined || v === null || v === "") return null;
    if (typeof v !== "string") throw invalid(field, "must be a base64 string or an https URL");
    return v;
  };
  const front = image("frontSideImageBase") ?? image("documentImageBase");
  if (!front) throw new AppError("INVALID_REQUEST", "frontSideImageBase (or documentImageBase) is required.", { field: "frontSideImageBase", missing: true });
  return { sessionId: echo.sessionId, front, back: image("backSideImageBase") };
}

/** An image field's bytes: base64 as is, an https URL fetched under the remote-image rules. */
async function resolveImage(value: string): Promise<string | Buffer> {
  return isImageUrl(value) ? fetchRemoteImage(value.trim()) : value;
}

/** Runs the check and stores it as a verification (type document_liveness) of the caller's project. */
export async function runDocumentLiveness(
  db: Database,
  store: ImageStore,
  caller: Caller,
  input: DocumentLivenessRequest,
  requestId: string,
  idempotencyKey: string | null = null,
): Promise<{ record: VerificationRecord; replayed: boolean; body: { sessionId: string | null; score: number; hasError: false } }> {
  const [front, back] = await Promise.all([resolveImage(input.front), input.back ? resolveImage(input.back) : null]);
  const { record, replayed } = await runDocumentVerification(db, store, {
    ...callerFields(caller),
    source: "docliveness",
    front,
    back,
    requestId,
    idempotencyKey,
    requestHash: hashRequest([input.front, input.back]),
    externalRef: input.sessionId,
  });
  const check = record.checks.find((c) => c.check === "document_liveness");
  return { record, replayed, body: { sessionId: input.sessionId, score: roundTo(check?.score ?? 0, 6), hasError: false } };
}

/**
 * The error answer: the vendor's `{ sessionId, hasError: true, error }` with Vigil's code in
 * `error` and a readable `message`. Document problems are the vendor's documented outcomes:
 * HTTP 200, as its clients expect; request problems keep their 4xx status.
 */
export function toDocumentLivenessError(error: unknown, echo: DocumentLivenessEcho): { status: number; body: { sessionId: string | null; hasError: true; error: string; message: string } } {
  if (!isAppError(error)) {
    return { status: 500, body: { sessionId: echo.sessionId, hasError: true, error: "INTERNAL", message: "Internal error. The request id is in the server log." } };
  }
  return { status: DOCUMENT_CODES.has(error.code) ? 200 : error.httpStatus, body: { sessionId: echo.sessionId, hasError: true, error: error.code, message: error.message } };
}

/** Wraps the handler: request id in and out, every error in the vendor's shape. */
export function documentLivenessRoute(handler: (request: Request, requestId: string, echo: DocumentLivenessEcho) => Promise<Response>) {
  return (request: Request): Promise<Response> => {
    const echo: DocumentLivenessEcho = { sessionId: null };
    return answerWith(request, (requestId) => handler(request, requestId, echo), (error) => toDocumentLivenessError(error, echo));
  };
}
