import "server-only";
import { z } from "zod";
import { toDocumentLivenessError } from "@/lib/compat/document-liveness";
import { toKairosError } from "@/lib/compat/kairos";
import { toSfxError } from "@/lib/compat/sfx";
import { toVerifikError } from "@/lib/compat/verifik";
import { AppError, errorCodes } from "@/lib/errors";
import type { ApiErrorCode } from "@/lib/errors";
import { nativeOperations } from "./native";
import { errorBodySchema } from "./responses";
import type { ApiFamily, OperationSpec } from "./spec";
import { BASE_ERRORS, BODY_ERRORS, DOCUMENT_ERRORS, IDEMPOTENCY_HEADER, IMAGE_ERRORS, KEY_ERRORS, REPLAYED_HEADER, errorsOf } from "./spec";
import * as vendor from "./vendor";

/**
 * The registry: every API operation Vigil serves. lib/openapi/coverage.test.ts fails when a
 * route file under app/ exports a method that is not listed here (or the other way round).
 */

/** How a family answers errors: its body schema, and status + vendor code per Vigil code. */
export interface ErrorShape {
  schema: z.ZodType;
  schemaId: string;
  /** Every (status, vendor code) the mapper gives `code`; INVALID_REQUEST may have several (Verifik). */
  answers(code: ApiErrorCode): Array<{ status: number; vendorCode: string }>;
}

/**
 * Runs a family's own error mapper on `code`, plain and with the details that change its
 * answer (a named field, a missing field), so the statuses come from the code that answers.
 */
function answersVia(map: (error: AppError) => { status: number; body: unknown }, codeOf: (body: unknown) => string): ErrorShape["answers"] {
  return (code) => {
    const variants: Array<Record<string, unknown> | undefined> = code === "INVALID_REQUEST" ? [undefined, { field: "x" }, { field: "x", missing: true }] : [undefined];
    const seen = new Map<string, { status: number; vendorCode: string }>();
    for (const details of variants) {
      const { status, body } = map(new AppError(code, code, details));
      const vendorCode = codeOf(body);
      seen.set(`${status} ${vendorCode}`, { status, vendorCode });
    }
    return [...seen.values()];
  };
}

const nativeShape: ErrorShape = { schema: errorBodySchema, schemaId: "ErrorBody", answers: (code) => [{ status: errorCodes[code], vendorCode: code }] };

export const errorShapes: Record<ApiFamily, ErrorShape> = {
  native: nativeShape,
  operations: nativeShape,
  verifik: { schema: vendor.verifikErrorSchema, schemaId: "VerifikError", answers: answersVia(toVerifikError, (b) => (b as { code: string }).code) },
  kairos: { schema: vendor.kairosErrorSchema, schemaId: "KairosError", answers: answersVia(toKairosError, (b) => (b as { errors: Array<{ code: string }> }).errors[0].code) },
  sfx: {
    schema: vendor.sfxErrorSchema,
    schemaId: "SfxError",
    answers: answersVia((e) => toSfxError(e, { verificationType: null, transactionReference: null }), (b) => `responseCode ${(b as { responseCode: string }).responseCode}`),
  },
  docliveness: {
    schema: vendor.documentLivenessErrorSchema,
    schemaId: "DocumentLivenessError",
    answers: answersVia((e) => toDocumentLivenessError(e, { sessionId: null }), (b) => (b as { error: string }).error),
  },
};

const verifik = (scope: "verify" | "search") => ({ scheme: "bearerOnly" as const, scopes: [scope] });
const VERIFIK_BASE = errorsOf(BASE_ERRORS, KEY_ERRORS);
const VERIFIK_BODY = errorsOf(VERIFIK_BASE, BODY_ERRORS);
const VERIFIK_FACES = errorsOf(VERIFIK_BODY, IMAGE_ERRORS, ["MULTIPLE_FACES"]);
const IMAGE = "<base64 or data: URL>";

