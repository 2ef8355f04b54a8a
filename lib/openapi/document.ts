import "server-only";
import { z } from "zod";
import type { ApiErrorCode } from "@/lib/errors";
import packageJson from "@/package.json";
import { allOperations, errorShapes } from "./operations";
import * as responses from "./responses";
import * as vendor from "./vendor";
import type { OperationSpec } from "./spec";

/**
 * Builds the OpenAPI 3.1 description from the operation registry (./operations.ts). Every
 * body schema is a zod schema the code uses; z.toJSONSchema (JSON Schema 2020-12, the dialect
 * OpenAPI 3.1 uses) turns them into components/schemas, and error statuses come from the
 * endpoint's own error mapper, so the description cannot promise what the code does not do.
 */

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: Json;
  servers: Json[];
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json>; headers: Record<string, Json> };
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  "x-vigil-scopes": string[];
  "x-vigil-error-codes": ApiErrorCode[];
  [extension: `x-${string}`]: unknown;
}

export const SCHEMA_REF_PREFIX = "#/components/schemas/";

/** Tags in the order the reference page shows them. */
export const TAGS: Array<{ name: string; description: string }> = [
  { name: "Verifications", description: "Stored verifications with automatic decisions; borderline ones reach the review queue." },
  { name: "Faces", description: "Stateless face endpoints: nothing is stored." },
  { name: "Collections", description: "Named sets of enrolled persons." },
  { name: "Persons", description: "Enrolled persons and their faces (1:N gallery)." },
  { name: "Search", description: "1:N search and 1:1 verification against enrolled persons." },
  { name: "Images", description: "Signed, expiring image links." },
  { name: "Verifik", description: "Drop-in Verifik-shaped endpoints (`/v2/face-recognition/...`)." },
  { name: "Kairos", description: "Drop-in Kairos-shaped biometric verification." },
  { name: "verified.africa", description: "Drop-in verified.africa (sfx) passive liveness." },
  { name: "Document liveness", description: "Drop-in document passive liveness (vendor shape, Basic auth)." },
  { name: "Operations", description: "Health, metrics and this description." },
];

/** Friendly component names for the shared response schemas; the rest are named after their operation. */
const NAMED_SCHEMAS: Array<[z.ZodType, string]> = [
  [responses.errorBodySchema, "ErrorBody"],
  [responses.apiErrorCodeSchema, "ErrorCode"],
  [responses.bandSchema, "Band"],
  [responses.boxSchema, "Box"],
  [responses.faceSchema, "Face"],
  [responses.faceQualitySchema, "FaceQuality"],
  [responses.subjectFaceSchema, "SubjectFace"],
  [responses.imageInfoSchema, "ImageInfo"],
  [responses.modelRefSchema, "ModelRef"],
  [responses.faceAnalysisSchema, "FaceAnalysis"],
  [responses.detectFacesResponseSchema, "DetectFacesResult"],
  [responses.compareFacesResponseSchema, "CompareFacesResult"],
  [responses.faceLivenessResponseSchema, "FaceLivenessResult"],
  [responses.checkResultSchema, "CheckResult"],
  [responses.verificationImageSchema, "VerificationImage"],
  [responses.verificationSchema, "Verification"],
  [responses.verificationListSchema, "VerificationList"],
  [responses.faceReportSchema, "FaceReport"],
  [responses.collectionSchema, "Collection"],
  [responses.collectionListSchema, "CollectionList"],
  [responses.collectionRefSchema, "CollectionRef"],
  [responses.personMetadataViewSchema, "PersonMetadata"],
  [responses.enrolledFaceSchema, "EnrolledFace"],
  [responses.personSchema, "Person"],
  [responses.personListSchema, "PersonList"],
  [responses.verifyPersonResponseSchema, "VerifyPersonResult"],
  [responses.searchCandidateSchema, "SearchCandidate"],
  [responses.searchResponseSchema, "SearchResult"],
  [vendor.verifikSignatureSchema, "VerifikSignature"],
  [vendor.verifikCollectionSchema, "VerifikCollection"],
  [vendor.verifikPersonSchema, "VerifikPerson"],
  [vendor.verifikMatchSchema, "VerifikMatch"],
];

