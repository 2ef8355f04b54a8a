import type { z } from "zod";
import type { ApiScope } from "@/lib/auth/api-keys";
import type { ApiErrorCode } from "@/lib/errors";
import { DOCUMENT_ERROR_CODES } from "@/lib/inference/document/kinds";

/**
 * What the registry says about one API operation. lib/openapi/document.ts turns the list into
 * an OpenAPI 3.1 description; lib/openapi/coverage.test.ts checks it against the route files
 * under app/ and lib/errors.ts.
 */

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * How the caller proves who they are. `apiKey`: `Authorization: Bearer <key>` or `X-Api-Key`;
 * `bearerOnly`: the Verifik routes, which read only the bearer header; `basic`: document
 * liveness (user = project slug, password = key); `kairos`: headers app_id + app_key; `sfx`:
 * headers Userid + ApiKey; `signedUrl`: the signature in the image URL's query; `metricsToken`:
 * the Prometheus scrape token; `none`: public.
 */
export type AuthScheme = "apiKey" | "bearerOnly" | "basic" | "kairos" | "sfx" | "signedUrl" | "metricsToken" | "none";

/** Which API an operation belongs to: its error shape and where the reference page lists it. */
export type ApiFamily = "native" | "verifik" | "kairos" | "sfx" | "docliveness" | "operations";

export interface ResponseSpec {
  status: number;
  description: string;
  /** The body's schema; absent for an empty body (204). */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface OperationSpec {
  /** Unique, camelCase; also the typed client's method name for native operations. */
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template: `/api/v1/persons/{id}`. */
  path: string;
  tag: string;
  family: ApiFamily;
  summary: string;
  description?: string;
  auth: {
    scheme: AuthScheme;
    /** Scopes the key needs; more than one: the request's content decides which (see `scopeNote`). */
    scopes: ApiScope[];
    scopeNote?: string;
  };
  /** Path parameters and what they name. */
  pathParams?: Record<string, string>;
  /** The query, parsed with this schema (as the route does). */
  query?: z.ZodObject;
  headers?: Array<{ name: string; description: string; required?: boolean }>;
  body?: {
    required: boolean;
    description?: string;
    json?: z.ZodType;
    /** multipart/form-data (and application/x-www-form-urlencoded for text-only fields). */
    form?: z.ZodType;
  };
  /** Success answers. */
  responses: ResponseSpec[];
  /** Every Vigil error code the route can answer with; the endpoint's mapper gives the status. */
  errors: readonly ApiErrorCode[];
  /** An example request for the reference page: JSON body or form fields (values may be placeholders). */
  example?: { json?: unknown; form?: Record<string, string>; query?: string; pathValues?: Record<string, string> };
}

/** Codes any route behind nativeRoute/answerWith can answer: a NUL in the URL, and the generic 500. */
export const BASE_ERRORS = ["INVALID_REQUEST", "INTERNAL"] as const satisfies readonly ApiErrorCode[];
/**
 * authenticateApiKey: missing/unknown/revoked key, wrong project or scope, quota, rate limit;
 * and, since the key is looked up in it, the database not answering (503 with Retry-After).
 */
export const KEY_ERRORS = ["UNAUTHORIZED", "FORBIDDEN", "QUOTA_EXCEEDED", "RATE_LIMITED", "DATABASE_UNAVAILABLE"] as const satisfies readonly ApiErrorCode[];
/** readBody / readJson. */
export const BODY_ERRORS = ["BODY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"] as const satisfies readonly ApiErrorCode[];
/** Decoding an image and finding its subject face (lib/inference/image.ts, analyze.ts, the worker pool). */
export const IMAGE_ERRORS = ["INVALID_IMAGE", "UNSUPPORTED_FORMAT", "IMAGE_TOO_LARGE", "IMAGE_TOO_SMALL", "NO_FACE_FOUND", "MODELS_UNAVAILABLE"] as const satisfies readonly ApiErrorCode[];
/** The document pipeline's refusals (lib/inference/document). */
export const DOCUMENT_ERRORS = DOCUMENT_ERROR_CODES satisfies readonly ApiErrorCode[];

/**
 * The Idempotency-Key header of the operations that store a verification, and the answer header
 * of a replay. The vendor-shaped ones take it as Vigil's addition: their vendors have none.
 */
export const IDEMPOTENCY_HEADER = {
  name: "Idempotency-Key",
  description: "Repeating a request with the same key and body answers the first result (`Idempotent-Replayed: true`) and stores nothing; another body is 409 IDEMPOTENCY_KEY_REUSED. At most 200 characters.",
};
export const REPLAYED_HEADER = { "Idempotent-Replayed": "`true` when the answer replays an earlier request with the same Idempotency-Key; nothing was written." };

/** The codes of several sets, once each. */
export function errorsOf(...sets: ReadonlyArray<readonly ApiErrorCode[]>): ApiErrorCode[] {
  return [...new Set(sets.flat())];
}