const vendorOperations: OperationSpec[] = [
  // ------------------------------------------------------------------------------ Verifik
  {
    operationId: "verifikCompareWithLiveness",
    method: "POST",
    path: "/v2/face-recognition/compare-with-liveness",
    tag: "Verifik",
    family: "verifik",
    summary: "Compare a probe with a gallery, then liveness",
    description: "Verifik shape. Creates a Vigil verification (`x-verification-id`); scores on Verifik's scale; liveness is skipped when the best match is below `compare_min_score`.",
    auth: verifik("verify"),
    headers: [IDEMPOTENCY_HEADER],
    body: { required: true, json: vendor.verifikCompareRequestSchema },
    responses: [{ status: 200, description: "The comparison (and liveness when it ran).", schema: vendor.verifikCompareResponseSchema, headers: { "X-Verification-Id": "The Vigil verification id.", ...REPLAYED_HEADER } }],
    errors: errorsOf(VERIFIK_FACES, ["GALLERY_TOO_LARGE", "IDEMPOTENCY_KEY_REUSED"]),
    example: { json: { os: "DESKTOP", search_mode: "FAST", compare_min_score: 0.85, liveness_min_score: 0.6, probe: IMAGE, gallery: [IMAGE] } },
  },
  {
    operationId: "verifikListCollections",
    method: "GET",
    path: "/v2/face-recognition/collections",
    tag: "Verifik",
    family: "verifik",
    summary: "List collections",
    auth: verifik("search"),
    responses: [{ status: 200, description: "Every collection.", schema: vendor.verifikCollectionListSchema }],
    errors: VERIFIK_BASE,
  },
  {
    operationId: "verifikCreateCollection",
    method: "POST",
    path: "/v2/face-recognition/collections",
    tag: "Verifik",
    family: "verifik",
    summary: "Create a collection",
    auth: verifik("search"),
    body: { required: true, json: vendor.verifikCollectionCreateSchema },
    responses: [{ status: 200, description: "The collection.", schema: vendor.verifikCollectionResponseSchema }],
    errors: VERIFIK_BODY,
    example: { json: { name: "Employees" } },
  },
  {
    operationId: "verifikGetCollection",
    method: "GET",
    path: "/v2/face-recognition/collections/{id}",
    tag: "Verifik",
    family: "verifik",
    summary: "Get a collection",
    auth: verifik("search"),
    pathParams: { id: "The collection's `code` or `_id`." },
    responses: [{ status: 200, description: "The collection.", schema: vendor.verifikCollectionResponseSchema }],
    errors: errorsOf(VERIFIK_BASE, ["NOT_FOUND"]),
  },
  {
    operationId: "verifikUpdateCollection",
    method: "PUT",
    path: "/v2/face-recognition/collections/{id}",
    tag: "Verifik",
    family: "verifik",
    summary: "Change a collection",
    auth: verifik("search"),
    pathParams: { id: "The collection's `code` or `_id`." },
    body: { required: true, json: vendor.verifikCollectionUpdateSchema },
    responses: [{ status: 200, description: "The collection as changed.", schema: vendor.verifikCollectionResponseSchema }],
    errors: errorsOf(VERIFIK_BODY, ["NOT_FOUND"]),
  },
  {
    operationId: "verifikDeleteCollection",
    method: "DELETE",
    path: "/v2/face-recognition/collections/{id}",
    tag: "Verifik",
    family: "verifik",
    summary: "Delete a collection",
    description: "Answers the deleted collection with `deleted: true`; its persons stay enrolled.",
    auth: verifik("search"),
    pathParams: { id: "The collection's `code` or `_id`." },
    responses: [{ status: 200, description: "The deleted collection.", schema: vendor.verifikCollectionResponseSchema }],
    errors: errorsOf(VERIFIK_BASE, ["NOT_FOUND"]),
  },
  {
    operationId: "verifikListPersons",
    method: "GET",
    path: "/v2/face-recognition/persons",
    tag: "Verifik",
    family: "verifik",
    summary: "List persons",
    auth: verifik("search"),
    query: vendor.verifikPersonListQuerySchema,
    responses: [{ status: 200, description: "One page.", schema: vendor.verifikPersonListSchema }],
    errors: errorsOf(VERIFIK_BASE, ["NOT_FOUND"]),
  },
  {
    operationId: "verifikCreatePerson",
    method: "POST",
    path: "/v2/face-recognition/persons",
    tag: "Verifik",
    family: "verifik",
    summary: "Enroll a person",
    auth: verifik("search"),
    body: { required: true, json: vendor.verifikPersonCreateSchema },
    responses: [{ status: 200, description: "The person.", schema: vendor.verifikPersonResponseSchema }],
    errors: errorsOf(VERIFIK_FACES, ["NOT_FOUND", "FACES_DO_NOT_MATCH", "EXTERNAL_REF_TAKEN"]),
    example: { json: { name: "Ana Example", images: [IMAGE], collections: ["<code>"] } },
  },
  {
    operationId: "verifikGetPerson",
    method: "GET",
    path: "/v2/face-recognition/persons/{id}",
    tag: "Verifik",
    family: "verifik",
    summary: "Get a person",
    auth: verifik("search"),
    pathParams: { id: "The person's `_id`." },
    responses: [{ status: 200, description: "The person.", schema: vendor.verifikPersonResponseSchema }],
    errors: errorsOf(VERIFIK_BASE, ["NOT_FOUND"]),
  },
  {
    operationId: "verifikUpdatePerson",
    method: "PUT",
    path: "/v2/face-recognition/persons/{id}",
    tag: "Verifik",
    family: "verifik",
    summary: "Change a person (images are added)",
    auth: verifik("search"),
    pathParams: { id: "The person's `_id`." },
    body: { required: true, json: vendor.verifikPersonUpdateSchema },
    responses: [{ status: 200, description: "The person as changed.", schema: vendor.verifikPersonResponseSchema }],
    errors: errorsOf(VERIFIK_FACES, ["NOT_FOUND", "FACES_DO_NOT_MATCH"]),
  },
  {
    operationId: "verifikDeletePerson",
    method: "DELETE",
    path: "/v2/face-recognition/persons/{id}",
    tag: "Verifik",
    family: "verifik",
    summary: "Delete a person",
    description: "Answers the deleted person with `deleted: true`; the data is gone, not soft-deleted.",
    auth: verifik("search"),
    pathParams: { id: "The person's `_id`." },
    responses: [{ status: 200, description: "The deleted person.", schema: vendor.verifikPersonResponseSchema }],
    errors: errorsOf(VERIFIK_BASE, ["NOT_FOUND"]),
  },
  {
    operationId: "verifikCreatePersonWithLiveness",
    method: "POST",
    path: "/v2/face-recognition/persons/search-live-face",
    tag: "Verifik",
    family: "verifik",
    summary: "Enroll a person with liveness and a duplicate check",
    description: "Liveness is checked before the duplicate search (Verifik documents the reverse order); the duplicate search always scans exactly.",
    auth: verifik("search"),
    body: { required: true, json: vendor.verifikCreateWithLivenessSchema },
    responses: [{ status: 200, description: "The person.", schema: vendor.verifikCreateWithLivenessResponseSchema }],
    errors: errorsOf(VERIFIK_FACES, ["NOT_FOUND", "FACES_DO_NOT_MATCH", "LIVENESS_FAILED", "DUPLICATE_PERSON"]),
  },
  {
    operationId: "verifikSearch",
    method: "POST",
    path: "/v2/face-recognition/search",
    tag: "Verifik",
    family: "verifik",
    summary: "Search enrolled persons",
    auth: verifik("search"),
    body: { required: true, json: vendor.verifikSearchRequestSchema },
    responses: [{ status: 200, description: "The matches.", schema: vendor.verifikSearchResponseSchema }],
    errors: errorsOf(VERIFIK_FACES, ["NOT_FOUND", "FACES_DO_NOT_MATCH"]),
    example: { json: { images: [IMAGE], collection_id: "<code>", min_score: 0.85, search_mode: "FAST", max_results: 10 } },
  },
  {
    operationId: "verifikSearchCrops",
    method: "POST",
    path: "/v2/face-recognition/search/crops",
    tag: "Verifik",
    family: "verifik",
    summary: "Search with tight face crops",
    auth: verifik("search"),
    body: { required: true, json: vendor.verifikSearchCropsRequestSchema },
    responses: [{ status: 200, description: "The matches.", schema: vendor.verifikSearchResponseSchema }],
    errors: errorsOf(VERIFIK_FACES, ["NOT_FOUND", "FACES_DO_NOT_MATCH"]),
  },
  {
    operationId: "verifikSearchLiveFace",
    method: "POST",
    path: "/v2/face-recognition/search-live-face",
    tag: "Verifik",
    family: "verifik",
    summary: "Search with liveness first",
    description: "No persons when the probe fails liveness.",
    auth: verifik("search"),
    body: { required: true, json: vendor.verifikLiveSearchRequestSchema },
    responses: [{ status: 200, description: "The matches and the liveness result.", schema: vendor.verifikLiveSearchResponseSchema }],
    errors: errorsOf(VERIFIK_FACES, ["NOT_FOUND"]),
  },
  {
    operationId: "verifikVerify",
    method: "POST",
    path: "/v2/face-recognition/verify",
    tag: "Verifik",
    family: "verifik",
    summary: "Verify photos against one person",
    auth: verifik("search"),
    body: { required: true, json: vendor.verifikVerifyRequestSchema },
    responses: [{ status: 200, description: "The score, and the person when it reaches min_score.", schema: vendor.verifikVerifyResponseSchema }],
    errors: errorsOf(VERIFIK_FACES, ["NOT_FOUND", "FACES_DO_NOT_MATCH"]),
  },
  // ------------------------------------------------------------------------------ Kairos
  {
    operationId: "kairosBiometricVerification",
    method: "POST",
    path: "/v0.1/biometric-verification",
    tag: "Kairos",
    family: "kairos",
    summary: "Selfie + photo: face match and liveness",
    description: "Kairos shape; creates a Vigil verification. Decision details list only failed checks.",
    auth: { scheme: "kairos", scopes: ["verify"] },
    headers: [IDEMPOTENCY_HEADER],
    body: { required: true, form: vendor.kairosFormSchema },
    responses: [{ status: 200, description: "The decision.", schema: vendor.kairosResponseSchema, headers: { "X-Verification-Id": "The Vigil verification id.", ...REPLAYED_HEADER } }],
    errors: errorsOf(BASE_ERRORS, KEY_ERRORS, BODY_ERRORS, IMAGE_ERRORS, ["MULTIPLE_FACES", "IDEMPOTENCY_KEY_REUSED"]),
    example: { form: { selfie: "@selfie.jpg", image: "@id-photo.jpg" } },
  },
  // ------------------------------------------------------------------------------ sfx
  {
    operationId: "sfxPassiveLiveness",
    method: "POST",
    path: "/sfx-verify/v3/id-service",
    tag: "verified.africa",
    family: "sfx",
    summary: "Passive selfie liveness",
    description: "verified.africa shape (the vendor's path ends in a slash: `/sfx-verify/v3/id-service/`; both work). Creates a Vigil verification.",
    auth: { scheme: "sfx", scopes: ["verify"] },
    headers: [IDEMPOTENCY_HEADER],
    body: { required: true, json: vendor.sfxRequestSchema },
    responses: [{ status: 200, description: "VERIFIED, NOT VERIFIED or PENDING (in review).", schema: vendor.sfxResponseSchema, headers: { "X-Verification-Id": "The Vigil verification id.", ...REPLAYED_HEADER } }],
    errors: errorsOf(BASE_ERRORS, KEY_ERRORS, BODY_ERRORS, IMAGE_ERRORS, ["MULTIPLE_FACES", "IDEMPOTENCY_KEY_REUSED"]),
    example: { json: { verificationType: "PASSIVE-LIVELINESS-VERIFICATION", selfie: IMAGE } },
  },
  // ------------------------------------------------------------------------------ document liveness
  {
    operationId: "documentLiveness",
    method: "POST",
    path: "/api/v1/document/liveness",
    tag: "Document liveness",
    family: "docliveness",
    summary: "Document passive liveness",
    description: "Vendor shape. A photo without a usable document answers 200 with `hasError: true` and stores nothing; request errors keep their 4xx status in the same body.",
    auth: { scheme: "basic", scopes: ["documents"] },
    headers: [IDEMPOTENCY_HEADER],
    body: { required: true, json: vendor.documentLivenessRequestSchema },
    responses: [{ status: 200, description: "The score.", schema: vendor.documentLivenessResponseSchema, headers: { "X-Verification-Id": "The Vigil verification id.", ...REPLAYED_HEADER } }],
    errors: errorsOf(BASE_ERRORS, KEY_ERRORS, BODY_ERRORS, IMAGE_ERRORS, ["IDEMPOTENCY_KEY_REUSED"], DOCUMENT_ERRORS),
    example: { json: { sessionId: "s-1", frontSideImageBase: IMAGE } },
  },
];

const healthSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  workers: z.number().int(),
  error: z.string().nullable(),
  models: z.array(z.object({ key: z.string(), id: z.string(), version: z.string(), sha256: z.string() })),
});

const operationsOperations: OperationSpec[] = [
  {
    operationId: "getOpenApiDocument",
    method: "GET",
    path: "/api/openapi.json",
    tag: "Operations",
    family: "operations",
    summary: "This OpenAPI 3.1 description",
    auth: { scheme: "none", scopes: [] },
    responses: [{ status: 200, description: "The description (public, cacheable).", contentType: "application/json" }],
    errors: [],
  },
  {
    operationId: "getHealth",
    method: "GET",
    path: "/api/health",
    tag: "Operations",
    family: "operations",
    summary: "Health probe",
    description: "200 when the inference workers have loaded their models, 503 otherwise (same body).",
    auth: { scheme: "none", scopes: [] },
    responses: [
      { status: 200, description: "Ready.", schema: healthSchema },
      { status: 503, description: "Models not loaded (see `error`).", schema: healthSchema },
    ],
    errors: [],
  },
  {
    operationId: "getMetrics",
    method: "GET",
    path: "/api/metrics",
    tag: "Operations",
    family: "operations",
    summary: "Prometheus metrics",
    description: "Off (404) unless VIGIL_METRICS_TOKEN is set.",
    auth: { scheme: "metricsToken", scopes: [] },
    responses: [{ status: 200, description: "Prometheus text exposition format.", contentType: "text/plain" }],
    errors: errorsOf(BASE_ERRORS, ["UNAUTHORIZED", "NOT_FOUND"]),
  },
];

export const allOperations: OperationSpec[] = [...nativeOperations, ...vendorOperations, ...operationsOperations];