const SECURITY_SCHEMES: Record<string, Json> = {
  bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "vgl_...", description: "A Vigil API key: `Authorization: Bearer vgl_...`. Scopes: verify, documents, search." },
  apiKeyHeader: { type: "apiKey", in: "header", name: "X-Api-Key", description: "The same API key in `X-Api-Key` (native endpoints only)." },
  basicAuth: { type: "http", scheme: "basic", description: "Document liveness: user = project slug (or empty), password = an API key with the `documents` scope." },
  kairosAppId: { type: "apiKey", in: "header", name: "app_id", description: "Kairos: the project slug." },
  kairosAppKey: { type: "apiKey", in: "header", name: "app_key", description: "Kairos: a Vigil API key." },
  sfxUserId: { type: "apiKey", in: "header", name: "Userid", description: "verified.africa: the project slug." },
  sfxApiKey: { type: "apiKey", in: "header", name: "ApiKey", description: "verified.africa: a Vigil API key." },
  metricsToken: { type: "http", scheme: "bearer", description: "`Authorization: Bearer <VIGIL_METRICS_TOKEN>` (Prometheus scrapes)." },
};

/** Security requirements: alternatives, one per scope when the request decides which scope it needs. */
function securityOf(op: OperationSpec): Array<Record<string, string[]>> {
  const scopeSets = op.auth.scopes.length > 1 ? op.auth.scopes.map((s) => [s]) : [op.auth.scopes];
  const each = (schemes: string[]) => scopeSets.map((scopes) => Object.fromEntries(schemes.map((s) => [s, scopes])));
  switch (op.auth.scheme) {
    case "apiKey":
      return [...each(["bearerAuth"]), ...each(["apiKeyHeader"])];
    case "bearerOnly":
      return each(["bearerAuth"]);
    case "basic":
      return each(["basicAuth"]);
    case "kairos":
      return each(["kairosAppId", "kairosAppKey"]);
    case "sfx":
      return each(["sfxUserId", "sfxApiKey"]);
    case "metricsToken":
      return [{ metricsToken: [] }];
    case "signedUrl":
    case "none":
      return [];
  }
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);
const ref = (id: string) => ({ $ref: `${SCHEMA_REF_PREFIX}${id}` });
const jsonContent = (schemaRef: Json, contentType = "application/json") => ({ [contentType]: { schema: schemaRef } });

