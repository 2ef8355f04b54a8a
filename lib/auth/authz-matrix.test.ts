/**
 * The authorisation matrix (issue #7): every route handler and every server action, called by
 * every kind of caller, with the answer each one must get.
 *
 * Real: the route handlers and server actions as exported from app/, next-auth (sign-in
 * through the login server action, the JWT session cookie it sets, its decoding on every
 * request), the session and role checks of lib/auth, API keys and scopes, the domain code, an
 * in-memory PGlite and an encrypted image store on disk.
 *
 * Stands in:
 *  - `next/headers`: Next keeps the current request's headers and cookies in AsyncLocalStorage,
 *    which only its server sets up. Here `headers()` answers the headers of the request being
 *    made (the Request given to a route handler; for an action, the headers a browser or an
 *    API client would send), and `cookies().set` records what next-auth sets at sign-in.
 *  - `next/cache`: `revalidatePath` needs Next's static generation store; it records the paths.
 *  - the inference pool: it refuses every image as INVALID_IMAGE (400) and reports itself
 *    ready. The matrix is about who gets past the guards; a 400 after them proves they were
 *    passed, without loading models on a shared CPU. Probes send "AAAA" as the image.
 *  - Next's action dispatch (action id -> exported function) is not run: every export of a
 *    "use server" module is a public endpoint, so each one is called here directly.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { and, asc, count, eq, isNull } from "drizzle-orm";
import sharp from "sharp";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiKeys, auditEvents, persons, thresholdPolicies, users } from "@/db/schema";
import type { ApiScope, Project } from "@/lib/auth/api-keys";
import { API_SCOPES, createApiKey } from "@/lib/auth/api-keys";
import { createUser, updateUser } from "@/lib/auth/users";
import { isAppError } from "@/lib/errors";
import { bulkEnroll } from "@/lib/search/bulk";
import type { Collection } from "@/lib/search/collections";
import { createCollection, getCollection } from "@/lib/search/collections";
import { getPerson } from "@/lib/search/persons";
import { getStorageKey } from "@/lib/storage/keys";
import { signImagePath, urlSigningKey } from "@/lib/storage/signed-urls";
import type { ApiTestContext } from "@/lib/testing/api";
import { setupApiTest } from "@/lib/testing/api";
import { DEFAULT_BANDS } from "@/lib/verification/policy";
import { hashRequest, storeVerification } from "@/lib/verification/service";
import type { VerificationRecord } from "@/lib/verification/service";
import { createEndpoint } from "@/lib/webhooks/endpoints";
import { getWebhookSecretKey } from "@/lib/webhooks/secrets";

const next = vi.hoisted(() => ({ headers: new Headers(), jar: new Map<string, string>(), revalidated: [] as string[] }));

vi.mock("next/headers", () => ({
  headers: async () => next.headers,
  cookies: async () => ({
    get: (name: string) => (next.jar.has(name) ? { name, value: next.jar.get(name)! } : undefined),
    getAll: () => [...next.jar].map(([name, value]) => ({ name, value })),
    has: (name: string) => next.jar.has(name),
    set: (name: string | { name: string; value: string }, value?: string) => {
      if (typeof name === "string") next.jar.set(name, value ?? "");
      else next.jar.set(name.name, name.value);
    },
    delete: (name: string) => next.jar.delete(name),
  }),
}));

vi.mock("next/cache", () => ({
  revalidatePath: (path: string) => void next.revalidated.push(path),
  revalidateTag: (tag: string) => void next.revalidated.push(`tag:${tag}`),
}));

vi.mock("@/lib/inference/pool", async (importOriginal) => {
  const { AppError } = await import("@/lib/errors");
  const refuse = async () => {
    throw new AppError("INVALID_IMAGE", "The test's stand-in for inference refuses every image.");
  };
  return { ...(await importOriginal<typeof import("@/lib/inference/pool")>()), analyzeFaces: refuse, analyzeDocument: refuse, startInference: async () => ({ workers: 1, ms: 0 }) };
});

// ------------------------------------------------------------------------------------ callers

/**
 * anon: no credentials. key: an API key of the resource's project (A) with every scope.
 * noScope: a key of A with every scope but the one the route needs (no scope at all where the
 * route needs none). other: a key of another project (B) with every scope; where the protocol
 * names the project (Basic user, app_id, Userid) it names A. reviewer, admin: console sessions.
 * disabled: the session cookie of an admin who was disabled after signing in.
 */
const CALLERS = ["anon", "key", "noScope", "other", "reviewer", "admin", "disabled"] as const;
type Caller = (typeof CALLERS)[number];
type Expected<T> = Record<Caller, T>;

/** The owner calls last, after every refusal has been checked to change nothing. */
const ROUTE_ORDER: Caller[] = ["anon", "reviewer", "admin", "disabled", "other", "noScope", "key"];
const ACTION_ORDER: Caller[] = ["anon", "key", "noScope", "other", "disabled", "reviewer", "admin"];

/** An API-key route: a console session is no API credential, so sessions get 401 like anonymous. */
const keyed = (key: number, noScope: number, other: number): Expected<number> => ({ anon: 401, key, noScope, other, reviewer: 401, admin: 401, disabled: 401 });
/** The same answer for everyone. */
const everyone = <T>(value: T): Expected<T> => ({ anon: value, key: value, noScope: value, other: value, reviewer: value, admin: value, disabled: value });
/** A console server action: API keys travel in headers an action never reads. */
const signedIn = (allowed: string): Expected<string> => ({ ...everyone("UNAUTHORIZED"), reviewer: allowed, admin: allowed });
const adminOnly = (allowed: string): Expected<string> => ({ ...everyone("UNAUTHORIZED"), reviewer: "FORBIDDEN", admin: allowed });

// ----------------------------------------------------------------------------------- fixtures

const PROBE_IMAGE = "AAAA";
const IDEMPOTENCY_KEY = "matrix-replay";
const PASSWORD = "matrix-password-1";

