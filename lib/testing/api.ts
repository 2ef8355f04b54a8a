import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { DatabaseHandle } from "@/db/client";
import { installDatabase, openMemoryDatabase } from "@/db/client";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
import { createVigilClient } from "@/lib/client";
import type { Transport, VigilClient } from "@/lib/client";
import type { Project } from "@/lib/auth/api-keys";
import { resetEnv } from "@/lib/env";
import { installImageStore } from "@/lib/storage";
import { LocalImageStore } from "@/lib/storage/image-store";

export interface ApiTestContext {
  handle: DatabaseHandle;
  store: LocalImageStore;
  storeDir: string;
  project: Project;
  /** A fresh API key of `project`. */
  secret: string;
  /** A key of another project, for 403 tests. */
  otherSecret: string;
  otherProject: Project;
  close(): Promise<void>;
}

/**
 * A migrated in-memory PGlite and an image store in a temporary directory, installed as the
 * process-wide services so route handlers can be called directly with a Request; plus a
 * project with a key, and a second project with its own key.
 */
export async function setupApiTest(): Promise<ApiTestContext> {
  // Keep tests off the developer's ./data: a throwaway data dir and storage key.
  process.env.VIGIL_DATA_DIR = mkdtempSync(join(tmpdir(), "vigil-data-"));
  process.env.VIGIL_STORAGE_KEY = randomBytes(32).toString("base64");
  // Suites send hundreds of requests a minute with one key; the limiter has its own test.
  process.env.VIGIL_API_RATE_LIMIT_PER_MINUTE ??= "100000";
  resetEnv();
  const handle = await openMemoryDatabase();
  installDatabase(handle);
  const storeDir = mkdtempSync(join(tmpdir(), "vigil-store-"));
  const store = new LocalImageStore(storeDir, randomBytes(32));
  installImageStore(store);
  const project = await createProject(handle.db, { slug: "acme", name: "Acme Bank" });
  const otherProject = await createProject(handle.db, { slug: "other", name: "Other Co" });
  const { secret } = await createApiKey(handle.db, { projectId: project.id, name: "test" });
  const { secret: otherSecret } = await createApiKey(handle.db, { projectId: otherProject.id, name: "other" });
  return {
    handle,
    store,
    storeDir,
    project,
    secret,
    otherSecret,
    otherProject,
    close: async () => {
      await handle.close();
      rmSync(storeDir, { recursive: true, force: true });
      rmSync(process.env.VIGIL_DATA_DIR!, { recursive: true, force: true });
    },
  };
}

/** Route handler context with dynamic params, as Next.js passes it. */
export function params<T extends Record<string, string>>(value: T): { params: Promise<T> } {
  return { params: Promise.resolve(value) };
}

/** Counts rows of the tables a rejected request must not touch. */
export async function countRecords(handle: DatabaseHandle): Promise<{ verifications: number; images: number; cases: number }> {
  const { sql } = await import("drizzle-orm");
  const one = async (table: string) => {
    const result = (await handle.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: Array<{ n: number }> };
    return result.rows[0].n;
  };
  return { verifications: await one("verifications"), images: await one("images"), cases: await one("review_cases") };
}

/**
 * The Idempotency-Key contract of an endpoint that stores a verification, through `send`
 * (which sends the given key with one request body, or with another body when `other`): the
 * first request stores one record; a repeat answers the same record with
 * `Idempotent-Replayed: true` and stores nothing; another body under the key is refused and
 * stores nothing. Returns the three answers, the refusal for the caller to check in its shape.
 */
export async function checkIdempotency(
  handle: DatabaseHandle,
  send: (key: string, other: boolean) => Promise<Response>,
): Promise<{ first: Response; replay: Response; refusal: Response }> {
  const key = `retry-${randomBytes(6).toString("hex")}`;
  const before = await countRecords(handle);
  const first = await send(key, false);
  if (first.status !== 200 && first.status !== 201) throw new Error(`the first request answered ${first.status}: ${await first.text()}`);
  const stored = await countRecords(handle);
  if (stored.verifications !== before.verifications + 1) throw new Error(`the first request stored ${stored.verifications - before.verifications} records`);
  const replay = await send(key, false);
  const refusal = await send(key, true);
  const after = await countRecords(handle);
  if (JSON.stringify(after) !== JSON.stringify(stored)) throw new Error(`a replay or a refusal wrote rows: ${JSON.stringify(stored)} -> ${JSON.stringify(after)}`);
  return { first, replay, refusal };
}

/** Inputs every endpoint must refuse, shared by the API tests. */
export interface BadInputs {
  /** A key of the test project, already revoked. */
  revokedSecret: string;
  /** A key of the test project whose quota is zero. */
  spentSecret: string;
  /** A 1x1 GIF: a real image in a format Vigil does not take. */
  gif: Buffer;
  /** A 400x400 flat JPEG: a valid image with no face. */
  faceless: Buffer;
  /** A 30x30 PNG: below the smallest image accepted. */
  tiny: Buffer;
  /** A group photo: several confident faces. */
  group: Buffer;
}