/** Drops what a standalone JSON Schema carries and an OpenAPI component must not. */
function asComponent(schema: Json): Json {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** JSON Schema of a standalone zod schema (query parameters), as the route parses it. */
function standalone(schema: z.ZodType): Json {
  return asComponent(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json);
}

function parametersOf(op: OperationSpec): Json[] {
  const out: Json[] = [];
  for (const [name, description] of Object.entries(op.pathParams ?? {})) out.push({ name, in: "path", required: true, description, schema: { type: "string" } });
  if (op.query) {
    const json = standalone(op.query) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = schema;
      out.push({ name, in: "query", required: json.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
    }
  }
  for (const h of op.headers ?? []) out.push({ name: h.name, in: "header", required: h.required ?? false, description: h.description, schema: { type: "string" } });
  return out;
}

let built: OpenApiDocument | null = null;

/** The OpenAPI 3.1 description of every operation in the registry (built once per process). */
export function getOpenApiDocument(): OpenApiDocument {
  built ??= buildOpenApiDocument(allOperations);
  return built;
}

export function buildOpenApiDocument(operations: OperationSpec[]): OpenApiDocument {
  const registry = z.registry<{ id: string }>();
  const idOf = (schema: z.ZodType, fallback: string): string => {
    const known = registry.get(schema)?.id;
    if (known) return known;
    registry.add(schema, { id: fallback });
    return fallback;
  };
  for (const [schema, id] of NAMED_SCHEMAS) registry.add(schema, { id });
  for (const shape of Object.values(errorShapes)) idOf(shape.schema, shape.schemaId);

  const paths: OpenApiDocument["paths"] = {};
  for (const op of operations) {
    const base = capitalize(op.operationId);
    const operation: OpenApiOperation = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      security: securityOf(op),
      parameters: parametersOf(op),
      responses: {},
      "x-vigil-scopes": op.auth.scopes,
      "x-vigil-error-codes": [...op.errors],
      ...(op.auth.scopeNote ? { "x-vigil-scope-note": op.auth.scopeNote } : {}),
      ...(op.auth.scheme === "signedUrl" ? { "x-vigil-auth": "The signature in the URL's query (exp, by, sig) is the credential." } : {}),
    };
    if (op.body) {
      const content: Json = {};
      if (op.body.json) Object.assign(content, jsonContent(ref(idOf(op.body.json, `${base}Request`))));
      if (op.body.form) Object.assign(content, jsonContent(ref(idOf(op.body.form, `${base}Form`)), "multipart/form-data"));
      operation.requestBody = { required: op.body.required, ...(op.body.description ? { description: op.body.description } : {}), content };
    }
    for (const r of op.responses) {
      const headers: Json = { "X-Request-Id": { $ref: "#/components/headers/RequestId" } };
      for (const [name, description] of Object.entries(r.headers ?? {})) headers[name] = { description, schema: { type: "string" } };
      operation.responses[String(r.status)] = {
        description: r.description,
        headers,
        ...(r.schema ? { content: jsonContent(ref(idOf(r.schema, `${base}Response${r.status}`)), r.contentType) } : r.contentType ? { content: { [r.contentType]: { schema: { type: "string", contentMediaType: r.contentType } } } } : {}),
      };
    }
    const shape = errorShapes[op.family];
    const errorRef = ref(idOf(shape.schema, shape.schemaId));
    const byStatus = new Map<number, Array<{ code: ApiErrorCode; vendorCode: string }>>();
    for (const code of op.errors) {
      for (const { status, vendorCode } of shape.answers(code)) byStatus.set(status, [...(byStatus.get(status) ?? []), { code, vendorCode }]);
    }
    for (const [status, answers] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      const key = String(status);
      const codes = [...new Set(answers.map((a) => a.code))];
      const listed = answers.map((a) => (a.vendorCode === a.code ? a.code : `${a.code} (${a.vendorCode})`)).join(", ");
      const existing = operation.responses[key] as { description: string; headers: Json; content?: Record<string, { schema: Json }> } | undefined;
      if (existing) {
        // The vendor answers some refusals with a success status (document liveness: 200 with hasError).
        const success = existing.content?.["application/json"]?.schema;
        operation.responses[key] = {
          ...existing,
          description: `${existing.description} Or a refusal: ${listed}.`,
          content: jsonContent(success ? { oneOf: [success, errorRef] } : errorRef),
          "x-vigil-error-codes": codes,
        };
        continue;
      }
      const headers: Json = { "X-Request-Id": { $ref: "#/components/headers/RequestId" } };
      if (codes.includes("RATE_LIMITED")) headers["Retry-After"] = { description: "Seconds until the key's rate window resets.", schema: { type: "integer" } };
      operation.responses[key] = { description: listed, headers, content: jsonContent(errorRef), "x-vigil-error-codes": codes };
    }
    (paths[op.path] ??= {})[op.method.toLowerCase()] = operation;
  }

  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `${SCHEMA_REF_PREFIX}${id}`, io: "input", unrepresentable: "any" }) as { schemas: Record<string, Json> };
  if ("__shared" in schemas) throw new Error("openapi: a schema was extracted into __shared; register it by name instead");
  return {
    openapi: "3.1.0",
    info: {
      title: "Vigil API",
      version: packageJson.version,
      summary: "Identity verification on your own CPU: face match, 1:N search, selfie and document liveness.",
      description:
        "Native API under `/api/v1` (errors: `{error: {code, message, details?}, requestId}` with stable codes), and drop-in endpoints in the shapes of the vendors Vigil replaces. Generated from the zod schemas the routes parse with and the presenters are typed with.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/", description: "This Vigil server." }],
    tags: TAGS.filter((t) => operations.some((op) => op.tag === t.name)),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, asComponent(schema)])),
      securitySchemes: SECURITY_SCHEMES,
      headers: { RequestId: { description: "The request id: the caller's X-Request-Id when sane, else a new one. Quote it when reporting a problem.", schema: { type: "string" } } },
    },
  };
}
