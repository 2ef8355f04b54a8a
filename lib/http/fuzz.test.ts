import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as nativeCollection, DELETE as nativeCollectionDelete, PATCH as nativeCollectionPatch } from "@/app/api/v1/collections/[id]/route";
import { GET as nativeCollections, POST as nativeCollectionCreate } from "@/app/api/v1/collections/route";
import { POST as documentLiveness } from "@/app/api/v1/document/liveness/route";
import { POST as facesCompare } from "@/app/api/v1/faces/compare/route";
import { POST as facesDetect } from "@/app/api/v1/faces/detect/route";
import { POST as facesLiveness } from "@/app/api/v1/faces/liveness/route";
import { GET as imageGet } from "@/app/api/v1/images/[id]/route";
import { DELETE as personFaceDelete } from "@/app/api/v1/persons/[id]/faces/[faceId]/route";
import { POST as personFacesAdd } from "@/app/api/v1/persons/[id]/faces/route";
import { GET as nativePerson, DELETE as nativePersonDelete, PATCH as nativePersonPatch } from "@/app/api/v1/persons/[id]/route";
import { POST as personVerify } from "@/app/api/v1/persons/[id]/verify/route";
import { GET as nativePersons, POST as nativePersonCreate } from "@/app/api/v1/persons/route";
import { POST as nativeSearch } from "@/app/api/v1/search/route";
import { GET as faceReport } from "@/app/api/v1/verifications/[id]/face-report/route";
import { GET as verificationGet } from "@/app/api/v1/verifications/[id]/route";
import { GET as verificationList, POST as verificationCreate } from "@/app/api/v1/verifications/route";
import { POST as sfxIdService } from "@/app/sfx-verify/v3/id-service/route";
import { POST as kairosVerification } from "@/app/v0.1/biometric-verification/route";
import { GET as vCollection, DELETE as vCollectionDelete, PUT as vCollectionPut } from "@/app/v2/face-recognition/collections/[id]/route";
import { GET as vCollections, POST as vCollectionCreate } from "@/app/v2/face-recognition/collections/route";
import { POST as vCompareWithLiveness } from "@/app/v2/face-recognition/compare-with-liveness/route";
import { GET as vPerson, DELETE as vPersonDelete, PUT as vPersonPut } from "@/app/v2/face-recognition/persons/[id]/route";
import { GET as vPersons, POST as vPersonCreate } from "@/app/v2/face-recognition/persons/route";
import { POST as vPersonLiveFace } from "@/app/v2/face-recognition/persons/search-live-face/route";
import { POST as vSearchLiveFace } from "@/app/v2/face-recognition/search-live-face/route";
import { POST as vSearchCrops } from "@/app/v2/face-recognition/search/crops/route";
import { POST as vSearch } from "@/app/v2/face-recognition/search/route";
import { POST as vVerify } from "@/app/v2/face-recognition/verify/route";
import { personFaces, persons } from "@/db/schema";
import { createApiKey, revokeApiKey } from "@/lib/auth/api-keys";
import { toDocumentLivenessError } from "@/lib/compat/document-liveness";
import { toKairosError } from "@/lib/compat/kairos";
import { toSfxError } from "@/lib/compat/sfx";
import { toVerifikError } from "@/lib/compat/verifik";
import { resetEnv } from "@/lib/env";
import { AppError, errorCodes, toErrorBody } from "@/lib/errors";
import type { ApiErrorCode } from "@/lib/errors";
import { analyzeFaces, stopInference } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import { bulkEnroll } from "@/lib/search/bulk";
import { createCollection } from "@/lib/search/collections";
import { Rng } from "@/lib/specimens/rng";
import { getStorageKey } from "@/lib/storage/keys";
import { signImagePath, urlSigningKey } from "@/lib/storage/signed-urls";
import type { ApiTestContext } from "@/lib/testing/api";
import { params as routeParams, setupApiTest } from "@/lib/testing/api";
import type { FaultClass, FieldType } from "@/lib/testing/fuzz";
import {
  asHeaderValue,
  BAD_IDS,
  badBase64,
  brokenJson,
  deflateBombPng,
  FAULT_CLASSES,
  fieldTypeOf,
  flipBytes,
  HOSTILE_STRINGS,
  jpegClaiming,
  leaks,
  magicWithGarbage,
  multipart,
  pngClaiming,
  truncateAt,
  webpClaiming,
  withField,
  wrongValues,
} from "@/lib/testing/fuzz";

/**
 * Issue #7, faults and abuse: a seeded corpus of malformed requests over every API route that
 * takes input, each answered 4xx in the endpoint's own error shape, with no stack or path in
 * the body, and nothing written: no row in any table, no file in the image store.
 */

const SEED = 7;
/** Small limits keep the corpus' memory low; the checks are the same at any size. */
const MAX_BODY_BYTES = 512 * 1024;
const MAX_IMAGE_BYTES = 256 * 1024;

type Shape = "native" | "verifik" | "kairos" | "sfx" | "docliveness";
type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;
type Json = Record<string, unknown>;

interface RouteSpec {
  name: string;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  handler: Handler;
  shape: Shape;
  auth: "key" | "kairos" | "sfx" | "basic" | "signed";
  body: "none" | "json" | "json-or-form" | "form";
  /** A body that is valid but for its images, which are all the too-small PNG (so it fails without writing). */
  template?: () => Json;
  /** Fields holding an image, or an array of them. */
  images?: string[];
  /** Text fields, nested as `a.b` (image fields are text too). */
  text?: string[];
  /** Path params of a request that is valid but names nothing; `fixture` ones name something real. */
  params?: Record<string, string>;
  fixtureParams?: () => Record<string, string>;
  /** Stores nothing even when it succeeds: an image that still decodes after corruption may answer 2xx. */
  stateless?: boolean;
  /** No image and no path id to fail on: every body must be wrong by itself. */
  poisonless?: boolean;
  /** Fields that may be left out, where null or "" may read as "absent" rather than wrong. */
  optional?: string[];
  /** The key scope the route checks, for the scope-less key. */
  scope?: boolean;
}

const h = (fn: unknown) => fn as Handler;

// Set once the fixtures exist.
let ctx: ApiTestContext;
let tiny: string;
let fixture: { collectionId: string; collectionCode: string; personId: string; faceId: string };
let keys: { revoked: string; spent: string; scopeless: string };
let bases: { facelessJpeg: Buffer; facelessPng: Buffer; facelessWebp: Buffer; faceJpeg: Buffer; bomb: Buffer; bigLegal: Buffer };

const NO_COLLECTION = "col_00000000000000000000000000";
const NO_PERSON = "per_00000000000000000000000000";
const NO_FACE = "face_00000000000000000000000000";