export async function makeBadInputs(ctx: ApiTestContext): Promise<BadInputs> {
  const { createApiKey: create, revokeApiKey: revoke } = await import("@/lib/auth/api-keys");
  const sharp = (await import("sharp")).default;
  const { samplePhoto } = await import("@/lib/inference/testing/photos");
  const revoked = await create(ctx.handle.db, { projectId: ctx.project.id, name: "revoked" });
  await revoke(ctx.handle.db, revoked.key.id);
  const spent = await create(ctx.handle.db, { projectId: ctx.project.id, name: "spent", quota: 0 });
  const flat = { channels: 3 as const, background: "#345" };
  return {
    revokedSecret: revoked.secret,
    spentSecret: spent.secret,
    gif: Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64"),
    faceless: await sharp({ create: { width: 400, height: 400, ...flat } }).jpeg().toBuffer(),
    tiny: await sharp({ create: { width: 30, height: 30, ...flat } }).png().toBuffer(),
    group: samplePhoto("sample4.jpg"),
  };
}

/** A JSON API request as a route handler receives it; `secret` goes in as a bearer token. */
export function apiRequest(method: string, path: string, body: unknown, secret: string | null): Request {
  return new Request(`http://vigil.test${path}`, {
    method,
    headers: { ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A route's answer: its status and its JSON body (null when empty, as after a 204), typed loosely as tests read it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson(response: Promise<Response> | Response): Promise<{ status: number; body: Record<string, any> }> {
  const res = await response;
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const appDir = fileURLToPath(new URL("../../app/", import.meta.url));

interface RouteEntry {
  file: string;
  pattern: RegExp;
  names: string[];
}

let routeTable: RouteEntry[] | null = null;

/** Every route file under app/ as a URL pattern: `[id]` one segment, `[...rest]` the rest; route groups dropped. */
function routes(): RouteEntry[] {
  routeTable ??= (readdirSync(appDir, { recursive: true }) as string[])
    .map((f) => f.split(sep).join("/"))
    .filter((f) => /(^|\/)route\.ts$/.test(f))
    .map((file) => {
      const names: string[] = [];
      const parts = file
        .replace(/\/?route\.ts$/, "")
        .split("/")
        .filter((p) => p && !/^\(.*\)$/.test(p))
        .map((p) => {
          const catchAll = /^\[\.\.\.(\w+)\]$/.exec(p);
          const one = /^\[(\w+)\]$/.exec(p);
          if (catchAll) names.push(catchAll[1]);
          if (one) names.push(one[1]);
          return catchAll ? "(.+)" : one ? "([^/]+)" : p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        });
      return { file, names, pattern: new RegExp(`^/${parts.join("/")}/?$`) };
    })
    // Static segments before dynamic ones: /persons/search-live-face before /persons/[id].
    .sort((a, b) => a.names.length - b.names.length);
  return routeTable;
}

/**
 * A fetch-like transport that hands each Request to the route handler of its path, in this
 * process (the services `setupApiTest` installed), as Next.js would: the exported method with
 * `{ params }`. Unknown paths answer 404, unexported methods 405.
 */
export const inProcessFetch: Transport = async (request) => {
  const { pathname } = new URL(request.url);
  for (const route of routes()) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const mod = (await import(/* @vite-ignore */ join(appDir, route.file))) as Record<string, unknown>;
    const handler = mod[request.method] as ((request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>) | undefined;
    if (typeof handler !== "function") return new Response(null, { status: 405 });
    const values = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
    return handler(request, { params: Promise.resolve(values) });
  }
  return new Response(null, { status: 404 });
};

/**
 * `inProcessFetch`, with every answer checked against the registry's description of its
 * operation (lib/testing/contract.ts): a documented status, its schema, a listed error code.
 */
export const describedFetch: Transport = async (request) => {
  const { checkDescribed } = await import("./contract");
  return checkDescribed(request.method, request.url, await inProcessFetch(request));
};

/**
 * The typed client (lib/client) over the in-process routes, checking every answer against the
 * OpenAPI description twice: the client's response schemas, and the registry's statuses and
 * error codes. The API tests are contract tests of the description too.
 */
export function apiClient(secret: string | null): VigilClient {
  return createVigilClient({ baseUrl: "http://vigil.test", apiKey: secret, fetch: describedFetch, validateResponses: true });
}

/** How a client call was refused: status, stable code and details (throws if it was not refused with a VigilApiError). */
export async function refusalOf(call: Promise<unknown>): Promise<{ status: number; code: string; details: Record<string, unknown> | undefined }> {
  const { VigilApiError } = await import("@/lib/client");
  const error = await call.then(
    () => new Error("expected the call to be refused, and it succeeded"),
    (e: unknown) => e,
  );
  if (!(error instanceof VigilApiError)) throw error;
  return { status: error.status, code: error.code, details: error.details };
}
