import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GET as getOpenApiRoute } from "@/app/api/openapi.json/route";
import { API_ERROR_CODES, errorCodes } from "@/lib/errors";
import { buildOpenApiDocument, getOpenApiDocument } from "./document";
import type { OpenApiOperation } from "./document";
import { checkDescribed } from "@/lib/testing/contract";
import { allOperations } from "./operations";

const root = fileURLToPath(new URL("../../", import.meta.url));
const doc = getOpenApiDocument();
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * Route files under app/ that are not part of the described API: next-auth's catch-all (the
 * console's sign-in protocol, owned by next-auth) and the console's own queue feed (session
 * cookie, polled by the review console; not an integration surface).
 */
const NOT_API = ["app/api/auth/[...nextauth]/route.ts", "app/api/console/queue/route.ts"];

function routeFiles(): string[] {
  return (readdirSync(join(root, "app"), { recursive: true }) as string[])
    .map((f) => join("app", f).split(sep).join("/"))
    .filter((f) => /(^|\/)route\.ts$/.test(f))
    .sort();
}

/** "app/api/v1/persons/[id]/route.ts" -> "/api/v1/persons/{id}" (route groups dropped). */
function openApiPathOf(file: string): string {
  const parts = file
    .replace(/^app\//, "")
    .replace(/\/?route\.ts$/, "")
    .split("/")
    .filter((p) => p && !/^\(.*\)$/.test(p))
    .map((p) => p.replace(/^\[(\w+)\]$/, "{$1}"));
  return `/${parts.join("/")}`;
}

function operations(): Array<[string, string, OpenApiOperation]> {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]): [string, string, OpenApiOperation] => [path, method, op]));
}

/** Every `$ref` in a JSON value, with where it was found. */
function refsIn(value: unknown, at = "#"): Array<[string, string]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => refsIn(v, `${at}/${i}`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => (k === "$ref" && typeof v === "string" ? [[at, v] as [string, string]] : refsIn(v, `${at}/${k}`)));
}

function resolvePointer(target: unknown, pointer: string): unknown {
  if (!pointer.startsWith("#/")) return undefined;
  return pointer
    .slice(2)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined), target);
}

describe("the OpenAPI document", () => {
  it("has the fields OpenAPI 3.1 requires, and operations with unique ids, tags and responses", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "Vigil API", version: expect.any(String), license: { identifier: "MIT" } });
    const ops = operations();
    expect(ops.length).toBe(allOperations.length);
    const ids = ops.map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const [path, method, op] of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(["get", "put", "post", "delete", "patch"], where).toContain(method);
      expect(op.summary, where).toBeTruthy();
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      expect(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${where} has a success response`).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^[1-5]\d\d$/);
        expect((response as { description?: string }).description, `${where} ${status}`).toBeTruthy();
      }
      for (const tag of op.tags) expect(tags, where).toContain(tag);
      // Path templates and path parameters name the same things.
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = op.parameters.filter((p) => p.in === "path").map((p) => p.name as string).sort();
      expect(declared, where).toEqual(templated);
      for (const p of op.parameters) expect(["path", "query", "header", "cookie"], where).toContain(p.in);
      for (const requirement of op.security) for (const scheme of Object.keys(requirement)) expect(Object.keys(doc.components.securitySchemes), where).toContain(scheme);
    }
  });

  it("resolves every $ref, and every component is referenced from somewhere", () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(50);
    const broken = refs.filter(([, target]) => resolvePointer(doc, target) === undefined);
    expect(broken).toEqual([]);
    const used = new Set(refs.map(([, target]) => target));
    const unused = Object.keys(doc.components.schemas).filter((id) => !used.has(`#/components/schemas/${id}`));
    expect(unused).toEqual([]);
    // Components are plain schemas: the generator's $schema/$id do not belong in OpenAPI components.
    for (const [id, schema] of Object.entries(doc.components.schemas)) {
      expect(schema.$schema, id).toBeUndefined();
      expect(schema.$id, id).toBeUndefined();
    }
  });

  it("describes request bodies as the routes accept them: JSON, multipart images, base64 strings", () => {
    const create = doc.paths["/api/v1/verifications"].post;
    const content = (create.requestBody as { content: Record<string, unknown> }).content;
    expect(Object.keys(content).sort()).toEqual(["application/json", "multipart/form-data"]);
    const form = doc.components.schemas.CreateVerificationForm as { properties: Record<string, { contentMediaType?: string }> };
    expect(form.properties.selfie.contentMediaType).toBe("application/octet-stream");
    const json = doc.components.schemas.CreateVerificationRequest as { properties: Record<string, { type?: string; description?: string }> };
    expect(json.properties.selfie).toMatchObject({ type: "string", description: expect.stringMatching(/base64/) });
    const search = doc.components.schemas.SearchFacesRequest as { required: string[]; properties: Record<string, { maximum?: number }> };
    expect(search.required).toEqual(["image"]);
    expect(search.properties.limit.maximum).toBe(100);
    expect(doc.paths["/v0.1/biometric-verification"].post.requestBody).toMatchObject({ content: { "multipart/form-data": {} } });
  });

  it("builds the same document twice (no state leaks between builds)", () => {
    expect(JSON.stringify(buildOpenApiDocument(allOperations))).toBe(JSON.stringify(doc));
  });
});