const routes: RouteSpec[] = [
  {
    name: "POST /api/v1/verifications",
    method: "POST",
    path: "/api/v1/verifications",
    handler: h(verificationCreate),
    shape: "native",
    auth: "key",
    body: "json-or-form",
    template: () => ({ type: "face_match_liveness", selfie: tiny, reference: tiny, externalRef: "fuzz-1" }),
    images: ["selfie", "reference"],
    text: ["type", "externalRef", "selfie"],
    scope: true,
  },
  { name: "GET /api/v1/verifications", method: "GET", path: "/api/v1/verifications", handler: h(verificationList), shape: "native", auth: "key", body: "none" },
  { name: "GET /api/v1/verifications/:id", method: "GET", path: "/api/v1/verifications/{id}", handler: h(verificationGet), shape: "native", auth: "key", body: "none", params: { id: "ver_00000000000000000000000000" } },
  { name: "GET /api/v1/verifications/:id/face-report", method: "GET", path: "/api/v1/verifications/{id}/face-report", handler: h(faceReport), shape: "native", auth: "key", body: "none", params: { id: "ver_00000000000000000000000000" } },
  { name: "POST /api/v1/faces/detect", method: "POST", path: "/api/v1/faces/detect", handler: h(facesDetect), shape: "native", auth: "key", body: "json-or-form", template: () => ({ image: tiny }), images: ["image"], text: ["image"], stateless: true, scope: true },
  { name: "POST /api/v1/faces/compare", method: "POST", path: "/api/v1/faces/compare", handler: h(facesCompare), shape: "native", auth: "key", body: "json-or-form", template: () => ({ image1: tiny, image2: tiny }), images: ["image1", "image2"], text: ["image1", "image2"], stateless: true, scope: true },
  { name: "POST /api/v1/faces/liveness", method: "POST", path: "/api/v1/faces/liveness", handler: h(facesLiveness), shape: "native", auth: "key", body: "json-or-form", template: () => ({ image: tiny }), images: ["image"], text: ["image"], stateless: true, scope: true },
  {
    name: "POST /api/v1/document/liveness",
    method: "POST",
    path: "/api/v1/document/liveness",
    handler: h(documentLiveness),
    shape: "docliveness",
    auth: "basic",
    body: "json",
    template: () => ({ sessionId: "session-1", frontSideImageBase: tiny, backSideImageBase: tiny }),
    images: ["frontSideImageBase", "backSideImageBase"],
    text: ["sessionId", "frontSideImageBase", "backSideImageBase"],
    scope: true,
  },
  { name: "GET /api/v1/collections", method: "GET", path: "/api/v1/collections", handler: h(nativeCollections), shape: "native", auth: "key", body: "none", scope: true },
  { name: "POST /api/v1/collections", method: "POST", path: "/api/v1/collections", handler: h(nativeCollectionCreate), shape: "native", auth: "key", body: "json", template: () => ({ name: "Fuzz", description: "d" }), text: ["name", "description"], poisonless: true, optional: ["description"], scope: true },
  { name: "GET /api/v1/collections/:id", method: "GET", path: "/api/v1/collections/{id}", handler: h(nativeCollection), shape: "native", auth: "key", body: "none", params: { id: NO_COLLECTION }, scope: true },
  {
    name: "PATCH /api/v1/collections/:id",
    method: "PATCH",
    path: "/api/v1/collections/{id}",
    handler: h(nativeCollectionPatch),
    shape: "native",
    auth: "key",
    body: "json",
    template: () => ({ name: "Renamed", description: "d" }),
    text: ["name", "description"],
    params: { id: NO_COLLECTION },
    fixtureParams: () => ({ id: fixture.collectionId }),
    scope: true,
  },
  { name: "DELETE /api/v1/collections/:id", method: "DELETE", path: "/api/v1/collections/{id}", handler: h(nativeCollectionDelete), shape: "native", auth: "key", body: "none", params: { id: NO_COLLECTION }, scope: true },
  { name: "GET /api/v1/persons", method: "GET", path: "/api/v1/persons", handler: h(nativePersons), shape: "native", auth: "key", body: "none", scope: true },
  {
    name: "POST /api/v1/persons",
    method: "POST",
    path: "/api/v1/persons",
    handler: h(nativePersonCreate),
    shape: "native",
    auth: "key",
    body: "json",
    template: () => ({
      name: "Ana Example",
      externalRef: "cust-1",
      metadata: { gender: "F", dateOfBirth: "1990-01-01", nationality: "CO", notes: "n", emails: ["a@example.test"], phones: ["+57 1"] },
      collections: [fixture.collectionCode],
      images: [tiny],
      livenessMin: 0.5,
      duplicateCheck: { minSimilarity: 0.6, collections: [fixture.collectionCode] },
    }),
    images: ["images"],
    text: ["name", "externalRef", "metadata.gender", "metadata.dateOfBirth", "metadata.nationality", "metadata.notes"],
    scope: true,
  },
  { name: "GET /api/v1/persons/:id", method: "GET", path: "/api/v1/persons/{id}", handler: h(nativePerson), shape: "native", auth: "key", body: "none", params: { id: NO_PERSON }, scope: true },
  {
    name: "PATCH /api/v1/persons/:id",
    method: "PATCH",
    path: "/api/v1/persons/{id}",
    handler: h(nativePersonPatch),
    shape: "native",
    auth: "key",
    body: "json",
    template: () => ({ name: "New Name", externalRef: "cust-2", metadata: { notes: "n" }, collections: [fixture.collectionCode] }),
    text: ["name", "externalRef", "metadata.notes"],
    params: { id: NO_PERSON },
    fixtureParams: () => ({ id: fixture.personId }),
    scope: true,
  },
  { name: "DELETE /api/v1/persons/:id", method: "DELETE", path: "/api/v1/persons/{id}", handler: h(nativePersonDelete), shape: "native", auth: "key", body: "none", params: { id: NO_PERSON }, scope: true },
  {
    name: "POST /api/v1/persons/:id/faces",
    method: "POST",
    path: "/api/v1/persons/{id}/faces",
    handler: h(personFacesAdd),
    shape: "native",
    auth: "key",
    body: "json",
    template: () => ({ images: [tiny] }),
    images: ["images"],
    text: [],
    params: { id: NO_PERSON },
    fixtureParams: () => ({ id: fixture.personId }),
    scope: true,
  },
  {
    name: "DELETE /api/v1/persons/:id/faces/:faceId",
    method: "DELETE",
    path: "/api/v1/persons/{id}/faces/{faceId}",
    handler: h(personFaceDelete),
    shape: "native",
    auth: "key",
    body: "none",
    params: { id: NO_PERSON, faceId: NO_FACE },
    scope: true,
  },
  {
    name: "POST /api/v1/persons/:id/verify",
    method: "POST",
    path: "/api/v1/persons/{id}/verify",
    handler: h(personVerify),
    shape: "native",
    auth: "key",
    body: "json",
    template: () => ({ image: tiny }),
    images: ["image"],
    text: ["image"],
    params: { id: NO_PERSON },
    fixtureParams: () => ({ id: fixture.personId }),
    stateless: true,
    scope: true,
  },
  {
    name: "POST /api/v1/search",
    method: "POST",
    path: "/api/v1/search",
    handler: h(nativeSearch),
    shape: "native",
    auth: "key",
    body: "json",
    template: () => ({ image: tiny, collections: [fixture.collectionCode], limit: 5, mode: "FAST", minSimilarity: 0.3, liveness: false, faceCrop: false }),
    images: ["image"],
    text: ["image", "mode"],
    stateless: true,
    scope: true,
  },
  { name: "GET /api/v1/images/:id", method: "GET", path: "/api/v1/images/{id}", handler: h(imageGet), shape: "native", auth: "signed", body: "none", params: { id: "img_00000000000000000000000000" } },
  { name: "GET /v2/face-recognition/collections", method: "GET", path: "/v2/face-recognition/collections", handler: h(vCollections), shape: "verifik", auth: "key", body: "none", scope: true },
  { name: "POST /v2/face-recognition/collections", method: "POST", path: "/v2/face-recognition/collections", handler: h(vCollectionCreate), shape: "verifik", auth: "key", body: "json", template: () => ({ name: "Fuzz", description: "d" }), text: ["name", "description"], poisonless: true, optional: ["description"], scope: true },
  { name: "GET /v2/face-recognition/collections/:id", method: "GET", path: "/v2/face-recognition/collections/{id}", handler: h(vCollection), shape: "verifik", auth: "key", body: "none", params: { id: NO_COLLECTION }, scope: true },
  {
    name: "PUT /v2/face-recognition/collections/:id",
    method: "PUT",
    path: "/v2/face-recognition/collections/{id}",
    handler: h(vCollectionPut),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ name: "Renamed", description: "d" }),
    text: ["name", "description"],
    params: { id: NO_COLLECTION },
    fixtureParams: () => ({ id: fixture.collectionCode }),
    scope: true,
  },
  { name: "DELETE /v2/face-recognition/collections/:id", method: "DELETE", path: "/v2/face-recognition/collections/{id}", handler: h(vCollectionDelete), shape: "verifik", auth: "key", body: "none", params: { id: NO_COLLECTION }, scope: true },
  {
    name: "POST /v2/face-recognition/compare-with-liveness",
    method: "POST",
    path: "/v2/face-recognition/compare-with-liveness",
    handler: h(vCompareWithLiveness),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ search_mode: "FAST", probe: tiny, gallery: [tiny], os: "IOS", compare_min_score: 0.85, liveness_min_score: 0.6 }),
    images: ["probe", "gallery"],
    text: ["search_mode", "probe", "os"],
    scope: true,
  },
  { name: "GET /v2/face-recognition/persons", method: "GET", path: "/v2/face-recognition/persons", handler: h(vPersons), shape: "verifik", auth: "key", body: "none", scope: true },
  {
    name: "POST /v2/face-recognition/persons",
    method: "POST",
    path: "/v2/face-recognition/persons",
    handler: h(vPersonCreate),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ name: "Ana Example", images: [tiny], gender: "F", date_of_birth: "1990-01-01", nationality: "CO", notes: "n", collections: [fixture.collectionCode] }),
    images: ["images"],
    text: ["name", "gender", "date_of_birth", "nationality", "notes"],
    scope: true,
  },
  { name: "GET /v2/face-recognition/persons/:id", method: "GET", path: "/v2/face-recognition/persons/{id}", handler: h(vPerson), shape: "verifik", auth: "key", body: "none", params: { id: NO_PERSON }, scope: true },
  {
    name: "PUT /v2/face-recognition/persons/:id",
    method: "PUT",
    path: "/v2/face-recognition/persons/{id}",
    handler: h(vPersonPut),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ name: "New Name", images: [tiny], notes: "n", collections: [fixture.collectionCode] }),
    images: ["images"],
    text: ["name", "notes", "gender"],
    params: { id: NO_PERSON },
    fixtureParams: () => ({ id: fixture.personId }),
    scope: true,
  },
  { name: "DELETE /v2/face-recognition/persons/:id", method: "DELETE", path: "/v2/face-recognition/persons/{id}", handler: h(vPersonDelete), shape: "verifik", auth: "key", body: "none", params: { id: NO_PERSON }, scope: true },
  {
    name: "POST /v2/face-recognition/persons/search-live-face",
    method: "POST",
    path: "/v2/face-recognition/persons/search-live-face",
    handler: h(vPersonLiveFace),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ name: "Ana Example", collection_id: fixture.collectionCode, images: [tiny], min_score: 0.8, search_mode: "FAST", liveness_min_score: 0.65, notes: "n" }),
    images: ["images"],
    text: ["name", "collection_id", "search_mode", "notes"],
    scope: true,
  },
  {
    name: "POST /v2/face-recognition/search-live-face",
    method: "POST",
    path: "/v2/face-recognition/search-live-face",
    handler: h(vSearchLiveFace),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ image: tiny, os: "IOS", liveness_min_score: 0.6, min_score: 0.6, search_mode: "FAST", collection_id: fixture.collectionCode, max_results: 5 }),
    images: ["image"],
    text: ["image", "os", "search_mode", "collection_id"],
    stateless: true,
    scope: true,
  },
  {
    name: "POST /v2/face-recognition/search",
    method: "POST",
    path: "/v2/face-recognition/search",
    handler: h(vSearch),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ images: [tiny], min_score: 0.5, search_mode: "FAST", collection_id: fixture.collectionCode, max_results: 5 }),
    images: ["images"],
    text: ["search_mode", "collection_id"],
    stateless: true,
    scope: true,
  },
  {
    name: "POST /v2/face-recognition/search/crops",
    method: "POST",
    path: "/v2/face-recognition/search/crops",
    handler: h(vSearchCrops),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ images: [tiny], min_score: 0.6, search_mode: "ACCURATE", max_results: 3 }),
    images: ["images"],
    text: ["search_mode"],
    stateless: true,
    scope: true,
  },
  {
    name: "POST /v2/face-recognition/verify",
    method: "POST",
    path: "/v2/face-recognition/verify",
    handler: h(vVerify),
    shape: "verifik",
    auth: "key",
    body: "json",
    template: () => ({ id: fixture.personId, images: [tiny], min_score: 0.6, search_mode: "FAST", collection_id: fixture.collectionCode }),
    images: ["images"],
    text: ["id", "search_mode", "collection_id"],
    stateless: true,
    scope: true,
  },
  {
    name: "POST /v0.1/biometric-verification",
    method: "POST",
    path: "/v0.1/biometric-verification",
    handler: h(kairosVerification),
    shape: "kairos",
    auth: "kairos",
    body: "form",
    template: () => ({ selfie: tiny, image: tiny }),
    images: ["selfie", "image"],
    text: ["selfie", "image"],
    scope: true,
  },
  {
    name: "POST /sfx-verify/v3/id-service",
    method: "POST",
    path: "/sfx-verify/v3/id-service",
    handler: h(sfxIdService),
    shape: "sfx",
    auth: "sfx",
    body: "json",
    template: () => ({ verificationType: "PASSIVE-LIVELINESS-VERIFICATION", selfie: tiny, transactionReference: "ref-1" }),
    images: ["selfie"],
    text: ["verificationType", "selfie", "transactionReference"],
    scope: true,
  },
];