interface Fixtures {
  a: Project;
  b: Project;
  secrets: { key: string; other: string; without: Record<ApiScope, string>; none: string };
  cookies: Partial<Record<Caller, string>>;
  emails: { reviewer: string; admin: string; disabled: string };
  collection: Collection;
  collectionToDelete: Collection;
  collectionToDeleteVerifik: Collection;
  person: string;
  personToDelete: string;
  personToDeleteVerifik: string;
  personWithFaces: { id: string; faceToDelete: string };
  verification: VerificationRecord;
  caseId: string;
  endpointId: string;
  /** A key of A for the revoke action. */
  throwawayKeyId: string;
  /** Ids of project A that no one but A's keys and the console may see. */
  secretIds: string[];
}

let ctx: ApiTestContext;
let f: Fixtures;
const root = fileURLToPath(new URL("../..", import.meta.url));

const db = () => ctx.handle.db;

async function auditCount(): Promise<number> {
  const [row] = await db().select({ n: count() }).from(auditEvents);
  return Number(row.n);
}

function embedding(): number[] {
  return Array.from({ length: 512 }, () => Math.random() - 0.5);
}

/** Cookies of the responses' Set-Cookie, as the browser would send them back. */
function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
}

function baseHeaders(): Headers {
  return new Headers({ host: "vigil.test", "x-forwarded-proto": "http" });
}

// --------------------------------------------------------------------------- module discovery

