import "server-only";
import { createHash } from "node:crypto";
import { asc, desc, sql } from "drizzle-orm";
import type { Database, Transaction } from "@/db/client";
import { auditEvents } from "@/db/schema";

export interface AuditInput {
  actor: string;
  action: string;
  projectId?: string | null;
  verificationId?: string | null;
  caseId?: string | null;
  before?: unknown;
  after?: unknown;
}

/** The hash of the chain's start: the previous hash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/** Stable JSON: keys sorted, so the same event always hashes the same. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function hashEvent(prevHash: string, e: AuditInput & { at: string }): string {
  const body = canonical({ at: e.at, actor: e.actor, action: e.action, projectId: e.projectId ?? null, verificationId: e.verificationId ?? null, caseId: e.caseId ?? null, before: e.before ?? null, after: e.after ?? null });
  return createHash("sha256").update(prevHash).update("\n").update(body).digest("hex");
}

/**
 * Appends one event to the hash chain inside the caller's transaction. A transaction-scoped
 * advisory lock orders concurrent appends, so the chain never forks.
 */
export async function appendAudit(tx: Transaction, input: AuditInput): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(7433001)`);
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const prevHash = last?.hash ?? GENESIS_HASH;
  // Millisecond ISO time, set here so the hashed value is exactly what is stored.
  const at = new Date();
  const hash = hashEvent(prevHash, { ...input, at: at.toISOString() });
  await tx.insert(auditEvents).values({
    at,
    actor: input.actor,
    action: input.action,
    projectId: input.projectId ?? null,
    verificationId: input.verificationId ?? null,
    caseId: input.caseId ?? null,
    before: (input.before ?? null) as object | null,
    after: (input.after ?? null) as object | null,
    prevHash,
    hash,
  });
}

/** Walks the whole chain; returns the first broken event, or null when it is intact. */
export async function verifyAuditChain(db: Database): Promise<{ checked: number; brokenAt: number | null }> {
  const rows = await db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
  let prev = GENESIS_HASH;
  for (const row of rows) {
    const expected = hashEvent(prev, { ...row, at: row.at.toISOString() });
    if (row.prevHash !== prev || row.hash !== expected) return { checked: rows.length, brokenAt: row.seq };
    prev = row.hash;
  }
  return { checked: rows.length, brokenAt: null };
}
