import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase, openPostgresDatabase } from "@/db/client";
import { auditEvents, images, reviewCases, verifications } from "@/db/schema";
import type { TestPostgres } from "@/db/testing/postgres";
import { postgresUnavailableReason, startTestPostgres } from "@/db/testing/postgres";
import { authenticateApiKey, createApiKey, createProject, revokeApiKey } from "@/lib/auth/api-keys";
import { errorCodeOf } from "@/lib/testing/errors";
import { twoPeople } from "@/lib/inference/testing/photos";
import { appendAudit, verifyAuditChain } from "@/lib/review/audit";
import { LocalImageStore } from "@/lib/storage/image-store";
import { DEFAULT_BANDS, getActivePolicy } from "./policy";
import type { VerificationInput } from "./service";
import { decideOverall, hashRequest, recoverStagedImages, runFaceVerification } from "./service";

const pgReason = postgresUnavailableReason();
if (pgReason) console.warn(`PostgreSQL storage tests skipped: ${pgReason}`);

let faceA: Buffer;
let faceB: Buffer;

beforeAll(async () => {
  [faceA, faceB] = await twoPeople();
});


function files(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".enc"));
  } catch {
    return [];
  }
}

/** The same storage suite, on embedded PGlite and on a real PostgreSQL 15 server. */
const backends: Array<{ name: string; open: () => Promise<DatabaseHandle & { stopServer?: () => Promise<void> }>; skip: boolean }> = [
  { name: "PGlite (in memory)", open: openMemoryDatabase, skip: false },
  {
    name: "PostgreSQL 15",
    skip: pgReason !== null,
    open: async () => {
      const server: TestPostgres = await startTestPostgres();
      const handle = await openPostgresDatabase(server.url);
      return { ...handle, stopServer: server.stop };
    },
  },
];