const routeByName = (name: string) => routes.find((r) => r.name === name)!;

// ---------------------------------------------------------------- requests

interface Send {
  params?: Record<string, string>;
  body?: string | Uint8Array | FormData | ReadableStream<Uint8Array>;
  /** undefined: JSON (or multipart for FormData); null: no Content-Type header at all. */
  contentType?: string | null;
  /** Replaces the route's valid credentials; null sends none. */
  auth?: Record<string, string> | null;
  /** Raw query string; for the image route it replaces the signed one. */
  query?: string;
  headers?: Record<string, string>;
}

function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be percent-encoded; the handler reads the id from its params anyway.
    return "x";
  }
}

function validAuth(route: RouteSpec, secret = ctx.secret): Record<string, string> {
  switch (route.auth) {
    case "key":
      return { authorization: `Bearer ${secret}` };
    case "kairos":
      return { app_id: "acme", app_key: secret };
    case "sfx":
      return { userid: "acme", apikey: secret };
    case "basic":
      return { authorization: `Basic ${Buffer.from(`acme:${secret}`).toString("base64")}` };
    case "signed":
      return {};
  }
}

function signedQuery(id: string, expiresAt = Math.floor(Date.now() / 1000) + 600, actor = "key:fuzz"): string {
  return signImagePath(urlSigningKey(getStorageKey()), { imageId: id, expiresAt, actor }).split("?")[1];
}

function buildRequest(route: RouteSpec, send: Send): { request: Request; params: Record<string, string> } {
  const params = send.params ?? route.params ?? {};
  let path = route.path;
  for (const [name, value] of Object.entries(params)) path = path.replace(`{${name}}`, encodeSegment(value));
  const query = send.query ?? (route.auth === "signed" ? signedQuery(params.id ?? "") : "");
  const headers: Record<string, string> = { ...(send.auth === undefined ? validAuth(route) : (send.auth ?? {})), ...send.headers };
  let body = send.body;
  if (body !== undefined && !(body instanceof FormData)) {
    if (send.contentType === null) {
      if (typeof body === "string") body = Buffer.from(body);
    } else headers["content-type"] = send.contentType ?? "application/json";
  }
  const init: RequestInit & { duplex?: "half" } = { method: route.method, headers, body: body as BodyInit | undefined };
  if (body instanceof ReadableStream) init.duplex = "half";
  return { request: new Request(`http://vigil.test${path}${query ? `?${query}` : ""}`, init), params };
}

/** A body that produces `total` bytes in `chunk`-sized pieces only as they are read, and says how far it was read. */
function lazyBody(total: number, chunk: number, prefix = '{"selfie":"') {
  const probe = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (probe.pulled >= total) return controller.close();
        const n = Math.min(chunk, total - probe.pulled);
        const piece = new Uint8Array(n).fill(0x41);
        if (probe.pulled === 0) piece.set(Buffer.from(prefix).subarray(0, n));
        probe.pulled += n;
        controller.enqueue(piece);
      },
      cancel() {
        probe.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, probe };
}

// ---------------------------------------------------------------- the corpus

interface Case {
  cls: FaultClass;
  route: RouteSpec;
  label: string;
  send: () => Send;
  /** The codes this fault must be answered with, when it decides the answer. */
  codes?: ApiErrorCode[];
  /** A stateless route given an image that may still decode: a 2xx is a valid request, classified apart. */
  mayAccept?: boolean;
  stream?: { pulled: number; cancelled: boolean };
  /** The stream's length is declared in Content-Length: it must be refused before any of it is read. */
  declared?: boolean;
}

const AUTH_CODES: ApiErrorCode[] = ["UNAUTHORIZED", "FORBIDDEN", "QUOTA_EXCEEDED"];

function sample<T>(rng: Rng, items: readonly T[], k: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, k);
}

const bodyRoutes = () => routes.filter((r) => r.template);
const imageRoutes = () => routes.filter((r) => r.images?.length);

/** Sets `path` (`a.b`) of a copy of `body`. */
function setPath(body: Json, path: string, value: unknown): Json {
  const copy = structuredClone(body);
  const parts = path.split(".");
  let target = copy;
  for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Json;
  target[parts[parts.length - 1]] = value;
  return copy;
}

/** The template with every image field (or array) holding `image`. */
function withImages(route: RouteSpec, image: string): Json {
  let body = route.template!();
  for (const field of route.images ?? []) body = setPath(body, field, Array.isArray(body[field]) ? [image] : image);
  return body;
}

/** A body as the route takes it: JSON text, or for Kairos a multipart form of its fields (images as files). */
function encodeBody(route: RouteSpec, body: Json, asFiles = route.body === "form"): Send {
  if (!asFiles) return { body: JSON.stringify(body) };
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if ((route.images ?? []).includes(name) && v === tiny) form.append(name, new Blob([new Uint8Array(Buffer.from(v, "base64"))], { type: "image/png" }), `${name}.png`);
      else form.append(name, typeof v === "string" ? v : JSON.stringify(v));
    }
  }
  return { body: form };
}

