import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseHandle } from "@/db/client";
import { installDatabase, openMemoryDatabase } from "@/db/client";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
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