describe("the registry covers the routes", () => {
  it("has an operation for every method every API route file exports, and none without a route", () => {
    const exported: string[] = [];
    for (const file of routeFiles()) {
      if (NOT_API.includes(file)) continue;
      const text = readFileSync(join(root, file), "utf8");
      for (const m of text.matchAll(/export\s+(?:const|async\s+function|function)\s+([A-Z]+)\b/g)) if (HTTP_METHODS.includes(m[1])) exported.push(`${m[1]} ${openApiPathOf(file)}`);
    }
    expect(exported.length).toBeGreaterThan(40);
    const described = allOperations.map((op) => `${op.method} ${op.path}`);
    expect(described.sort()).toEqual(exported.sort());
  });

  it("lists only excluded files that exist (an exclusion must not outlive its route)", () => {
    const files = routeFiles();
    for (const file of NOT_API) expect(files).toContain(file);
  });
});

describe("documented error codes", () => {
  it("are codes of lib/errors.ts, each native one under the status the native mapper gives it", () => {
    for (const op of allOperations) expect(API_ERROR_CODES, op.operationId).toEqual(expect.arrayContaining([...op.errors]));
    for (const [path, method, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const codes = ((response as Record<string, unknown>)["x-vigil-error-codes"] as string[] | undefined) ?? [];
        for (const code of codes) expect(API_ERROR_CODES, `${method} ${path} ${status}`).toContain(code);
        const spec = allOperations.find((o) => o.operationId === op.operationId)!;
        if (spec.family === "native") for (const code of codes) expect(errorCodes[code as keyof typeof errorCodes], `${op.operationId} ${code}`).toBe(Number(status));
      }
    }
  });

  it("include what every keyed native route can answer: bad key, wrong scope, quota, rate limit, 500", () => {
    for (const op of allOperations.filter((o) => o.family === "native" && o.auth.scheme === "apiKey")) {
      expect(op.errors, op.operationId).toEqual(expect.arrayContaining(["UNAUTHORIZED", "FORBIDDEN", "QUOTA_EXCEEDED", "RATE_LIMITED", "INTERNAL"]));
      if (op.body) expect(op.errors, op.operationId).toEqual(expect.arrayContaining(["INVALID_REQUEST", "BODY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"]));
    }
  });

  it("map Verifik's parameter errors to its own statuses (409 MissingParameter, 400 InvalidContent)", () => {
    const responses = doc.paths["/v2/face-recognition/search"].post.responses as Record<string, { description: string }>;
    expect(responses["409"].description).toContain("MissingParameter");
    expect(responses["400"].description).toContain("InvalidContent");
    // Document liveness answers a photo without a document with 200 and hasError.
    const doc200 = doc.paths["/api/v1/document/liveness"].post.responses["200"] as { content: { "application/json": { schema: { oneOf?: unknown[] } } } };
    expect(doc200.content["application/json"].schema.oneOf).toHaveLength(2);
  });
});

describe("GET /api/openapi.json", () => {
  it("answers 200 with the document as JSON, public and cacheable", async () => {
    const res = getOpenApiRoute();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    const body = await res.json();
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths)).toContain("/api/v1/search");
    expect(body).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});


describe("the tests' contract check (lib/testing/contract.ts)", () => {
  const collection = { id: "col_1", object: "collection", code: "c", name: "n", description: "", createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z" };
  const error = (code: string, status: number) => Response.json({ error: { code, message: "m" }, requestId: "r" }, { status });
  const url = "http://vigil.test/api/v1/collections/col_1";

  it("passes a described answer: a success body that matches, a listed error", async () => {
    await expect(checkDescribed("GET", url, Response.json(collection))).resolves.toBeInstanceOf(Response);
    await expect(checkDescribed("GET", url, error("NOT_FOUND", 404))).resolves.toBeInstanceOf(Response);
    await expect(checkDescribed("DELETE", url, new Response(null, { status: 204 }))).resolves.toBeInstanceOf(Response);
  });

  it("fails a body its schema refuses, a status the operation does not list, a code it does not list, an undescribed route", async () => {
    await expect(checkDescribed("GET", url, Response.json({ ...collection, name: 7 }))).rejects.toThrow(/schema refuses/);
    await expect(checkDescribed("GET", url, error("NO_FACE_FOUND", 422))).rejects.toThrow(/does not list/);
    await expect(checkDescribed("POST", "http://vigil.test/api/v1/persons", error("IDEMPOTENCY_KEY_REUSED", 409))).rejects.toThrow(/IDEMPOTENCY_KEY_REUSED, which the description does not list/);
    await expect(checkDescribed("GET", "http://vigil.test/api/v1/nothing", Response.json({}))).rejects.toThrow(/no operation describes/);
  });
});