function filesUnder(dir: string, test: (file: string) => boolean): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[])
    .map((file) => join(dir, file).split(sep).join("/"))
    .filter((file) => !file.includes("node_modules") && test(file))
    .sort();
}

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** "app/api/v1/collections/[id]/route.ts" -> "/api/v1/collections/[id]" (route groups dropped). */
function urlPathOf(file: string): string {
  const parts = file.replace(/^app\//, "").replace(/\/?route\.ts$/, "").split("/").filter((p) => p && !/^\(.*\)$/.test(p));
  return `/${parts.join("/")}`;
}

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;
type AnyFunction = (...args: unknown[]) => Promise<unknown>;

const routeHandlers = new Map<string, Handler>();
const actions = new Map<string, AnyFunction>();
const serverActionFiles: string[] = [];

async function discover(): Promise<void> {
  for (const file of filesUnder("app", (name) => /(^|\/)route\.ts$/.test(name))) {
    const mod = (await import(/* @vite-ignore */ join(root, file))) as Record<string, unknown>;
    for (const method of HTTP_METHODS) {
      if (typeof mod[method] === "function") routeHandlers.set(`${method} ${urlPathOf(file)}`, mod[method] as Handler);
    }
  }
  for (const dir of ["app", "lib", "components"]) {
    for (const file of filesUnder(dir, (name) => /\.(ts|tsx)$/.test(name) && !name.endsWith(".test.ts"))) {
      const text = readFileSync(join(root, file), "utf8");
      if (!/["']use server["']/.test(text)) continue;
      serverActionFiles.push(file);
      const mod = (await import(/* @vite-ignore */ join(root, file))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) if (typeof value === "function") actions.set(`${file}#${name}`, value as AnyFunction);
    }
  }
}

// -------------------------------------------------------------------------------- route rows

interface Probe {
  path: string;
  params?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

interface RouteRow {
  /** "METHOD /path" as the file system has it. */
  route: string;
  /** How an API key travels: Bearer; Basic project:key; Kairos' app_id/app_key; verified.africa's Userid/ApiKey. */
  auth?: "bearer" | "basic" | "kairos" | "sfx";
  /** The scope the request needs (null: none; every key may read its own project's records). */
  scope: ApiScope | null;
  probe: () => Probe;
  expected: Expected<number>;
  /** Project A's state the request could change: read before the refused calls and after them. */
  state?: () => Promise<unknown>;
  /** Callers who may see project A's ids in the answer (the owner's keys; the console). */
  entitled?: Caller[];
}

const colPath = () => `/api/v1/collections/${f.collection.id}`;
const vColPath = () => `/v2/face-recognition/collections/${f.collection.code}`;
/** "exists" or "gone", for the state of a row that deletes. */
const exists = (read: () => Promise<unknown>) => async () => {
  try {
    await read();
    return "exists";
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") return "gone";
    throw error;
  }
};
const collectionState = () => getCollection(db(), f.a.id, f.collection.id).then((c) => [c.name, c.description]);
const personState = () => getPerson(db(), f.a.id, f.person).then((p) => [p.name, p.externalRef, p.metadata, p.collections.map((c) => c.id), p.faces.length]);

const ROUTES: RouteRow[] = [
  // next-auth's own endpoints are public: they are how a session starts and ends.
  { route: "GET /api/auth/[...nextauth]", scope: null, probe: () => ({ path: "/api/auth/providers" }), expected: everyone(200) },
  {
    // A sign-out POST without next-auth's CSRF token must not end anyone's session.
    route: "POST /api/auth/[...nextauth]",
    scope: null,
    probe: () => ({ path: "/api/auth/signout", form: { callbackUrl: "/login" } }),
    expected: everyone(302),
    state: async () => (await Promise.all((["reviewer", "admin"] as const).map((c) => userBehind(f.cookies[c]!)))).map((u) => u?.email ?? null),
  },
  { route: "GET /api/console/queue", scope: null, probe: () => ({ path: "/api/console/queue" }), expected: { ...everyone(401), reviewer: 200, admin: 200 }, entitled: ["reviewer", "admin"] },
  { route: "GET /api/health", scope: null, probe: () => ({ path: "/api/health" }), expected: everyone(200) },
  // The API's description: public, it holds no data.
  { route: "GET /api/openapi.json", scope: null, probe: () => ({ path: "/api/openapi.json" }), expected: everyone(200) },
  // Only VIGIL_METRICS_TOKEN opens metrics (checked below): neither keys nor sessions do.
  { route: "GET /api/metrics", scope: null, probe: () => ({ path: "/api/metrics" }), expected: everyone(401) },

  { route: "GET /api/v1/collections", scope: "search", probe: () => ({ path: "/api/v1/collections" }), expected: keyed(200, 403, 200) },
  { route: "POST /api/v1/collections", scope: "search", probe: () => ({ path: "/api/v1/collections", json: { name: "Made by a probe" } }), expected: keyed(201, 403, 201) },
  { route: "GET /api/v1/collections/[id]", scope: "search", probe: () => ({ path: colPath(), params: { id: f.collection.id } }), expected: keyed(200, 403, 404) },
  {
    route: "PATCH /api/v1/collections/[id]",
    scope: "search",
    probe: () => ({ path: colPath(), params: { id: f.collection.id }, json: { name: "Renamed", description: "by a probe" } }),
    expected: keyed(200, 403, 404),
    state: collectionState,
  },
  {
    route: "DELETE /api/v1/collections/[id]",
    scope: "search",
    probe: () => ({ path: `/api/v1/collections/${f.collectionToDelete.id}`, params: { id: f.collectionToDelete.id } }),
    expected: keyed(204, 403, 404),
    state: exists(() => getCollection(db(), f.a.id, f.collectionToDelete.id)),
  },
  { route: "POST /api/v1/document/liveness", auth: "basic", scope: "documents", probe: () => ({ path: "/api/v1/document/liveness", json: { frontSideImageBase: PROBE_IMAGE } }), expected: keyed(400, 403, 403) },
  { route: "POST /api/v1/faces/compare", scope: "verify", probe: () => ({ path: "/api/v1/faces/compare", json: { image1: PROBE_IMAGE, image2: PROBE_IMAGE } }), expected: keyed(400, 403, 400) },
  { route: "POST /api/v1/faces/detect", scope: "verify", probe: () => ({ path: "/api/v1/faces/detect", json: { image: PROBE_IMAGE } }), expected: keyed(400, 403, 400) },
  { route: "POST /api/v1/faces/liveness", scope: "verify", probe: () => ({ path: "/api/v1/faces/liveness", json: { image: PROBE_IMAGE } }), expected: keyed(400, 403, 400) },
  // Images open with a signed URL only (see "signed image URLs"); no key or session opens them.
  { route: "GET /api/v1/images/[id]", scope: null, probe: () => ({ path: `/api/v1/images/${f.verification.images[0].id}`, params: { id: f.verification.images[0].id } }), expected: everyone(401) },
  {
    route: "DELETE /api/v1/persons/[id]/faces/[faceId]",
    scope: "search",
    probe: () => ({ path: `/api/v1/persons/${f.personWithFaces.id}/faces/${f.personWithFaces.faceToDelete}`, params: { id: f.personWithFaces.id, faceId: f.personWithFaces.faceToDelete } }),
    expected: keyed(204, 403, 404),
    state: () => getPerson(db(), f.a.id, f.personWithFaces.id).then((p) => p.faces.map((face) => face.id)),
  },
  { route: "POST /api/v1/persons/[id]/faces", scope: "search", probe: () => ({ path: `/api/v1/persons/${f.person}/faces`, params: { id: f.person }, json: { images: [PROBE_IMAGE] } }), expected: keyed(400, 403, 404), state: personState },
  { route: "GET /api/v1/persons/[id]", scope: "search", probe: () => ({ path: `/api/v1/persons/${f.person}`, params: { id: f.person } }), expected: keyed(200, 403, 404) },
  {
    route: "PATCH /api/v1/persons/[id]",
    scope: "search",
    probe: () => ({ path: `/api/v1/persons/${f.person}`, params: { id: f.person }, json: { name: "Renamed", externalRef: "renamed", collections: [] } }),
    expected: keyed(200, 403, 404),
    state: personState,
  },
  {
    route: "DELETE /api/v1/persons/[id]",
    scope: "search",
    probe: () => ({ path: `/api/v1/persons/${f.personToDelete}`, params: { id: f.personToDelete } }),
    expected: keyed(204, 403, 404),
    state: exists(() => getPerson(db(), f.a.id, f.personToDelete)),
  },
  { route: "POST /api/v1/persons/[id]/verify", scope: "search", probe: () => ({ path: `/api/v1/persons/${f.person}/verify`, params: { id: f.person }, json: { image: PROBE_IMAGE } }), expected: keyed(400, 403, 404) },
  // A collection of A named in B's request is as unknown to B as A's persons are.
  { route: "GET /api/v1/persons", scope: "search", probe: () => ({ path: `/api/v1/persons?collection=${f.collection.id}` }), expected: keyed(200, 403, 404) },
  { route: "POST /api/v1/persons", scope: "search", probe: () => ({ path: "/api/v1/persons", json: { name: "Probe", collections: [f.collection.id], images: [PROBE_IMAGE] } }), expected: keyed(400, 403, 404) },
  { route: "POST /api/v1/search", scope: "search", probe: () => ({ path: "/api/v1/search", json: { image: PROBE_IMAGE, collections: [f.collection.id] } }), expected: keyed(400, 403, 404) },
  { route: "GET /api/v1/verifications/[id]/face-report", scope: null, probe: () => ({ path: `/api/v1/verifications/${f.verification.id}/face-report`, params: { id: f.verification.id } }), expected: keyed(200, 200, 404) },
  { route: "GET /api/v1/verifications/[id]", scope: null, probe: () => ({ path: `/api/v1/verifications/${f.verification.id}`, params: { id: f.verification.id } }), expected: keyed(200, 200, 404) },
  { route: "GET /api/v1/verifications", scope: null, probe: () => ({ path: "/api/v1/verifications" }), expected: keyed(200, 200, 200) },
  {
    // A's Idempotency-Key with A's exact request replays A's record (200, no inference); the
    // same key and body from project B must not reach it, and run as B's own request.
    route: "POST /api/v1/verifications",
    scope: "verify",
    probe: () => ({ path: "/api/v1/verifications", json: { type: "face_match", selfie: PROBE_IMAGE, reference: PROBE_IMAGE }, headers: { "idempotency-key": IDEMPOTENCY_KEY } }),
    expected: keyed(200, 403, 400),
  },
  { route: "POST /sfx-verify/v3/id-service", auth: "sfx", scope: "verify", probe: () => ({ path: "/sfx-verify/v3/id-service", json: { verificationType: "PASSIVE-LIVELINESS-VERIFICATION", selfie: PROBE_IMAGE } }), expected: keyed(400, 403, 403) },
  { route: "POST /v0.1/biometric-verification", auth: "kairos", scope: "verify", probe: () => ({ path: "/v0.1/biometric-verification", form: { selfie: PROBE_IMAGE, image: PROBE_IMAGE } }), expected: keyed(400, 403, 403) },

  { route: "GET /v2/face-recognition/collections", scope: "search", probe: () => ({ path: "/v2/face-recognition/collections" }), expected: keyed(200, 403, 200) },
  { route: "POST /v2/face-recognition/collections", scope: "search", probe: () => ({ path: "/v2/face-recognition/collections", json: { name: "Made by a probe" } }), expected: keyed(200, 403, 200) },
  { route: "GET /v2/face-recognition/collections/[id]", scope: "search", probe: () => ({ path: vColPath(), params: { id: f.collection.code } }), expected: keyed(200, 403, 404) },
  { route: "PUT /v2/face-recognition/collections/[id]", scope: "search", probe: () => ({ path: vColPath(), params: { id: f.collection.code }, json: { name: "Renamed again" } }), expected: keyed(200, 403, 404), state: collectionState },
  {
    route: "DELETE /v2/face-recognition/collections/[id]",
    scope: "search",
    probe: () => ({ path: `/v2/face-recognition/collections/${f.collectionToDeleteVerifik.code}`, params: { id: f.collectionToDeleteVerifik.code } }),
    expected: keyed(200, 403, 404),
    state: exists(() => getCollection(db(), f.a.id, f.collectionToDeleteVerifik.id)),
  },
  { route: "POST /v2/face-recognition/compare-with-liveness", scope: "verify", probe: () => ({ path: "/v2/face-recognition/compare-with-liveness", json: { search_mode: "FAST", probe: PROBE_IMAGE, gallery: [PROBE_IMAGE] } }), expected: keyed(400, 403, 400) },
  { route: "GET /v2/face-recognition/persons", scope: "search", probe: () => ({ path: `/v2/face-recognition/persons?collection=${f.collection.code}` }), expected: keyed(200, 403, 404) },
  { route: "POST /v2/face-recognition/persons", scope: "search", probe: () => ({ path: "/v2/face-recognition/persons", json: { name: "Probe", images: [PROBE_IMAGE], collections: [f.collection.code] } }), expected: keyed(400, 403, 404) },
  { route: "GET /v2/face-recognition/persons/[id]", scope: "search", probe: () => ({ path: `/v2/face-recognition/persons/${f.person}`, params: { id: f.person } }), expected: keyed(200, 403, 404) },
  { route: "PUT /v2/face-recognition/persons/[id]", scope: "search", probe: () => ({ path: `/v2/face-recognition/persons/${f.person}`, params: { id: f.person }, json: { name: "Renamed again", collections: [f.collection.code] } }), expected: keyed(200, 403, 404), state: personState },
  {
    route: "DELETE /v2/face-recognition/persons/[id]",
    scope: "search",
    probe: () => ({ path: `/v2/face-recognition/persons/${f.personToDeleteVerifik}`, params: { id: f.personToDeleteVerifik } }),
    expected: keyed(200, 403, 404),
    state: exists(() => getPerson(db(), f.a.id, f.personToDeleteVerifik)),
  },
  {
    route: "POST /v2/face-recognition/persons/search-live-face",
    scope: "search",
    probe: () => ({ path: "/v2/face-recognition/persons/search-live-face", json: { name: "Probe", collection_id: f.collection.code, images: [PROBE_IMAGE] } }),
    expected: keyed(400, 403, 404),
  },
  {
    route: "POST /v2/face-recognition/search-live-face",
    scope: "search",
    probe: () => ({ path: "/v2/face-recognition/search-live-face", json: { image: PROBE_IMAGE, os: "DESKTOP", liveness_min_score: 0.6, min_score: 0.8, search_mode: "FAST", collection_id: f.collection.code } }),
    expected: keyed(400, 403, 404),
  },
  { route: "POST /v2/face-recognition/search/crops", scope: "search", probe: () => ({ path: "/v2/face-recognition/search/crops", json: { images: [PROBE_IMAGE], min_score: 0.8, search_mode: "FAST", collection_id: f.collection.code } }), expected: keyed(400, 403, 404) },
  { route: "POST /v2/face-recognition/search", scope: "search", probe: () => ({ path: "/v2/face-recognition/search", json: { images: [PROBE_IMAGE], min_score: 0.8, search_mode: "FAST", collection_id: f.collection.code } }), expected: keyed(400, 403, 404) },
  { route: "POST /v2/face-recognition/verify", scope: "search", probe: () => ({ path: "/v2/face-recognition/verify", json: { id: f.person, images: [PROBE_IMAGE], min_score: 0.8, search_mode: "FAST" } }), expected: keyed(400, 403, 404) },
];

function keyOf(caller: Caller, scope: ApiScope | null): string | null {
  if (caller === "key") return f.secrets.key;
  if (caller === "other") return f.secrets.other;
  if (caller === "noScope") return scope ? f.secrets.without[scope] : f.secrets.none;
  return null;
}

/** The headers `caller` sends: its API key in the route's protocol, or its session cookie. */
function credentialsOf(caller: Caller, auth: RouteRow["auth"] = "bearer", scope: ApiScope | null = null): Headers {
  const headers = baseHeaders();
  const cookie = f.cookies[caller];
  if (cookie) headers.set("cookie", cookie);
  const secret = keyOf(caller, scope);
  if (secret) {
    if (auth === "bearer") headers.set("authorization", `Bearer ${secret}`);
    if (auth === "basic") headers.set("authorization", `Basic ${Buffer.from(`${f.a.slug}:${secret}`).toString("base64")}`);
    if (auth === "kairos") {
      headers.set("app_id", f.a.slug);
      headers.set("app_key", secret);
    }
    if (auth === "sfx") {
      headers.set("userid", f.a.slug);
      headers.set("apikey", secret);
    }
  }
  return headers;
}

async function callRoute(row: RouteRow, caller: Caller): Promise<{ status: number; text: string }> {
  const handler = routeHandlers.get(row.route);
  if (!handler) throw new Error(`no handler for ${row.route}`);
  const method = row.route.split(" ")[0];
  const probe = row.probe();
  const headers = credentialsOf(caller, row.auth, row.scope);
  for (const [name, value] of Object.entries(probe.headers ?? {})) headers.set(name, value);
  let body: string | undefined;
  if (probe.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(probe.json);
  } else if (probe.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(probe.form).toString();
  }
  const request = new NextRequest(`http://vigil.test${probe.path}`, { method, headers, body });
  next.headers = request.headers;
  const response = await handler(request, { params: Promise.resolve(probe.params ?? {}) });
  return { status: response.status, text: await response.text() };
}

// ------------------------------------------------------------------------------- action rows

interface ActionRow {
  /** "<file>#<export>". */
  action: string;
  call: (action: AnyFunction) => Promise<unknown>;
  expected: Expected<string>;
  /** Signs reviewer and admin in afresh for this row (the action ends the session it runs in). */
  freshSessions?: boolean;
}

/** The key of an action exported by a file under app/. */
const inApp = (file: string, name: string) => `app/${file}#${name}`;
const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
};
let signInProbe = 0;

const ACTIONS: ActionRow[] = [
  { action: inApp("(console)/admin/keys/actions.ts", "createKeyAction"), call: (fn) => fn({ projectId: f.a.id, name: "made by the matrix", scopes: ["verify"], quota: null }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/keys/actions.ts", "revokeKeyAction"), call: (fn) => fn({ keyId: f.throwawayKeyId }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/retention/actions.ts", "setRetentionDaysAction"), call: (fn) => fn({ projectId: f.a.id, days: 42 }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/retention/actions.ts", "previewErasureAction"), call: (fn) => fn({ projectId: f.a.id, verificationId: f.verification.id }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/retention/actions.ts", "eraseSubjectAction"), call: (fn) => fn({ projectId: f.a.id, externalRef: "nobody-by-this-ref" }), expected: adminOnly("NOT_FOUND") },
  { action: inApp("(console)/admin/thresholds/actions.ts", "backtestThresholdsAction"), call: (fn) => fn({ projectId: f.a.id, bands: DEFAULT_BANDS, days: null }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/thresholds/actions.ts", "saveThresholdsAction"), call: (fn) => fn({ projectId: f.a.id, bands: { ...DEFAULT_BANDS, face_match: { approve: 0.6, review: 0.4 } }, reason: "matrix", baseVersion: 1 }), expected: adminOnly("ok") },
  // After the row above saved v2 as the admin.
  { action: inApp("(console)/admin/thresholds/actions.ts", "rollbackThresholdsAction"), call: (fn) => fn({ projectId: f.a.id, toVersion: 1, reason: "matrix", baseVersion: 2 }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/users/actions.ts", "createUserAction"), call: (fn) => fn({ email: "made-by-matrix@matrix.test", role: "admin" }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/users/actions.ts", "updateUserAction"), call: (fn) => fn({ userId: "usr_nobody", role: "admin" }), expected: adminOnly("NOT_FOUND") },
  {
    action: inApp("(console)/admin/webhooks/actions.ts", "createWebhookEndpointAction"),
    call: (fn) => fn({ projectId: f.a.id, url: "https://hooks.example.test/matrix", events: ["review.decided"] }),
    expected: adminOnly("ok"),
  },
  { action: inApp("(console)/admin/webhooks/actions.ts", "rotateWebhookSecretAction"), call: (fn) => fn({ endpointId: f.endpointId }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/webhooks/actions.ts", "setWebhookEndpointEnabledAction"), call: (fn) => fn({ endpointId: f.endpointId, enabled: true }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/webhooks/actions.ts", "deleteWebhookEndpointAction"), call: (fn) => fn({ endpointId: "whe_nobody" }), expected: adminOnly("NOT_FOUND") },
  { action: inApp("(console)/admin/webhooks/actions.ts", "sendWebhookTestAction"), call: (fn) => fn({ endpointId: f.endpointId }), expected: adminOnly("ok") },
  { action: inApp("(console)/admin/webhooks/actions.ts", "redeliverWebhookAction"), call: (fn) => fn({ deliveryId: "whd_nobody" }), expected: adminOnly("NOT_FOUND") },
  // Reviewer actions need a claim on the case: nobody holds it, so a signed-in caller gets past the guard to CASE_NOT_CLAIMED.
  { action: inApp("(console)/cases/[id]/actions.ts", "decideAction"), call: (fn) => fn({ caseId: f.caseId, decision: "approve" }), expected: signedIn("CASE_NOT_CLAIMED") },
  { action: inApp("(console)/cases/[id]/actions.ts", "renewClaimAction"), call: (fn) => fn(f.caseId), expected: signedIn("CASE_NOT_CLAIMED") },
  { action: inApp("(console)/cases/[id]/actions.ts", "releaseAction"), call: (fn) => fn(f.caseId), expected: signedIn("ok") },
  { action: inApp("(console)/cases/[id]/actions.ts", "duplicateVerdictAction"), call: (fn) => fn({ caseId: f.caseId, candidateId: "dup_nobody", verdict: "same" }), expected: signedIn("CASE_NOT_CLAIMED") },
  { action: inApp("(console)/gallery/actions.ts", "deletePersonAction"), call: (fn) => fn({ projectId: f.a.id, personId: "per_nobody" }), expected: adminOnly("NOT_FOUND") },
  { action: inApp("(console)/gallery/actions.ts", "createCollectionAction"), call: (fn) => fn({ projectId: f.a.id, name: "made by the matrix" }), expected: adminOnly("ok") },
  { action: inApp("(console)/gallery/actions.ts", "deleteCollectionAction"), call: (fn) => fn({ projectId: f.a.id, collectionId: "col_nobody" }), expected: adminOnly("NOT_FOUND") },
  // Without photos: a signed-in admin gets past the guard to the API's INVALID_REQUEST, before any inference.
  { action: inApp("(console)/gallery/actions.ts", "enrollPersonAction"), call: (fn) => fn(form({ projectId: f.a.id, name: "made by the matrix" })), expected: adminOnly("INVALID_REQUEST") },
  { action: inApp("(console)/queue/actions.ts", "claimNextAction"), call: (fn) => fn({ filters: { projectId: "prj_nobody" } }), expected: signedIn("ok") },
  { action: inApp("(console)/records/actions.ts", "reopenAction"), call: (fn) => fn({ verificationId: f.verification.id, note: "" }), expected: signedIn("INVALID_REQUEST") },
  { action: inApp("(console)/verify/actions.ts", "runVerificationAction"), call: (fn) => fn({ error: null }, form({ projectId: f.a.id, type: "selfie_liveness" })), expected: signedIn("INVALID_REQUEST") },
  // Public by design: signing in is how a session starts (a wrong password fails alike for all);
  // signing out ends only the caller's own session (checked in the row).
  { action: inApp("login/actions.ts", "signInAction"), call: (fn) => fn({ error: null, email: "" }, form({ email: `nobody-${signInProbe++}@matrix.test`, password: "wrong-password-1" })), expected: everyone("refused") },
  { action: inApp("login/actions.ts", "signOutAction"), call: (fn) => fn(), expected: everyone("redirect"), freshSessions: true },
];

function isRedirect(error: unknown): boolean {
  return typeof (error as { digest?: unknown })?.digest === "string" && (error as { digest: string }).digest.startsWith("NEXT_REDIRECT");
}

/** An action's answer as one word: "ok", the error code, "refused" (sign-in's message) or "redirect". */
async function outcomeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    const result = (await run()) as Record<string, unknown> | undefined;
    if (result && "ok" in result) return result.ok ? "ok" : (result.error as { code: string }).code;
    if (result && "error" in result) {
      if (result.error === null) return "ok";
      return typeof result.error === "string" ? "refused" : (result.error as { code: string }).code;
    }
    return "ok";
  } catch (error) {
    if (isRedirect(error)) return "redirect";
    throw error;
  }
}

async function signIn(email: string): Promise<string> {
  next.headers = baseHeaders();
  next.jar.clear();
  const { signInAction } = await import("@/app/login/actions");
  const outcome = await outcomeOf(() => signInAction({ error: null, email: "" }, form({ email, password: PASSWORD, next: "/queue" })));
  expect(outcome, `sign-in of ${email}`).toBe("redirect");
  expect([...next.jar.keys()].some((name) => name.includes("session-token"))).toBe(true);
  return cookieHeader(next.jar);
}

/** The console user a cookie header stands for, read the way every page and action reads it. */
async function userBehind(cookie: string | null) {
  const { getCurrentUser } = await import("@/lib/auth/guard");
  next.headers = baseHeaders();
  if (cookie) next.headers.set("cookie", cookie);
  return getCurrentUser();
}

// ----------------------------------------------------------------------------------- set-up

beforeAll(async () => {
  process.env.VIGIL_METRICS_TOKEN = "matrix-metrics-token-0123456789";
  // What `experimental.authInterrupts` in next.config.ts makes the build define, for forbidden().
  process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = "true";
  ctx = await setupApiTest();
  const d = ctx.handle.db;
  const a = ctx.project;
  const setup = "user:matrix-setup";
  const without = {} as Record<ApiScope, string>;
  for (const scope of API_SCOPES) without[scope] = (await createApiKey(d, { projectId: a.id, name: `without ${scope}`, scopes: API_SCOPES.filter((s) => s !== scope) })).secret;
  const none = (await createApiKey(d, { projectId: a.id, name: "no scopes", scopes: [] })).secret;

  const emails = { reviewer: "reviewer@matrix.test", admin: "admin@matrix.test", disabled: "disabled-admin@matrix.test" };
  await createUser(d, { email: emails.reviewer, role: "reviewer", password: PASSWORD });
  await createUser(d, { email: emails.admin, role: "admin", password: PASSWORD });
  const disabledUser = await createUser(d, { email: emails.disabled, role: "admin", password: PASSWORD });

  const collection = await createCollection(d, { projectId: a.id, name: "Staff", actor: setup });
  const collectionToDelete = await createCollection(d, { projectId: a.id, name: "Doomed", actor: setup });
  const collectionToDeleteVerifik = await createCollection(d, { projectId: a.id, name: "Doomed too", actor: setup });
  await bulkEnroll(d, {
    projectId: a.id,
    actor: setup,
    collections: [collection.id],
    persons: [
      { name: "Ana", externalRef: "ana", embeddings: [embedding(), embedding()] },
      { name: "Del", externalRef: "del", embeddings: [embedding()] },
      { name: "Del V", externalRef: "del-v", embeddings: [embedding()] },
      { name: "Two Faces", externalRef: "two-faces", embeddings: [embedding(), embedding()] },
    ],
  });
  const rows = await d.select({ id: persons.id, ref: persons.externalRef }).from(persons).where(eq(persons.projectId, a.id));
  const personId = (ref: string) => rows.find((r) => r.ref === ref)!.id;
  const twoFaces = await getPerson(d, a.id, personId("two-faces"));

  const image = (background: string) => sharp({ create: { width: 64, height: 64, channels: 3, background } }).jpeg().toBuffer();
  const stored = { format: "jpeg", width: 64, height: 64, faces: { faces: [], quality: null } };
  const { record: verification } = await storeVerification(d, ctx.store, {
    projectId: a.id,
    apiKeyId: null,
    actor: setup,
    source: "native",
    type: "face_match",
    requestId: "matrix-seed",
    idempotencyKey: IDEMPOTENCY_KEY,
    // What POST /api/v1/verifications hashes for the probe's body (type, selfie, references, externalRef).
    requestHash: hashRequest(["face_match", PROBE_IMAGE, PROBE_IMAGE, null]),
    checks: [{ check: "face_match", status: "done", score: 0.5, band: "review", model: { id: "matrix", version: "1" }, details: {} }],
    policyVersion: 1,
    timings: {},
    started: performance.now(),
    images: [
      { role: "selfie", position: 0, bytes: await image("#a86"), ...stored },
      { role: "reference", position: 0, bytes: await image("#468"), ...stored },
    ],
  });
  const { endpoint } = await createEndpoint(d, getWebhookSecretKey(), { projectId: a.id, url: "https://hooks.example.test/vigil", events: ["verification.completed"], actor: setup });

  f = {
    a,
    b: ctx.otherProject,
    secrets: { key: ctx.secret, other: ctx.otherSecret, without, none },
    cookies: {},
    emails,
    collection,
    collectionToDelete,
    collectionToDeleteVerifik,
    person: personId("ana"),
    personToDelete: personId("del"),
    personToDeleteVerifik: personId("del-v"),
    personWithFaces: { id: twoFaces.id, faceToDelete: twoFaces.faces[1].id },
    verification,
    caseId: verification.reviewCaseId!,
    endpointId: endpoint.id,
    throwawayKeyId: (await createApiKey(d, { projectId: a.id, name: "to revoke" })).key.id,
    secretIds: [],
  };
  const everyPerson = await Promise.all(rows.map((r) => getPerson(d, a.id, r.id)));
  f.secretIds = [
    verification.id,
    verification.reviewCaseId!,
    ...verification.images.map((i) => i.id),
    ...[collection, collectionToDelete, collectionToDeleteVerifik].flatMap((c) => [c.id, c.code]),
    ...everyPerson.flatMap((p) => [p.id, ...p.faces.map((face) => face.id)]),
  ];

  f.cookies.reviewer = await signIn(emails.reviewer);
  f.cookies.admin = await signIn(emails.admin);
  f.cookies.disabled = await signIn(emails.disabled);
  // Disabled after signing in: the cookie is still well-formed and unexpired.
  await updateUser(d, { actor: setup, userId: disabledUser.id, disabled: true });

  await discover();
});

afterAll(async () => ctx?.close());

// ------------------------------------------------------------------------------------ tests

describe("the matrix covers every route and every server action", () => {
  it("has one row per route file and exported method, and no row without one", () => {
    expect(routeHandlers.size).toBeGreaterThan(0);
    expect(ROUTES.map((r) => r.route).sort()).toEqual([...routeHandlers.keys()].sort());
    expect(new Set(ROUTES.map((r) => r.route)).size).toBe(ROUTES.length);
  });

  it("has one row per exported function of every \"use server\" module, and no row without one", () => {
    expect(ACTIONS.map((r) => r.action).sort()).toEqual([...actions.keys()].sort());
    expect(new Set(ACTIONS.map((r) => r.action)).size).toBe(ACTIONS.length);
  });

  it("finds server actions only in whole \"use server\" modules (inline ones would escape the matrix)", () => {
    for (const file of serverActionFiles) {
      const firstStatement = readFileSync(join(root, file), "utf8").replace(/^(\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/, "");
      expect(firstStatement.startsWith('"use server"') || firstStatement.startsWith("'use server'"), `${file}: "use server" must be the module's first statement`).toBe(true);
    }
  });

  it("signed reviewer, admin and disabled-admin sessions in for real", async () => {
    expect((await userBehind(f.cookies.reviewer!))?.role).toBe("reviewer");
    expect((await userBehind(f.cookies.admin!))?.role).toBe("admin");
    expect(await userBehind(f.cookies.disabled!)).toBeNull();
    expect(await userBehind(null)).toBeNull();
  });
});

describe("route handlers", () => {
  for (const row of ROUTES) {
    it(row.route, async () => {
      const wrong: string[] = [];
      const entitled = new Set<Caller>(row.entitled ?? ["key", ...(row.scope === null ? (["noScope"] as const) : [])]);
      const before = row.state ? await row.state() : undefined;
      for (const caller of ROUTE_ORDER) {
        // The owner's call may change the state: every refusal before it must not have.
        if (caller === "key" && row.state) expect(await row.state(), "a refused caller changed project A's data").toEqual(before);
        const audits = await auditCount();
        const { status, text } = await callRoute(row, caller);
        if (status !== row.expected[caller]) wrong.push(`${caller}: expected ${row.expected[caller]}, got ${status} ${text.slice(0, 200)}`);
        if (!entitled.has(caller)) {
          // An id the caller sent may come back in the error ("no collection <id>"): it knew it already.
          const sent = JSON.stringify(row.probe());
          const leaked = f.secretIds.filter((id) => text.includes(id) && !sent.includes(id));
          if (leaked.length > 0) wrong.push(`${caller}: the answer names project A's ${leaked.join(", ")}`);
        }
        if ((status < 200 || status >= 300) && (await auditCount()) !== audits) wrong.push(`${caller}: a ${status} answer left an audit event`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it("metrics answer their token holder (and only with it)", async () => {
    const handler = routeHandlers.get("GET /api/metrics")!;
    const call = (token: string) => handler(new NextRequest("http://vigil.test/api/metrics", { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve({}) });
    expect((await call(process.env.VIGIL_METRICS_TOKEN!)).status).toBe(200);
    expect((await call(`${process.env.VIGIL_METRICS_TOKEN!}x`)).status).toBe(401);
  });
});

describe("signed image URLs", () => {
  const getImage = (path: string) => {
    const handler = routeHandlers.get("GET /api/v1/images/[id]")!;
    const url = new URL(path, "http://vigil.test");
    const id = decodeURIComponent(url.pathname.split("/").pop()!);
    return handler(new NextRequest(url), { params: Promise.resolve({ id }) });
  };
  const signedUrls = async (): Promise<string[]> => {
    const { status, text } = await callRoute(ROUTES.find((r) => r.route === "GET /api/v1/verifications/[id]")!, "key");
    expect(status).toBe(200);
    return (JSON.parse(text).images as Array<{ url: string }>).map((i) => i.url);
  };

  it("a link from the verification opens its image, and the view is audited under the key", async () => {
    const [selfie] = await signedUrls();
    const audits = await auditCount();
    const res = await getImage(selfie);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(64);
    expect(await auditCount()).toBe(audits + 1);
  });

  it("refuses a link without a signature, a tampered one, an expired one, and one signed for another image", async () => {
    const urls = await signedUrls();
    const selfieId = f.verification.images.find((i) => i.role === "selfie")!.id;
    const referenceId = f.verification.images.find((i) => i.role === "reference")!.id;
    const selfie = urls.find((u) => u.includes(selfieId))!;
    expect(selfie).toBeDefined();
    expect(urls.some((u) => u.includes(referenceId))).toBe(true);
    const url = new URL(selfie);
    const with_ = (name: string, value: string | null) => {
      const copy = new URL(url);
      if (value === null) copy.searchParams.delete(name);
      else copy.searchParams.set(name, value);
      return copy.toString();
    };
    const sig = url.searchParams.get("sig")!;
    const cases: Array<[string, string, number]> = [
      ["no query", `${url.origin}${url.pathname}`, 401],
      ["no signature", with_("sig", null), 401],
      ["a changed signature", with_("sig", `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`), 401],
      ["a later expiry", with_("exp", String(Number(url.searchParams.get("exp")) + 3600)), 401],
      ["another actor", with_("by", `key:${f.b.id}`), 401],
      ["the selfie's grant on the reference", url.toString().replace(selfieId, referenceId), 401],
      ["an expired link", signImagePath(urlSigningKey(getStorageKey()), { imageId: selfieId, expiresAt: Math.floor(Date.now() / 1000) - 60, actor: "key:x" }), 403],
      ["a link signed with another key", signImagePath(urlSigningKey(Buffer.alloc(32, 7)), { imageId: selfieId, expiresAt: Math.floor(Date.now() / 1000) + 600, actor: "key:x" }), 401],
    ];
    const audits = await auditCount();
    const answers = await Promise.all(cases.map(async ([name, link]) => [name, (await getImage(link)).status] as const));
    expect(Object.fromEntries(answers)).toEqual(Object.fromEntries(cases.map(([name, , status]) => [name, status])));
    expect(await auditCount()).toBe(audits);
  });
});

describe("server actions", () => {
  for (const row of ACTIONS) {
    it(row.action.replace(/^app\//, ""), async () => {
      const action = actions.get(row.action);
      if (!action) throw new Error(`no action ${row.action}`);
      const cookies: Partial<Record<Caller, string>> = { ...f.cookies };
      if (row.freshSessions) {
        cookies.reviewer = await signIn(f.emails.reviewer);
        cookies.admin = await signIn(f.emails.admin);
      }
      const wrong: string[] = [];
      for (const caller of ACTION_ORDER) {
        // What the request of a browser (its cookie) or of an API client (its key) carries.
        next.headers = baseHeaders();
        if (cookies[caller]) next.headers.set("cookie", cookies[caller]!);
        const secret = keyOf(caller, null);
        if (secret) next.headers.set("authorization", `Bearer ${secret}`);
        next.jar.clear();
        next.revalidated = [];
        const audits = await auditCount();
        const outcome = await outcomeOf(() => row.call(action));
        if (outcome !== row.expected[caller]) wrong.push(`${caller}: expected ${row.expected[caller]}, got ${outcome}`);
        if (outcome === "UNAUTHORIZED" || outcome === "FORBIDDEN") {
          if ((await auditCount()) !== audits) wrong.push(`${caller}: refused, yet an audit event was written`);
          if (next.revalidated.length > 0) wrong.push(`${caller}: refused, yet ${next.revalidated.join(", ")} was revalidated`);
        }
      }
      if (row.freshSessions) {
        // Signing out ended the caller's own session, and no one else's.
        expect(await userBehind(cookies.reviewer!)).toBeNull();
        expect(await userBehind(cookies.admin!)).toBeNull();
        expect((await userBehind(f.cookies.reviewer!))?.role).toBe("reviewer");
        expect((await userBehind(f.cookies.admin!))?.role).toBe("admin");
      }
      expect(wrong).toEqual([]);
    });
  }

  it("refused admin actions left no trace: one key, one user, one policy version each, by the admin", async () => {
    const d = db();
    const [made] = await d.select({ n: count() }).from(apiKeys).where(eq(apiKeys.name, "made by the matrix"));
    expect(Number(made.n)).toBe(1);
    const [user] = await d.select({ n: count() }).from(users).where(and(eq(users.email, "made-by-matrix@matrix.test"), isNull(users.disabledAt)));
    expect(Number(user.n)).toBe(1);
    const admin = await userBehind(f.cookies.admin!);
    const actors = await d.selectDistinct({ actor: auditEvents.actor }).from(auditEvents).where(eq(auditEvents.action, "api_key.created"));
    expect(actors.map((a) => a.actor)).toEqual([admin!.actor]);
    const versions = await d.select({ version: thresholdPolicies.version, author: thresholdPolicies.author }).from(thresholdPolicies).where(eq(thresholdPolicies.projectId, f.a.id)).orderBy(asc(thresholdPolicies.version));
    expect(versions.slice(1)).toEqual([
      { version: 2, author: admin!.actor },
      { version: 3, author: admin!.actor },
    ]);
  });
});

describe("console pages", () => {
  /** Pages open to anyone: outside the console, and the API reference (it describes endpoints, holds no data). */
  const PUBLIC_PAGES = ["app/login/page.tsx", "app/page.tsx", "app/(console)/docs/api/page.tsx"];

  it("every page guards itself with requirePageUser, admin pages with the admin role", () => {
    const pages = filesUnder("app", (name) => /(^|\/)page\.tsx$/.test(name));
    expect(pages.length).toBeGreaterThan(PUBLIC_PAGES.length);
    const unguarded: string[] = [];
    for (const page of pages) {
      if (PUBLIC_PAGES.includes(page)) continue;
      const text = readFileSync(join(root, page), "utf8");
      const guard = /requirePageUser\(([^;]*)\)/.exec(text);
      const wantsAdmin = page.startsWith("app/(console)/admin/");
      if (!guard || (wantsAdmin && !/,\s*"admin"\s*$/.test(guard[1]))) unguarded.push(page);
    }
    expect(unguarded).toEqual([]);
  });

  it("requirePageUser sends the signed-out to /login, refuses a reviewer an admin page, lets the rest in", async () => {
    const { requirePageUser } = await import("@/lib/auth/guard");
    const answer = async (caller: Caller, role?: "admin") => {
      next.headers = credentialsOf(caller);
      try {
        return (await requirePageUser("/admin/users", role)).role;
      } catch (error) {
        const digest = String((error as { digest?: string }).digest ?? error);
        if (digest.startsWith("NEXT_REDIRECT")) return digest.includes("/login?next=%2Fadmin%2Fusers") ? "login" : digest;
        if (digest === "NEXT_HTTP_ERROR_FALLBACK;403") return "403";
        throw error;
      }
    };
    const seen: Record<string, [string, string]> = {};
    for (const caller of CALLERS) seen[caller] = [await answer(caller), await answer(caller, "admin")];
    expect(seen).toEqual({
      anon: ["login", "login"],
      key: ["login", "login"],
      noScope: ["login", "login"],
      other: ["login", "login"],
      reviewer: ["reviewer", "403"],
      admin: ["admin", "admin"],
      disabled: ["login", "login"],
    });
  });
});