describe.each(backends)("storage on $name", ({ open, skip }) => {
  let handle: DatabaseHandle & { stopServer?: () => Promise<void> };
  let storeDir: string;
  let store: LocalImageStore;
  let projectId: string;

  const input = (over: Partial<VerificationInput> = {}): VerificationInput => ({
    projectId,
    apiKeyId: null,
    actor: "system",
    source: "native",
    type: "face_match",
    selfie: faceA,
    references: [faceB],
    referenceRole: "reference",
    requestId: "req-1",
    requestHash: hashRequest([faceA, faceB]),
    ...over,
  });

  beforeAll(async () => {
    if (skip) return;
    handle = await open();
    storeDir = mkdtempSync(join(tmpdir(), "vigil-store-"));
    store = new LocalImageStore(storeDir, randomBytes(32));
    projectId = (await createProject(handle.db, { slug: "bank", name: "Bank" })).id;
  }, 60_000);

  afterAll(async () => {
    if (skip) return;
    await handle.close();
    await handle.stopServer?.();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it.skipIf(skip)("gives a new project the default policy as version 1", async () => {
    expect(await getActivePolicy(handle.db, projectId)).toEqual({ version: 1, bands: DEFAULT_BANDS });
  });

  it.skipIf(skip)("writes the verification, its images, encrypted files and audit event together", async () => {
    const { record } = await runFaceVerification(handle.db, store, input());
    expect(record.checks[0].band).toBe("reject");
    expect(record.status).toBe("rejected");
    expect(record.policyVersion).toBe(1);
    const rows = await handle.db.select().from(images).where(eq(images.verificationId, record.id));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const plain = await store.get(row.storageKey);
      expect(plain.equals(row.role === "selfie" ? faceA : faceB)).toBe(true);
    }
    // Encrypted at rest: no stored file starts with the JPEG marker or holds the face's bytes.
    const stored = files(join(storeDir, "images"));
    expect(stored).toHaveLength(2);
    const { readFileSync } = await import("node:fs");
    for (const file of stored) {
      const sealed = readFileSync(join(storeDir, "images", file));
      expect(sealed.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
      expect(sealed.includes(faceA.subarray(200, 264))).toBe(false);
    }
    const events = await handle.db.select().from(auditEvents).where(eq(auditEvents.verificationId, record.id)).orderBy(auditEvents.seq);
    expect(events.map((e) => e.action)).toEqual(["verification.created"]);
  });

  it.skipIf(skip)("opens a review case only for the review band", async () => {
    const checks = [
      { check: "face_match" as const, status: "done" as const, score: 0.45, band: "review" as const, model: { id: "m", version: "1" }, details: {} },
      { check: "selfie_liveness" as const, status: "done" as const, score: 0.9, band: "approve" as const, model: { id: "m", version: "1" }, details: {} },
    ];
    expect(decideOverall(checks)).toEqual({ status: "in_review", band: "review" });
    expect(decideOverall([{ ...checks[0], band: "reject" }, checks[1]])).toEqual({ status: "rejected", band: "reject" });
    expect(decideOverall([checks[1], { ...checks[0], status: "skipped", band: null, score: null }])).toEqual({ status: "not_finished", band: null });
    const cases = await handle.db.select().from(reviewCases);
    const rejected = await handle.db.select({ id: verifications.id }).from(verifications).where(eq(verifications.status, "rejected"));
    expect(cases.filter((c) => rejected.some((r) => r.id === c.verificationId))).toEqual([]);
  });

  it.skipIf(skip)("leaves nothing behind when the transaction fails", async () => {
    const before = await handle.db.execute(sql`select (select count(*) from verifications)::int as v, (select count(*) from images)::int as i`);
    const error = await runFaceVerification(handle.db, store, input({ projectId: "prj_missing" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const after = await handle.db.execute(sql`select (select count(*) from verifications)::int as v, (select count(*) from images)::int as i`);
    expect((after as unknown as { rows: unknown[] }).rows).toEqual((before as unknown as { rows: unknown[] }).rows);
    expect(files(join(storeDir, "staging"))).toEqual([]);
  });

  it.skipIf(skip)("recovers what a crash left staged: committed images are published, others deleted", async () => {
    const { record } = await runFaceVerification(handle.db, store, input());
    const [row] = await handle.db.select().from(images).where(eq(images.verificationId, record.id)).limit(1);
    // Simulate a crash after commit but before publish, and a stage without any commit.
    const published = join(storeDir, "images", `${row.storageKey}.enc`);
    const staged = join(storeDir, "staging", `${row.storageKey}.enc`);
    const { renameSync, mkdirSync } = await import("node:fs");
    mkdirSync(join(staged, ".."), { recursive: true });
    renameSync(published, staged);
    await store.stage(`${projectId}/orphan/img_never_committed`, faceA);
    expect(await recoverStagedImages(handle.db, store)).toEqual({ published: 1, discarded: 1 });
    expect((await store.get(row.storageKey)).length).toBeGreaterThan(0);
    expect(files(join(storeDir, "staging"))).toEqual([]);
  });

  it.skipIf(skip)("returns one record for concurrent requests with the same idempotency key", async () => {
    const req = input({ idempotencyKey: "same-key", requestHash: hashRequest(["same"]) });
    const results = await Promise.all([runFaceVerification(handle.db, store, req), runFaceVerification(handle.db, store, req)]);
    expect(results[0].record.id).toBe(results[1].record.id);
    const rows = await handle.db.select().from(verifications).where(eq(verifications.idempotencyKey, "same-key"));
    expect(rows).toHaveLength(1);
    expect(await errorCodeOf(() => runFaceVerification(handle.db, store, { ...req, requestHash: hashRequest(["other"]) }))).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it.skipIf(skip)("authenticates keys: hashed, scoped to a project and to kinds of work, revocable, with an atomic quota", async () => {
    const { key, secret } = await createApiKey(handle.db, { projectId, name: "quota", quota: 3 });
    expect(secret.startsWith(key.prefix)).toBe(true);
    expect(key.secretHash).not.toContain(secret.slice(4, 20));
    expect(await errorCodeOf(() => authenticateApiKey(handle.db, secret, { projectSlug: "someone-else" }))).toBe("FORBIDDEN");
    const { secret: documentsOnly } = await createApiKey(handle.db, { projectId, name: "documents only", scopes: ["documents"] });
    expect(await errorCodeOf(() => authenticateApiKey(handle.db, documentsOnly, { scope: "verify" }))).toBe("FORBIDDEN");
    expect(await errorCodeOf(() => authenticateApiKey(handle.db, documentsOnly, { scope: "documents" }))).toBe("no error");
    const attempts = await Promise.all(Array.from({ length: 6 }, () => errorCodeOf(() => authenticateApiKey(handle.db, secret, { projectSlug: "bank", scope: "verify" }))));
    expect(attempts.filter((c) => c === "no error")).toHaveLength(3);
    expect(attempts.filter((c) => c === "QUOTA_EXCEEDED")).toHaveLength(3);
    expect(await revokeApiKey(handle.db, key.prefix)).not.toBeNull();
    expect(await errorCodeOf(() => authenticateApiKey(handle.db, secret))).toBe("UNAUTHORIZED");
    expect(await errorCodeOf(() => authenticateApiKey(handle.db, "vgl_nope"))).toBe("UNAUTHORIZED");
  });

  it.skipIf(skip)("chains audit events so that an edited event is detected", async () => {
    await handle.db.transaction((tx) => appendAudit(tx, { actor: "user:1", action: "case.claimed", projectId, after: { a: 1 } }));
    await handle.db.transaction((tx) => appendAudit(tx, { actor: "user:1", action: "case.decided", projectId, before: { a: 1 }, after: { b: [1, 2] } }));
    const intact = await verifyAuditChain(handle.db);
    expect(intact.brokenAt).toBeNull();
    expect(intact.checked).toBeGreaterThanOrEqual(2);
    const [victim] = await handle.db.select().from(auditEvents).where(eq(auditEvents.action, "case.claimed"));
    await handle.db.update(auditEvents).set({ actor: "user:2" }).where(eq(auditEvents.seq, victim.seq));
    expect((await verifyAuditChain(handle.db)).brokenAt).toBe(victim.seq);
    await handle.db.update(auditEvents).set({ actor: "user:1" }).where(eq(auditEvents.seq, victim.seq));
    expect((await verifyAuditChain(handle.db)).brokenAt).toBeNull();
  });
});
