import { isDatabaseUnavailable } from "@/db/errors";

/**
 * Domain errors with a stable code. Route handlers map an AppError onto the error shape
 * of the endpoint being served (native or vendor-compatible); anything else is logged
 * and answered with a generic 500 that leaks neither a stack nor the input.
 */
const apiErrorCodes = {
  INVALID_REQUEST: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  QUOTA_EXCEEDED: 403,
  /** Too many requests with one API key in the current minute; `details.retryAfterSeconds` says when to try again. */
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  IDEMPOTENCY_KEY_REUSED: 409,
  GALLERY_TOO_LARGE: 422,
  INVALID_IMAGE: 400,
  UNSUPPORTED_FORMAT: 415,
  IMAGE_TOO_LARGE: 413,
  IMAGE_TOO_SMALL: 422,
  NO_FACE_FOUND: 422,
  MULTIPLE_FACES: 422,
  // Document checks (the document liveness vendor's codes, seed 003): the image was read but
  // shows no usable document.
  DOCUMENT_NOT_FOUND: 422,
  TOO_MANY_DOCUMENTS: 422,
  DOCUMENT_TOO_SMALL: 422,
  DOCUMENT_CROPPED: 422,
  DOCUMENT_TOO_CLOSE_TO_BORDER: 422,
  DOCUMENT_TOO_CLOSE_TO_CAMERA: 422,
  DOCUMENT_PHOTO_NOT_FOUND: 422,
  // 1:N search and enrollment.
  /** A person's enrollment asked for liveness and the face did not pass. */
  LIVENESS_FAILED: 422,
  /** The images of one enrollment are not of one person. */
  FACES_DO_NOT_MATCH: 422,
  /** Enrollment with a duplicate check found the face already enrolled. */
  DUPLICATE_PERSON: 409,
  /** Another person of the project already has this externalRef. */
  EXTERNAL_REF_TAKEN: 409,
  MODELS_UNAVAILABLE: 503,
  /**
   * The database cannot be reached (restarting, failing over, network cut). The request may be
   * sent again; `details.retryAfterSeconds` says when.
   */
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

/** Codes only the console (sign-in, review queue, user management) raises. */
const consoleErrorCodes = {
  INVALID_CREDENTIALS: 401,
  SIGN_IN_RATE_LIMITED: 429,
  CASE_NOT_CLAIMED: 409,
  CLAIM_EXPIRED: 409,
  CASE_ALREADY_DECIDED: 409,
  SAME_REVIEWER: 409,
  REASON_REQUIRED: 422,
  LAST_ADMIN: 409,
  EMAIL_TAKEN: 409,
} as const;

export const errorCodes = { ...apiErrorCodes, ...consoleErrorCodes };

/** Codes an API request can be answered with: every vendor mapping covers all of them. */
export type ApiErrorCode = keyof typeof apiErrorCodes;
export type ErrorCode = ApiErrorCode | keyof typeof consoleErrorCodes;

/** Every code an API request can be answered with, in declaration order (the OpenAPI description lists them). */
export const API_ERROR_CODES = Object.keys(apiErrorCodes) as [ApiErrorCode, ...ApiErrorCode[]];

/** The code to map onto an API's error shape; console-only codes never reach an API route. */
export function apiCodeOf(error: AppError): ApiErrorCode {
  return error.code in apiErrorCodes ? (error.code as ApiErrorCode) : "INTERNAL";
}

/**
 * Marks AppErrors across module instances: Next.js may bundle this file into several chunks
 * (instrumentation, each route), so `instanceof` alone would miss errors made in another one,
 * such as those the inference pool rejects with.
 */
const appErrorBrand = Symbol.for("vigil.AppError");

export class AppError extends Error {
  readonly [appErrorBrand] = true;
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.httpStatus = errorCodes[code];
    this.details = details;
  }
}

export function isAppError(error: unknown): error is AppError {
  return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[appErrorBrand] === true;
}

/**
 * Seconds a client is asked to wait (Retry-After) when the database is unavailable: a
 * PostgreSQL restart or a managed failover takes a few seconds to tens of seconds.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The AppError a request answers when the database cannot be reached. */
export function databaseUnavailableError(): AppError {
  return new AppError("DATABASE_UNAVAILABLE", `The database is unavailable. Try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds.`, {
    retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
  });
}

/**
 * `error` as the error to answer with: a lost or refused database connection becomes
 * DATABASE_UNAVAILABLE (503 with Retry-After, in every endpoint's shape) instead of a generic
 * 500; anything else is returned as it is.
 */
export function toAnswerableError(error: unknown): unknown {
  return !isAppError(error) && isDatabaseUnavailable(error) ? databaseUnavailableError() : error;
}

/** The native API's error body: `{ error: { code, message, details? } }`. */
export function toErrorBody(raw: unknown): { status: number; body: { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } } {
  const error = toAnswerableError(raw);
  if (isAppError(error)) {
    return {
      status: error.httpStatus,
      body: { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } },
    };
  }
  return { status: 500, body: { error: { code: "INTERNAL", message: "Internal error. The request id is in the server log." } } };
}
