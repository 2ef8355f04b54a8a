import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, or, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { apiKeys, projects } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import { createInitialPolicy } from "@/lib/verification/policy";

export type Project = typeof projects.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;

const KEY_PREFIX = "vgl_";
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** `vgl_` and 43 base62 characters (256 bits). */
function newSecret(): string {
  const bytes = randomBytes(43);
  let out = KEY_PREFIX;
  for (const b of bytes) out += base62[b % 62];
  return out;
}

export async function createProject(db: Database, input: { slug: string; name: string; author?: string }): Promise<Project> {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(input.slug)) {
    throw new AppError("INVALID_REQUEST", "A project slug is 2-63 lowercase letters, digits and dashes.");
  }
  return db.transaction(async (tx) => {
    const [project] = await tx.insert(projects).values({ id: newId("prj"), slug: input.slug, name: input.name }).returning();
    await createInitialPolicy(tx, project.id, input.author ?? "system");
    return project;
  });
}

export async function getProjectBySlug(db: Database, slug: string): Promise<Project | null> {
  const [row] = await db.select().from(projects).where(eq(projects.slug, slug)).limit(1);
  return row ?? null;
}

/** NOT_FOUND (field `projectId`) unless a project has this id: for a console form that names one. */
export async function requireProjectId(db: Database, id: string): Promise<void> {
  const [row] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, id)).limit(1);
  if (!row) throw new AppError("NOT_FOUND", "No such project.", { field: "projectId" });
}

/** Creates a key; the secret is returned once and only its hash is stored. */
export async function createApiKey(
  db: Database,
  input: { projectId: string; name: string; scopes?: string[]; quota?: number | null },
): Promise<{ key: ApiKey; secret: string }> {
  const secret = newSecret();
  const [key] = await db
    .insert(apiKeys)
    .values({ id: newId("key"), projectId: input.projectId, name: input.name, prefix: secret.slice(0, 12), secretHash: hashSecret(secret), scopes: input.scopes ?? [...API_SCOPES], quota: input.quota ?? null })
    .returning();
  return { key, secret };
}

/** Revokes a key by id or by its visible prefix; returns the revoked key or null. */
export async function revokeApiKey(db: Database, idOrPrefix: string): Promise<ApiKey | null> {
  const [key] = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(or(eq(apiKeys.id, idOrPrefix), eq(apiKeys.prefix, idOrPrefix)), isNull(apiKeys.revokedAt)))
    .returning();
  return key ?? null;
}

export async function listApiKeys(db: Database, projectId: string): Promise<ApiKey[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.projectId, projectId)).orderBy(desc(apiKeys.createdAt));
}

/**
 * What a key may do. Every key may read its own project's records; these scopes gate the
 * work that costs CPU or touches biometric data: face checks, document checks, 1:N search.
 */
export const API_SCOPES = ["verify", "documents", "search"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface Caller {
  key: ApiKey;
  project: Project;
}

/** FORBIDDEN unless the caller's key has `scope` (for routes that learn the work from the body). */
export function requireScope(caller: Caller, scope: ApiScope): void {
  if (!caller.key.scopes.includes(scope)) throw new AppError("FORBIDDEN", `The API key lacks the "${scope}" scope.`);
}

/** How an API-key caller appears in records and the audit trail: `key:<id>`. */
export function actorOf(caller: Caller): string {
  return `key:${caller.key.id}`;
}

/** The caller fields every verification input carries. */
export function callerFields(caller: Caller): { projectId: string; apiKeyId: string; actor: string } {
  return { projectId: caller.project.id, apiKeyId: caller.key.id, actor: actorOf(caller) };
}

/**
 * Authenticates a secret and counts the request against the key's quota in one atomic
 * statement. `projectSlug`, when the vendor protocol sends an identifier (app_id, Userid,
 * Basic user name), must name the key's own project; `scope`, when the work needs one, must
 * be among the key's scopes.
 *
 * Throws UNAUTHORIZED for a missing, unknown or revoked key, FORBIDDEN for a key used on
 * another project or without the scope, QUOTA_EXCEEDED when its quota is spent.
 */
export async function authenticateApiKey(db: Database, secret: string | null | undefined, options: { projectSlug?: string | null; scope?: ApiScope } = {}): Promise<Caller> {
  const { projectSlug, scope } = options;
  if (!secret) throw new AppError("UNAUTHORIZED", "An API key is required.");
  const [found] = await db
    .select({ key: apiKeys, project: projects })
    .from(apiKeys)
    .innerJoin(projects, eq(projects.id, apiKeys.projectId))
    .where(eq(apiKeys.secretHash, hashSecret(secret)))
    .limit(1);
  if (!found || found.key.revokedAt) throw new AppError("UNAUTHORIZED", "The API key is unknown or revoked.");
  if (projectSlug !== undefined && projectSlug !== null && projectSlug !== found.project.slug) {
    throw new AppError("FORBIDDEN", "The API key does not belong to this project.");
  }
  if (scope) requireScope(found, scope);
  // The quota and a fixed one-minute rate window, counted in the same atomic statement so
  // that several instances share one count.
  const limit = getEnv().VIGIL_API_RATE_LIMIT_PER_MINUTE;
  const windowOver = sql`(${apiKeys.rateWindowStart} is null or ${apiKeys.rateWindowStart} <= now() - interval '1 minute')`;
  const [counted] = await db
    .update(apiKeys)
    .set({
      usedCount: sql`${apiKeys.usedCount} + 1`,
      lastUsedAt: new Date(),
      rateWindowStart: sql`case when ${windowOver} then now() else ${apiKeys.rateWindowStart} end`,
      rateWindowCount: sql`case when ${windowOver} then 1 else ${apiKeys.rateWindowCount} + 1 end`,
    })
    .where(
      and(
        eq(apiKeys.id, found.key.id),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.quota), sql`${apiKeys.usedCount} < ${apiKeys.quota}`),
        limit > 0 ? or(windowOver, sql`${apiKeys.rateWindowCount} < ${limit}`) : undefined,
      ),
    )
    .returning();
  if (!counted) {
    const [now] = await db.select({ usedCount: apiKeys.usedCount, quota: apiKeys.quota, windowStart: apiKeys.rateWindowStart }).from(apiKeys).where(eq(apiKeys.id, found.key.id));
    if (!now || now.quota === null || now.usedCount < now.quota) {
      const retryAfterSeconds = now?.windowStart ? Math.max(1, Math.ceil((now.windowStart.getTime() + 60_000 - Date.now()) / 1000)) : 60;
      throw new AppError("RATE_LIMITED", `This API key made more than ${limit} requests in the last minute; try again in ${retryAfterSeconds} s.`, { limit, retryAfterSeconds });
    }
    throw new AppError("QUOTA_EXCEEDED", "The API key's request quota is used up.");
  }
  return { key: counted, project: found.project };
}