/** Image bytes sent to a route: as base64 in every image field, or for form routes as files. */
function imageCase(route: RouteSpec, rng: Rng, bytes: Buffer): Send {
  const asFiles = route.body === "form" || (route.body === "json-or-form" && rng.chance(0.35));
  if (!asFiles) return { body: JSON.stringify(withImages(route, bytes.toString("base64"))) };
  const form = new FormData();
  const body = route.template!();
  for (const [name, value] of Object.entries(body)) {
    if ((route.images ?? []).includes(name)) form.append(name, new Blob([new Uint8Array(bytes)], { type: rng.pick(["image/jpeg", "image/png", "application/octet-stream", "text/plain"]) }), "x.jpg");
    else form.append(name, String(value));
  }
  return { body: form };
}

function fixtureOrDefault(route: RouteSpec, useFixture: boolean): Record<string, string> | undefined {
  return useFixture && route.fixtureParams ? route.fixtureParams() : route.params;
}

function buildCorpus(): Case[] {
  const root = new Rng(SEED, "faults");
  const cases: Case[] = [];
  const add = (c: Case) => cases.push(c);

  // -- json: wrong values per field, broken text, nesting, duplicate and prototype keys.
  {
    const rng = root.fork("json");
    for (const route of bodyRoutes()) {
      if (route.body === "form") {
        // Kairos reads multipart only: its form fields are what can be wrong.
        const file = (name: string, data: Uint8Array = Buffer.from(tiny, "base64")) => ({ name, filename: `${name}.png`, type: "image/png", data });
        const forms: Array<[string, Buffer]> = [
          ["two-selfies", multipart([file("selfie"), file("selfie"), file("image")])],
          ["no-image", multipart([file("selfie")])],
          ["no-selfie", multipart([file("image")])],
          ["empty-files", multipart([file("selfie", new Uint8Array()), file("image", new Uint8Array())])],
          ["text-fields-object", multipart([{ name: "selfie", data: "[object Object]" }, { name: "image", data: '{"a":1}' }])],
          ["bracket-names", multipart([file("selfie[]"), file("image[0]")])],
          ["proto-names", multipart([file("__proto__"), file("constructor"), { name: "selfie", data: "" }])],
          ["unicode-names", multipart([file("s\u00e9lfie"), file("imag\u00e9")])],
          ["no-parts", multipart([])],
          ["500-parts", multipart(Array.from({ length: 500 }, (_, i) => ({ name: `f${i}`, data: "x" })))],
          ["empty-name", multipart([{ name: "", data: "x" }, file("")])],
          ["filename-traversal", multipart([{ ...file("selfie"), filename: "../../../etc/passwd" }, { ...file("image"), filename: "..\\..\\boot.ini" }])],
        ];
        for (const [label, data] of forms) add({ cls: "json", route, label: `form:${label}`, send: () => ({ body: data, contentType: "multipart/form-data; boundary=fuzzBoundary7MA4YWxk" }) });
        continue;
      }
      const template = route.template!();
      for (const field of Object.keys(template)) {
        const type: FieldType = fieldTypeOf(template[field]);
        for (const wrong of sample(rng, wrongValues(type, !route.optional?.includes(field)), 2)) {
          add({ cls: "json", route, label: `${field}=${wrong.label}`, send: () => ({ body: withField(route.template!(), field, wrong.json) }) });
        }
      }
      // Structural faults start from a body that is wrong already when the route has nothing else to fail on.
      const base = route.poisonless ? { ...template, name: ["Fuzz"] } : template;
      for (const broken of sample(rng, brokenJson(base, rng), 10)) {
        add({ cls: "json", route, label: broken.label, send: () => ({ body: broken.text }) });
      }
    }
  }

  // -- image-corrupt: magic numbers with garbage, cut and bit-flipped images.
  {
    const rng = root.fork("image-corrupt");
    for (const route of imageRoutes()) {
      const variants: Array<{ label: string; bytes: Buffer; mayAccept?: boolean }> = magicWithGarbage(rng);
      const faceOk = !!route.stateless;
      for (let i = 0; i < 3; i++) {
        const cut = truncateAt(bases.facelessJpeg, rng);
        variants.push({ label: `jpeg-cut-at-${cut.at}`, bytes: cut.bytes });
      }
      if (faceOk) {
        const cut = truncateAt(bases.faceJpeg, rng);
        variants.push({ label: `face-jpeg-cut-at-${cut.at}`, bytes: cut.bytes });
      }
      // A PNG cut inside its pixel data (a cut inside IEND leaves every pixel and still decodes).
      const pngCut = truncateAt(bases.facelessPng, rng, bases.facelessPng.length - 13);
      variants.push({ label: `png-cut-at-${pngCut.at}`, bytes: pngCut.bytes });
      const webpCut = truncateAt(bases.facelessWebp, rng);
      variants.push({ label: `webp-cut-at-${webpCut.at}`, bytes: webpCut.bytes });
      const flips = rng.int(1, 24);
      variants.push({ label: `jpeg-${flips}-bytes-flipped`, bytes: flipBytes(bases.facelessJpeg, rng, flips), mayAccept: faceOk });
      variants.push({ label: "png-bytes-flipped", bytes: flipBytes(bases.facelessPng, rng, rng.int(1, 8)), mayAccept: faceOk });
      variants.push({ label: "webp-bytes-flipped", bytes: flipBytes(bases.facelessWebp, rng, rng.int(1, 8)), mayAccept: faceOk });
      if (faceOk) variants.push({ label: "face-jpeg-bytes-flipped", bytes: flipBytes(bases.faceJpeg, rng, rng.int(1, 12)), mayAccept: true });
      for (const v of sample(rng, variants, 11)) {
        const spec = imageCase(route, rng, v.bytes);
        add({ cls: "image-corrupt", route, label: v.label, mayAccept: v.mayAccept, send: () => ({ ...spec, params: fixtureOrDefault(route, true) }) });
      }
    }
  }

  // -- image-dimensions: headers that claim huge or empty sizes, and a real decompression bomb.
  {
    const rng = root.fork("image-dimensions");
    const claims: Array<{ label: string; bytes: Buffer; codes?: ApiErrorCode[] }> = [
      { label: "png-100000x100000", bytes: pngClaiming(100_000, 100_000), codes: ["IMAGE_TOO_LARGE"] },
      { label: "png-70000x800", bytes: pngClaiming(70_000, 800), codes: ["IMAGE_TOO_LARGE"] },
      { label: "png-1x100000", bytes: pngClaiming(1, 100_000) },
      { label: "png-0x0", bytes: pngClaiming(0, 0) },
      { label: "png-2^31x2^31", bytes: pngClaiming(2 ** 31 - 1, 2 ** 31 - 1) },
      { label: "png-deflate-bomb-8000x8000", bytes: bases.bomb, codes: ["IMAGE_TOO_LARGE"] },
      { label: "jpeg-65500x65500", bytes: jpegClaiming(bases.facelessJpeg, 65_500, 65_500), codes: ["IMAGE_TOO_LARGE"] },
      { label: "jpeg-0x0", bytes: jpegClaiming(bases.facelessJpeg, 0, 0) },
      { label: "jpeg-10x65500", bytes: jpegClaiming(bases.facelessJpeg, 10, 65_500) },
      { label: "jpeg-640x480-scan-of-320x240", bytes: jpegClaiming(bases.facelessJpeg, 640, 480) },
      { label: "webp-16383x16383", bytes: webpClaiming(bases.facelessWebp, 16_383, 16_383), codes: ["IMAGE_TOO_LARGE"] },
      { label: "webp-1x16383", bytes: webpClaiming(bases.facelessWebp, 1, 16_383) },
    ];
    for (const route of imageRoutes()) {
      for (const claim of sample(rng, claims, 4)) {
        const spec = imageCase(route, rng, claim.bytes);
        add({ cls: "image-dimensions", route, label: claim.label, codes: claim.codes, send: () => ({ ...spec, params: fixtureOrDefault(route, true) }) });
      }
    }
    // Within the pixel limit, large and legal: it must be analysed, not crash (a stateless route).
    const detect = routeByName("POST /api/v1/faces/detect");
    add({ cls: "image-dimensions", route: detect, label: "png-4000x4000-within-limit", mayAccept: true, send: () => ({ body: JSON.stringify({ image: bases.bigLegal.toString("base64") }) }) });
  }

  // -- content-type: the wrong media type, multipart without or with a wrong boundary, XML.
  {
    const rng = root.fork("content-type");
    for (const route of bodyRoutes()) {
      const takesForm = route.body !== "json";
      const takesJson = route.body !== "form";
      const json = JSON.stringify(route.poisonless ? { ...route.template!(), name: 42 } : route.template!());
      const refused: ApiErrorCode[] = ["UNSUPPORTED_MEDIA_TYPE"];
      const formFault: ApiErrorCode[] | undefined = takesForm ? undefined : refused;
      const jsonFault: ApiErrorCode[] | undefined = takesJson ? undefined : refused;
      const form = () => {
        const f = new FormData();
        for (const [k, v] of Object.entries(route.poisonless ? { ...route.template!(), name: "" } : route.template!())) f.append(k, typeof v === "string" ? v : JSON.stringify(v));
        return f;
      };
      const variants: Array<{ label: string; send: () => Send; codes?: ApiErrorCode[] }> = [
        { label: "text/plain", send: () => ({ body: json, contentType: "text/plain" }), codes: refused },
        { label: "no-content-type", send: () => ({ body: json, contentType: null }), codes: refused },
        { label: "application/xml", send: () => ({ body: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><request><image>&e;</image></request>`, contentType: "application/xml" }), codes: refused },
        { label: "text/xml", send: () => ({ body: "<request><name>x</name></request>", contentType: "text/xml; charset=utf-8" }), codes: refused },
        { label: "image/jpeg", send: () => ({ body: new Uint8Array(bases.facelessJpeg), contentType: "image/jpeg" }), codes: refused },
        { label: "octet-stream", send: () => ({ body: json, contentType: "application/octet-stream" }), codes: refused },
        { label: "multipart/mixed", send: () => ({ body: multipart([{ name: "image", data: "x" }]), contentType: "multipart/mixed; boundary=fuzzBoundary7MA4YWxk" }), codes: refused },
        { label: "multipart-no-boundary", send: () => ({ body: multipart([{ name: "image", data: "x" }]), contentType: "multipart/form-data" }), codes: takesForm ? ["INVALID_REQUEST"] : refused },
        { label: "multipart-wrong-boundary", send: () => ({ body: multipart([{ name: "selfie", data: tiny }], "someOtherBoundary"), contentType: "multipart/form-data; boundary=fuzzBoundary7MA4YWxk" }), codes: takesForm ? undefined : refused },
        { label: "multipart-unterminated", send: () => ({ body: multipart([{ name: "selfie", data: tiny }]).subarray(0, 60), contentType: "multipart/form-data; boundary=fuzzBoundary7MA4YWxk" }), codes: takesForm ? undefined : refused },
        { label: "form-data-for-json", send: () => ({ body: form() }), codes: formFault },
        { label: "urlencoded", send: () => ({ body: new URLSearchParams(Object.entries(route.template!()).map(([k, v]) => [k, String(v)])).toString(), contentType: "application/x-www-form-urlencoded" }), codes: formFault },
        { label: "json-utf16", send: () => ({ body: new Uint8Array(Buffer.from(json, "utf16le")), contentType: "application/json; charset=utf-16" }), codes: takesJson ? ["INVALID_REQUEST"] : refused },
        { label: "json-labelled-body-is-form", send: () => ({ body: "image=abc&name=x", contentType: "application/json" }), codes: takesJson ? ["INVALID_REQUEST"] : refused },
        { label: "uppercase-json", send: () => ({ body: json, contentType: "APPLICATION/JSON; CHARSET=UTF-8" }), codes: jsonFault },
        { label: "vendor+json", send: () => ({ body: json, contentType: "application/vnd.fuzz+json" }), codes: jsonFault },
        { label: "json-with-junk-params", send: () => ({ body: json, contentType: `application/json; boundary=x; charset=${asHeaderValue("\u00ff\u{1F600}")}` }), codes: jsonFault },
      ];
      for (const v of sample(rng, variants, 8)) add({ cls: "content-type", route, label: v.label, codes: v.codes, send: v.send });
    }
  }

  // -- oversized: over VIGIL_MAX_BODY_BYTES as a string, as a declared length, as a stream; images over the image limit.
  {
    const rng = root.fork("oversized");
    for (const route of bodyRoutes()) {
      const contentType = route.body === "form" ? "multipart/form-data; boundary=fuzzBoundary7MA4YWxk" : "application/json";
      const big = MAX_BODY_BYTES + rng.int(1, MAX_BODY_BYTES);
      add({ cls: "oversized", route, label: `string-body-${big}`, codes: ["BODY_TOO_LARGE"], send: () => ({ body: `{"pad":"${"A".repeat(big)}"}`, contentType }) });
      {
        const lazy = lazyBody(16 * MAX_BODY_BYTES, 64 * 1024);
        add({ cls: "oversized", route, label: "declared-length-over-limit", codes: ["BODY_TOO_LARGE"], stream: lazy.probe, declared: true, send: () => ({ body: lazy.stream, contentType, headers: { "content-length": String(16 * MAX_BODY_BYTES) } }) });
      }
      {
        const lazy = lazyBody(16 * MAX_BODY_BYTES, rng.pick([16 * 1024, 64 * 1024]));
        add({ cls: "oversized", route, label: "stream-without-length", codes: ["BODY_TOO_LARGE"], stream: lazy.probe, send: () => ({ body: lazy.stream, contentType }) });
      }
      if (route.images?.length) {
        // Under the body limit, over the image limit: refused from the base64's length, before decoding.
        const huge = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(MAX_IMAGE_BYTES + 1024, 7)]);
        // Two such images (selfie and reference) are over the body limit together.
        const spec = imageCase(route, rng, huge);
        add({ cls: "oversized", route, label: "image-over-image-limit", codes: ["IMAGE_TOO_LARGE", "BODY_TOO_LARGE"], send: () => ({ ...spec, params: fixtureOrDefault(route, true) }) });
      }
    }
  }

  // -- unicode: hostile strings in every text field; NUL must be refused even when nothing else is wrong.
  {
    const rng = root.fork("unicode");
    for (const route of bodyRoutes()) {
      for (const field of route.text ?? []) {
        const picks = [rng.pick(HOSTILE_STRINGS.filter((s) => !s.rejectable)), rng.pick(HOSTILE_STRINGS.filter((s) => s.rejectable))];
        for (const hostile of picks) {
          // Rejectable strings go in a body that is otherwise valid (the fixture's id where the route has one).
          const alone = hostile.rejectable && !route.images?.length;
          const poison = route.poisonless && !alone ? (field === "name" ? { description: 42 } : { name: 42 }) : {};
          add({
            cls: "unicode",
            route,
            label: `${field}=${hostile.label}`,
            codes: alone ? ["INVALID_REQUEST"] : undefined,
            send: () => ({ ...encodeBody(route, { ...setPath(route.template!(), field, hostile.value), ...poison }), params: fixtureOrDefault(route, alone) }),
          });
        }
      }
      // Every text field at once, and the same in keys.
      const hostile = rng.pick(HOSTILE_STRINGS);
      let all = route.template!();
      for (const field of route.text ?? []) all = setPath(all, field, hostile.value);
      add({ cls: "unicode", route, label: `all-fields=${hostile.label}`, send: () => ({ ...encodeBody(route, route.poisonless ? { ...all, description: 42 } : all), params: fixtureOrDefault(route, false) }) });
      add({ cls: "unicode", route, label: "unicode-keys", send: () => ({ ...encodeBody(route, { ...(route.poisonless ? { name: 42 } : route.template!()), "\u202Ename": "x", "\u0000": "x", "\u{1F600}": "x", "\uD800": 1 }), params: fixtureOrDefault(route, false) }) });
    }
    // Query strings of the list routes.
    for (const name of ["GET /api/v1/verifications", "GET /api/v1/persons", "GET /v2/face-recognition/persons"]) {
      const route = routeByName(name);
      const keys = name === "GET /api/v1/verifications" ? ["status", "type", "source", "cursor"] : name === "GET /api/v1/persons" ? ["collection", "before"] : ["collection", "page"];
      for (const key of keys) {
        for (const hostile of [rng.pick(HOSTILE_STRINGS.filter((s) => !s.rejectable)), rng.pick(HOSTILE_STRINGS.filter((s) => s.rejectable))]) {
          add({ cls: "unicode", route, label: `?${key}=${hostile.label}`, send: () => ({ query: `${key}=${encodeSegment(hostile.value)}` }) });
        }
      }
    }
  }

  // -- base64: image fields that are not base64, data URLs that lie, URLs of private hosts.
  {
    const rng = root.fork("base64");
    const values = badBase64(rng, Buffer.from(tiny, "base64"));
    for (const route of imageRoutes()) {
      for (const v of sample(rng, values, 6)) {
        add({ cls: "base64", route, label: v.label, send: () => ({ ...encodeBody(route, withImages(route, v.value), false), params: fixtureOrDefault(route, true) }) });
      }
      const arrayField = route.images!.find((f) => Array.isArray(route.template!()[f]));
      if (arrayField) {
        for (const [label, value] of [
          ["empty-array", []],
          ["array-with-empty", [""]],
          ["array-of-11", Array(11).fill(tiny)],
          ["array-mixed", [tiny, "@@@"]],
        ] as const) {
          add({ cls: "base64", route, label: `${arrayField}:${label}`, send: () => ({ body: JSON.stringify(setPath(route.template!(), arrayField, value)), params: fixtureOrDefault(route, true) }) });
        }
      }
    }
  }

  // -- bad-id: SQL-looking, traversal, very long and unicode ids in paths; bad list queries.
  {
    const rng = root.fork("bad-id");
    for (const route of routes.filter((r) => r.path.includes("{id}"))) {
      for (const id of sample(rng, BAD_IDS, 6)) {
        const body = route.template?.();
        const params: Record<string, string> = { ...route.params, id };
        // The person's or the face's id is the bad one, the other names something real.
        if (route.path.includes("{faceId}")) Object.assign(params, rng.chance(0.5) ? { id: fixture.personId, faceId: id } : { faceId: fixture.faceId });
        // Image links are mostly signed for the bad id, so that the lookup is what refuses them.
        const query = route.auth === "signed" && rng.chance(0.3) ? "" : undefined;
        add({
          cls: "bad-id",
          route,
          label: `id=${JSON.stringify(id.slice(0, 40))}${id.length > 40 ? `+${id.length - 40}` : ""}${query === "" ? " unsigned" : ""}`,
          send: () => ({ body: body && JSON.stringify(body), params, query }),
        });
      }
    }
    const queries: Array<[string, string, "lenient"?]> = [
      ["GET /api/v1/verifications", "limit=0"],
      ["GET /api/v1/verifications", "limit=-1"],
      ["GET /api/v1/verifications", "limit=1e999"],
      ["GET /api/v1/verifications", "limit=abc"],
      ["GET /api/v1/verifications", "limit=101"],
      ["GET /api/v1/verifications", "limit=5&limit=abc"],
      ["GET /api/v1/verifications", "cursor=ver_'%20OR%201=1"],
      ["GET /api/v1/verifications", "cursor=../../etc/passwd"],
      ["GET /api/v1/verifications", "status=approved'--"],
      ["GET /api/v1/verifications", "type=__proto__"],
      ["GET /api/v1/verifications", "source=constructor"],
      ["GET /api/v1/verifications", "__proto__[polluted]=yes&limit=0"],
      ["GET /api/v1/persons", "limit=0"],
      ["GET /api/v1/persons", "limit=1.5"],
      ["GET /api/v1/persons", "before=per_'%20OR%201=1"],
      ["GET /api/v1/persons", `before=${"z".repeat(5000)}`],
      ["GET /api/v1/persons", "collection=%27%3B%20DROP%20TABLE%20persons%3B--"],
      ["GET /api/v1/persons", `collection=${"c".repeat(201)}`],
      ["GET /api/v1/persons", "collection=..%2F..%2Fetc"],
      ["GET /v2/face-recognition/persons", "page=0"],
      ["GET /v2/face-recognition/persons", "page=-1"],
      ["GET /v2/face-recognition/persons", "page=1.5"],
      ["GET /v2/face-recognition/persons", "page=1000001"],
      ["GET /v2/face-recognition/persons", "page=NaN"],
      ["GET /v2/face-recognition/persons", "limit=101"],
      // Number() reads hex, as zod's coerce does: valid by accident, classified as accepted.
      ["GET /v2/face-recognition/persons", "limit=0x10", "lenient"],
      ["GET /api/v1/persons", "limit=0x10", "lenient"],
      ["GET /v2/face-recognition/persons", "collection=%27%20OR%20%271%27=%271"],
      ["GET /v2/face-recognition/persons", `collection=${"c".repeat(10_000)}`],
    ];
    for (const [name, query, lenient] of queries) add({ cls: "bad-id", route: routeByName(name), label: `?${query.slice(0, 60)}`, mayAccept: lenient === "lenient", send: () => ({ query }) });
  }

  // -- bad-auth: no key, malformed Basic, Bearer with unicode, revoked or spent keys, tampered image links.
  {
    const rng = root.fork("bad-auth");
    const unicodeToken = asHeaderValue("vgl_\u{1F600}\u202E\u00e9\u200B");
    for (const route of routes) {
      const body = route.template ? encodeBody(route, route.poisonless ? { ...route.template(), name: 42 } : route.template()) : {};
      const variants: Array<[string, Record<string, string> | null, string?]> = [];
      switch (route.auth) {
        case "key":
          variants.push(
            ["none", null],
            ["bearer-alone", { authorization: "Bearer" }],
            ["bearer-unicode", { authorization: `Bearer ${unicodeToken}` }],
            ["basic-on-bearer-route", { authorization: `Basic ${Buffer.from(`acme:${ctx.secret}`).toString("base64")}` }],
            ["bearer-two-tokens", { authorization: `Bearer ${ctx.secret} ${ctx.secret}` }],
            ["bearer-unknown", { authorization: "bearer vgl_unknownunknownunknownunknownunknownunknownx" }],
            ["bearer-8k", { authorization: `Bearer vgl_${"A".repeat(8192)}` }],
            ["token-scheme", { authorization: `Token ${ctx.secret}` }],
            ["revoked", { authorization: `Bearer ${keys.revoked}` }],
            ["quota-spent", { authorization: `Bearer ${keys.spent}` }],
            ["x-api-key-unicode", { "x-api-key": unicodeToken }],
            ["x-api-key-empty", { "x-api-key": "" }],
            ["bad-bearer-good-x-api-key", { authorization: "Bearer vgl_nope", "x-api-key": ctx.secret }],
          );
          if (route.scope) variants.push(["scope-missing", { authorization: `Bearer ${keys.scopeless}` }]);
          break;
        case "kairos":
          variants.push(
            ["none", null],
            ["app-id-only", { app_id: "acme" }],
            ["app-key-only", { app_key: ctx.secret }],
            ["wrong-project", { app_id: "other", app_key: ctx.secret }],
            ["other-project-key", { app_id: "acme", app_key: ctx.otherSecret }],
            ["unicode-key", { app_id: "acme", app_key: unicodeToken }],
            ["unicode-app-id", { app_id: asHeaderValue("\u202Eacme"), app_key: ctx.secret }],
            ["revoked", { app_id: "acme", app_key: keys.revoked }],
            ["bearer-instead", { authorization: `Bearer ${ctx.secret}` }],
          );
          break;
        case "sfx":
          variants.push(
            ["none", null],
            ["userid-only", { userid: "acme" }],
            ["apikey-only", { apikey: ctx.secret }],
            ["wrong-project", { userid: "other", apikey: ctx.secret }],
            ["unicode-key", { userid: "acme", apikey: unicodeToken }],
            ["blank-values", { userid: "  ", apikey: "  " }],
            ["quota-spent", { userid: "acme", apikey: keys.spent }],
            ["scope-missing", { userid: "acme", apikey: keys.scopeless }],
          );
          break;
        case "basic": {
          const basic = (text: string) => ({ authorization: `Basic ${Buffer.from(text).toString("base64")}` });
          variants.push(
            ["none", null],
            ["basic-alone", { authorization: "Basic" }],
            ["basic-not-base64", { authorization: "Basic !!!not base64!!!" }],
            ["basic-no-colon", basic(`acme${ctx.secret}`)],
            ["basic-empty-password", basic("acme:")],
            ["basic-wrong-password", basic("acme:vgl_wrong")],
            ["basic-other-project", basic(`other:${ctx.secret}`)],
            ["basic-unicode", basic(`\u202Eacme\u{1F600}:${ctx.secret}\u0000`)],
            ["basic-huge", { authorization: `Basic ${"QUFB".repeat(4096)}` }],
            ["bearer-instead", { authorization: `Bearer ${ctx.secret}` }],
            ["basic-revoked", basic(`acme:${keys.revoked}`)],
            ["basic-scope-missing", basic(`acme:${keys.scopeless}`)],
          );
          break;
        }
        case "signed": {
          const id = route.params!.id;
          const good = new URLSearchParams(signedQuery(id));
          const tamper = (key: string, value: string) => {
            const q = new URLSearchParams(good);
            q.set(key, value);
            return q.toString();
          };
          for (const [label, query] of [
            ["no-query", ""],
            ["sig-garbage", tamper("sig", "garbage")],
            ["sig-empty", tamper("sig", "")],
            ["exp-not-integer", tamper("exp", "1e999")],
            ["exp-stretched", tamper("exp", String(Number(good.get("exp")) + 86400))],
            ["actor-swapped", tamper("by", "user:admin")],
            ["expired", signedQuery(id, 1_000)],
            ["other-image-signature", signedQuery("img_11111111111111111111111111")],
            ["sig-unicode", tamper("sig", "\u{1F600}")],
            // The first of two values counts: a forged one put first must not be outvoted.
            ["duplicate-sig", `sig=forged&${good.toString()}`],
          ] as const) {
            add({ cls: "bad-auth", route, label, codes: AUTH_CODES, send: () => ({ query }) });
          }
          continue;
        }
      }
      for (const [label, auth] of sample(rng, variants, route.auth === "key" ? 3 : 5)) {
        add({ cls: "bad-auth", route, label, codes: AUTH_CODES, send: () => ({ ...body, params: fixtureOrDefault(route, true), auth }) });
      }
    }
  }
  return cases;
}

// ---------------------------------------------------------------- checking answers

const DOCUMENT_CODES = new Set(["DOCUMENT_NOT_FOUND", "TOO_MANY_DOCUMENTS", "DOCUMENT_TOO_SMALL", "DOCUMENT_CROPPED", "DOCUMENT_TOO_CLOSE_TO_BORDER", "DOCUMENT_TOO_CLOSE_TO_CAMERA", "DOCUMENT_PHOTO_NOT_FOUND"]);

/** Status and code an endpoint of `shape` answers `code` with, by its own mapper; several for Verifik's parameter codes. */
function expectedAnswers(shape: Shape, code: ApiErrorCode): Array<{ status: number; code: string }> {
  const variants = [new AppError(code, "m"), new AppError(code, "m", { field: "f" }), new AppError(code, "m", { field: "f", missing: true })];
  return variants.map((error) => {
    switch (shape) {
      case "native": {
        const { status, body } = toErrorBody(error);
        return { status, code: body.error.code };
      }
      case "verifik": {
        const { status, body } = toVerifikError(error);
        return { status, code: body.code };
      }
      case "kairos": {
        const { status, body } = toKairosError(error);
        return { status, code: body.errors[0].code };
      }
      case "sfx": {
        const { status, body } = toSfxError(error, { verificationType: null, transactionReference: null });
        return { status, code: body.responseCode };
      }
      case "docliveness": {
        const { status, body } = toDocumentLivenessError(error, { sessionId: null });
        return { status, code: body.error };
      }
    }
  });
}

/** The error code of a body in `shape`, or a description of what is wrong with its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function codeOf(shape: Shape, body: any, status: number): { code: string } | { problem: string } {
  const isString = (v: unknown) => typeof v === "string" && v.length > 0;
  switch (shape) {
    case "native": {
      if (!body?.error || !isString(body.error.code) || typeof body.error.message !== "string" || !isString(body.requestId)) return { problem: "not { error: { code, message }, requestId }" };
      const known = (errorCodes as Record<string, number>)[body.error.code];
      if (known !== status) return { problem: `status ${status} does not belong to ${body.error.code}` };
      return { code: body.error.code };
    }
    case "verifik":
      if (!isString(body?.code) || typeof body.message !== "string" || Object.keys(body).length !== 2) return { problem: "not { code, message }" };
      return { code: body.code };
    case "kairos":
      if (body?.response_code !== 0 || !Array.isArray(body.errors) || body.errors.length !== 1 || !isString(body.errors[0].code) || typeof body.errors[0].message !== "string") return { problem: "not { response_code: 0, errors: [{ code, message }] }" };
      return { code: body.errors[0].code };
    case "sfx":
      if (!/^(0[1-9]|99)$/.test(body?.responseCode) || typeof body.description !== "string" || body.transactionStatus !== "FAILED" || body.verificationStatus !== "PENDING" || body.livenessScore !== null) return { problem: "not the FAILED transaction shape" };
      return { code: body.responseCode };
    case "docliveness":
      if (body?.hasError !== true || !isString(body.error) || typeof body.message !== "string" || !("sessionId" in body)) return { problem: "not { sessionId, hasError: true, error, message }" };
      return { code: body.error };
  }
}

interface Outcome {
  status: number;
  verdict: "refused" | "accepted" | "documented" | "failed";
  problem?: string;
  code?: string;
}

async function judge(c: Case, res: Response, leakPaths: string[]): Promise<Outcome> {
  const status = res.status;
  const text = await res.text();
  const fail = (problem: string): Outcome => ({ status, verdict: "failed", problem: `${problem}: ${text.slice(0, 300)}` });
  if (status >= 500) return fail("5xx");
  const leak = leaks(text, leakPaths);
  if (leak) return fail(`leaks a ${leak}`);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(res.headers.get("x-request-id") ?? "")) return fail("no sane x-request-id");
  if (!(res.headers.get("content-type") ?? "").includes("application/json")) return fail("not JSON");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail("body does not parse as JSON");
  }
  if (status >= 200 && status < 300) {
    const doc = body as { hasError?: boolean; error?: string };
    if (c.route.shape === "docliveness" && status === 200 && doc.hasError === true && DOCUMENT_CODES.has(doc.error ?? "")) return { status, verdict: "documented", code: doc.error };
    if (c.mayAccept) return { status, verdict: "accepted" };
    return fail("2xx for a malformed request");
  }
  if (status < 400) return fail(`status ${status}`);
  const found = codeOf(c.route.shape, body, status);
  if ("problem" in found) return fail(`wrong error shape (${found.problem})`);
  if (c.codes) {
    const allowed = c.codes.flatMap((code) => expectedAnswers(c.route.shape, code));
    if (!allowed.some((a) => a.status === status && a.code === found.code)) {
      return fail(`expected ${[...new Set(allowed.map((a) => `${a.status} ${a.code}`))].join(" | ")}, got ${status} ${found.code}`);
    }
  }
  if (c.stream && c.declared) {
    // Refused on its Content-Length: at most what the stream queued before anyone read it.
    if (c.stream.pulled > 64 * 1024) return fail(`read ${c.stream.pulled} bytes of a body declared too large`);
  } else if (c.stream) {
    // Read no further than the limit and a few chunks of read-ahead, then cancelled.
    if (c.stream.pulled > MAX_BODY_BYTES + 4 * 64 * 1024) return fail(`read ${c.stream.pulled} bytes of an oversized body`);
    if (!c.stream.cancelled) return fail("oversized stream was not cancelled");
  }
  return { status, verdict: "refused", code: found.code };
}

// ---------------------------------------------------------------- the run

/** Rows per table of the public schema, in one query so that it can run after every request. */
async function rowCounts(): Promise<Record<string, number>> {
  tableNames ??= (
    (await ctx.handle.db.execute(sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`)) as unknown as { rows: Array<{ name: string }> }
  ).rows.map((r) => r.name);
  const select = tableNames.map((name) => `(select count(*)::int from "${name}") as "${name}"`).join(", ");
  const result = (await ctx.handle.db.execute(sql.raw(`select ${select}`))) as unknown as { rows: Array<Record<string, number>> };
  return result.rows[0];
}

let tableNames: string[] | undefined;

function grownTables(before: Record<string, number>, after: Record<string, number>): string {
  return Object.keys(after)
    .filter((t) => after[t] !== before[t])
    .map((t) => `${t} ${after[t] - before[t] > 0 ? "+" : ""}${after[t] - before[t]}`)
    .join(", ");
}

function storeFiles(): string[] {
  return readdirSync(ctx.storeDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function tally(into: Record<string, number>, key: string) {
  into[key] = (into[key] ?? 0) + 1;
}

beforeAll(async () => {
  process.env.VIGIL_MAX_BODY_BYTES = String(MAX_BODY_BYTES);
  process.env.VIGIL_MAX_IMAGE_BYTES = String(MAX_IMAGE_BYTES);
  // One inference worker: the corpus is sequential, and the machine is shared.
  process.env.VIGIL_INFERENCE_CONCURRENCY = "1";
  ctx = await setupApiTest();
  const db = ctx.handle.db;

  const revoked = await createApiKey(db, { projectId: ctx.project.id, name: "revoked" });
  await revokeApiKey(db, revoked.key.id);
  const spent = await createApiKey(db, { projectId: ctx.project.id, name: "spent", quota: 0 });
  const scopeless = await createApiKey(db, { projectId: ctx.project.id, name: "no scopes", scopes: [] });
  keys = { revoked: revoked.secret, spent: spent.secret, scopeless: scopeless.secret };

  // A collection and a person with an imported embedding (no image: the store stays empty).
  const collection = await createCollection(db, { projectId: ctx.project.id, actor: "system", name: "Fuzz fixture" });
  const rng = new Rng(SEED, "fixture-embedding");
  await bulkEnroll(db, { projectId: ctx.project.id, actor: "system", collections: [collection.id], persons: [{ name: "Fixture Person", embeddings: [Array.from({ length: 512 }, () => rng.normal())] }] });
  const [person] = await db.select().from(persons).where(eq(persons.projectId, ctx.project.id));
  const [face] = await db.select().from(personFaces).where(eq(personFaces.personId, person.id));
  fixture = { collectionId: collection.id, collectionCode: collection.code, personId: person.id, faceId: face.id };

  tiny = (await sharp({ create: { width: 30, height: 30, channels: 3, background: "#345" } }).png().toBuffer()).toString("base64");
  // A smooth gradient: real image data with no face in it, so a corrupt copy that still decodes finds none.
  const gradient = Buffer.alloc(320 * 240 * 3);
  for (let y = 0; y < 240; y++) for (let x = 0; x < 320; x++) gradient.set([x % 256, y, (x + y) % 256], (y * 320 + x) * 3);
  const raw = { raw: { width: 320, height: 240, channels: 3 as const } };
  const photo = samplePhoto("sample5.jpg");
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  bases = {
    facelessJpeg: await sharp(gradient, raw).jpeg({ quality: 85 }).toBuffer(),
    facelessPng: await sharp(gradient, raw).png().toBuffer(),
    facelessWebp: await sharp(gradient, raw).webp().toBuffer(),
    faceJpeg: await sharp(await cropAround(photo, faces[0].box, 0.6)).resize({ width: 200 }).jpeg({ quality: 80 }).toBuffer(),
    bomb: deflateBombPng(8000, 8000),
    bigLegal: await sharp({ create: { width: 4000, height: 4000, channels: 3, background: "#888" } }).png({ compressionLevel: 9 }).toBuffer(),
  };
}, 180_000);

afterAll(async () => {
  await stopInference();
  await ctx?.close();
  for (const name of ["VIGIL_MAX_BODY_BYTES", "VIGIL_MAX_IMAGE_BYTES", "VIGIL_INFERENCE_CONCURRENCY"]) delete process.env[name];
  resetEnv();
});

describe("the corpus' building blocks", () => {
  it("lie about sizes the way they claim to", async () => {
    // As the decoder reads headers before the pixel limit applies (lib/inference/image.ts).
    const header = (bytes: Buffer) => sharp(bytes, { limitInputPixels: false }).metadata();
    expect(await header(pngClaiming(100_000, 100_000))).toMatchObject({ format: "png", width: 100_000, height: 100_000 });
    expect(await header(bases.bomb)).toMatchObject({ format: "png", width: 8000, height: 8000 });
    expect(bases.bomb.length).toBeLessThan(100 * 1024);
    expect(await header(jpegClaiming(bases.facelessJpeg, 65_500, 65_500))).toMatchObject({ format: "jpeg", width: 65_500, height: 65_500 });
    expect(await header(webpClaiming(bases.facelessWebp, 16_383, 16_383))).toMatchObject({ format: "webp", width: 16_383, height: 16_383 });
  });

  it("spot a stack, a source path or a driver error in a body, and pass a plain message", () => {
    expect(leaks("Error: boom\n    at run (/srv/app/lib/x.ts:12:7)", [])).toBe("stack frame");
    expect(leaks('{"message":"failed at lib/http/body.ts:41"}', [])).toBe("source position");
    expect(leaks('{"message":"DrizzleQueryError: Failed query: select 1"}', [])).toBe("driver error");
    expect(leaks('{"message":"see /work/main/data"}', ["/work/main"])).toBe("path /work/main");
    expect(leaks('{"code":"InvalidArgument","message":"name must be at most 200 characters (got 201)\\n"}', [])).toBeNull();
  });
});

describe("faults and abuse (issue #7)", () => {
  it("answers 1,000+ malformed requests over every input route with a 4xx in the route's shape and writes nothing", async () => {
    const corpus = buildCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(1000);
    const inputRoutes = new Set(corpus.map((c) => c.route.name));
    expect(routes.filter((r) => !inputRoutes.has(r.name)).map((r) => r.name)).toEqual([]);

    const rowsBefore = await rowCounts();
    const filesBefore = storeFiles();
    const leakPaths = [process.cwd(), ctx.storeDir, process.env.VIGIL_DATA_DIR ?? ""];
    const junkRequestIds = ["../../etc/passwd", "x".repeat(300), asHeaderValue("\u{1F600}id"), "a b", "<script>"];
    const rng = new Rng(SEED, "run");

    const failures: string[] = [];
    const byClass: Record<string, Record<string, number>> = {};
    const byRoute: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    const verdicts: Record<string, number> = {};
    const accepted: string[] = [];
    const secondsByClass: Record<string, number> = {};
    const started = performance.now();

    let rows = rowsBefore;
    for (const [n, c] of corpus.entries()) {
      const sent = performance.now();
      const send = c.send();
      if (rng.chance(0.1)) send.headers = { ...send.headers, "x-request-id": rng.pick(junkRequestIds) };
      let outcome: Outcome;
      try {
        const { request, params } = buildRequest(c.route, send);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer within 30 s")), 30_000);
        });
        const res = await Promise.race([c.route.handler(request, routeParams(params)), timeout]).finally(() => clearTimeout(timer));
        outcome = await judge(c, res, leakPaths);
      } catch (error) {
        outcome = { status: 0, verdict: "failed", problem: `threw ${(error as Error).message}` };
      }
      secondsByClass[c.cls] = (secondsByClass[c.cls] ?? 0) + (performance.now() - sent) / 1000;
      byClass[c.cls] ??= {};
      tally(byClass[c.cls], String(outcome.status));
      tally(byRoute, c.route.name);
      tally(statuses, String(outcome.status));
      // Every request is checked for writes on its own, so that one that wrote is named.
      const rowsNow = await rowCounts();
      const grown = grownTables(rows, rowsNow);
      rows = rowsNow;
      if (grown && outcome.verdict !== "failed") outcome = { ...outcome, verdict: "failed", problem: `answered ${outcome.status} but wrote rows: ${grown}` };
      // FUZZ_DUMP=<file> keeps every request's outcome, one JSON line each, for a closer look.
      if (process.env.FUZZ_DUMP) appendFileSync(process.env.FUZZ_DUMP, `${JSON.stringify({ n, cls: c.cls, route: c.route.name, label: c.label, ...outcome })}\n`);
      tally(verdicts, outcome.verdict);
      if (outcome.verdict === "accepted") accepted.push(`${c.route.name} ${c.label}`);
      if (outcome.verdict === "failed") failures.push(`#${n} [${c.cls}] ${c.route.name} ${c.label}: ${outcome.problem}`);
    }
    const seconds = (performance.now() - started) / 1000;

    const rowsAfter = await rowCounts();
    const filesAfter = storeFiles();

    console.log(
      [
        `faults corpus: ${corpus.length} requests over ${inputRoutes.size} routes in ${seconds.toFixed(1)} s (seed ${SEED})`,
        `verdicts: ${JSON.stringify(verdicts)}`,
        `statuses: ${JSON.stringify(statuses)}`,
        "per class (requests, seconds, statuses):",
        ...FAULT_CLASSES.map((cls) => `  ${cls.padEnd(17)} ${String(Object.values(byClass[cls] ?? {}).reduce((a, b) => a + b, 0)).padStart(4)} ${(secondsByClass[cls] ?? 0).toFixed(1).padStart(5)} s  ${JSON.stringify(byClass[cls] ?? {})}`),
        "per route:",
        ...Object.entries(byRoute).map(([route, count]) => `  ${String(count).padStart(4)}  ${route}`),
        `accepted as valid (an image that still decodes after corruption on a stateless route, or a lenient number): ${accepted.length}`,
        ...accepted.map((a) => `  ${a}`),
      ].join("\n"),
    );

    expect(failures.slice(0, 40), `${failures.length} failures`).toEqual([]);
    expect(rowsAfter).toEqual(rowsBefore);
    expect(filesBefore).toEqual([]);
    expect(filesAfter).toEqual([]);
    // Prototype keys in bodies stayed data.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  }, 600_000);
});
