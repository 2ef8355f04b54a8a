import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { auditEvents, images, reviewCases, verifications } from "@/db/schema";
import { testBackends } from "@/db/testing/backends";
import { createProject } from "@/lib/auth/api-keys";
import { twoPeople } from "@/lib/inference/testing/photos";
import { collectMetricFamilies } from "@/lib/metrics/collect";
import { newId } from "@/lib/ids";
import { verifyAuditChain } from "@/lib/review/audit";
import { LocalImageStore } from "@/lib/storage/image-store";
import { errorCodeOf } from "@/lib/testing/errors";
import { getVerification, hashRequest, runFaceVerification } from "@/lib/verification/service";
import { eraseSubject, findSubject } from "./erase";
import { startRetentionJob } from "./job";
import { purgeExpiredImages } from "./purge";
import { listProjectRetention, setImageRetentionDays } from "./settings";


const DAY_MS = 86_400_000;

let faceA: Buffer;
let faceB: Buffer;

beforeAll(async () => {
  [faceA, faceB] = await twoPeople();
}, 120_000);

/** Encrypted files under the store's published images. */
function storedFiles(dir: string): string[] {
  try {
    return readdirSync(join(dir, "images"), { recursive: true }).map(String).filter((f) => f.endsWith(".enc"));
  } catch {
    return [];
  }
}

const backends = testBackends("retention");

describe.each(backends)("retention on $name", ({ open, skip }) => {
  let handle: DatabaseHandle;
  let stop: () => Promise<void>;
  let storeDir: string;
  let store: LocalImageStore;
  let bank: string;
  let shop: string;
  const now = new Date();

  /** A real verification (selfie + reference, two encrypted images), made `ageDays` ago. */
  async function verify(projectId: string, externalRef: string | null, ageDays: number): Promise<string> {
    const { record } = await runFaceVerification(handle.db, store, {
      projectId,
      apiKeyId: null,
      actor: "system",
      source: "native",
      type: "face_match",
      selfie: faceA,
      references: [faceB],
      referenceRole: "reference",
      requestId: newId("req"),
      requestHash: hashRequest([faceA, faceB, externalRef]),
      externalRef,
    });
    const then = new Date(now.getTime() - ageDays * DAY_MS);
    await handle.db.update(verifications).set({ createdAt: then }).where(eq(verifications.id, record.id));
    await handle.db.update(images).set({ createdAt: then }).where(eq(images.verificationId, record.id));
    return record.id;
  }

  const imagesOf = (verificationId: string) => handle.db.select().from(images).where(eq(images.verificationId, verificationId)).orderBy(asc(images.role));
  const auditOf = (action: string) => handle.db.select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(asc(auditEvents.seq));

  let oldBank: string;
  let youngBank: string;
  let oldShop: string;

  beforeAll(async () => {
    if (skip) return;
    const opened = await open();
    handle = opened.handle;
    stop = opened.stop;
    storeDir = mkdtempSync(join(tmpdir(), "vigil-retention-"));
    store = new LocalImageStore(storeDir, randomBytes(32));
    bank = (await createProject(handle.db, { slug: "bank", name: "Bank" })).id;
    shop = (await createProject(handle.db, { slug: "shop", name: "Shop" })).id;
    oldBank = await verify(bank, "customer-1", 31);
    youngBank = await verify(bank, "customer-2", 29);
    oldShop = await verify(shop, "customer-1", 31);
    // The old bank verification went to a reviewer, who rejected it: the decision must survive.
    await handle.db.insert(reviewCases).values({ id: newId("case"), verificationId: oldBank, projectId: bank, status: "decided", reasons: ["face_match"], decision: "reject", reasonCode: "face_mismatch", decidedBy: "user:usr_x", decidedAt: now });
  }, 180_000);

  afterAll(async () => {
    if (skip) return;
    await handle.close();
    await stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it.skipIf(skip)("keeps images 30 days by default and refuses retention outside 1-3650 days", async () => {
    const rows = await listProjectRetention(handle.db);
    expect(rows.map((r) => [r.slug, r.imageRetentionDays, r.storedImages, r.purgedImages])).toEqual([
      ["bank", 30, 4, 0],
      ["shop", 30, 2, 0],
    ]);
    for (const days of [0, 3651, 1.5]) {
      await expect(setImageRetentionDays(handle.db, { projectId: shop, days, actor: "user:usr_admin" }), String(days)).rejects.toThrow(/day/);
    }
    expect(await errorCodeOf(() => setImageRetentionDays(handle.db, { projectId: "prj_missing", days: 10, actor: "user:usr_admin" }))).toBe("NOT_FOUND");
    expect(await auditOf("retention.changed")).toEqual([]);
  });

  it.skipIf(skip)("purges images past their project's retention in batches; records, cases and younger images stay", async () => {
    // Shop keeps images 60 days, so its 31-day-old verification is not touched.
    await setImageRetentionDays(handle.db, { projectId: shop, days: 60, actor: "user:usr_admin" });
    const changed = await auditOf("retention.changed");
    expect(changed.map((e) => [e.actor, e.projectId, e.before, e.after])).toEqual([["user:usr_admin", shop, { imageRetentionDays: 30 }, { imageRetentionDays: 60 }]]);

    const keys = (await imagesOf(oldBank)).map((i) => i.storageKey);
    expect(keys.every((k) => existsSync(join(storeDir, "images", `${k}.enc`)))).toBe(true);

    const report = await purgeExpiredImages(handle.db, store, now, { batchSize: 1 });
    expect(report).toEqual({ projects: 2, batches: 2, images: 2 });

    for (const row of await imagesOf(oldBank)) {
      expect(row.purgedAt?.getTime()).toBe(now.getTime());
      expect(existsSync(join(storeDir, "images", `${row.storageKey}.enc`))).toBe(false);
      await expect(store.get(row.storageKey)).rejects.toThrow();
    }
    const record = await getVerification(handle.db, bank, oldBank);
    expect(record?.images).toEqual([]);
    expect(record?.status).toBe("rejected");
    expect(record?.checks[0].score).toEqual(expect.any(Number));
    const [kase] = await handle.db.select().from(reviewCases).where(eq(reviewCases.verificationId, oldBank));
    expect([kase.status, kase.decision, kase.reasonCode]).toEqual(["decided", "reject", "face_mismatch"]);

    for (const id of [youngBank, oldShop]) {
      for (const row of await imagesOf(id)) {
        expect(row.purgedAt).toBeNull();
        expect((await store.get(row.storageKey)).length).toBe(row.role === "selfie" ? faceA.length : faceB.length);
      }
    }
    expect(storedFiles(storeDir)).toHaveLength(4);

    const events = await auditOf("images.purged");
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e.actor).toBe("system");
      expect(e.projectId).toBe(bank);
      expect(e.after).toMatchObject({ images: 1, verifications: 1, retentionDays: 30 });
    }
    expect(await purgeExpiredImages(handle.db, store, now)).toEqual({ projects: 2, batches: 0, images: 0 });
    expect((await verifyAuditChain(handle.db)).brokenAt).toBeNull();
  });

  it.skipIf(skip)("purges when a shorter retention is set, and reports what is past retention", async () => {
    const facts = { inferenceWorkersReady: 0, retention: { runs: 0, failedRuns: 0, imagesPurged: 0, lastSuccessAt: null }, now };
    const before = Object.fromEntries((await collectMetricFamilies(handle.db, facts)).flatMap((f) => f.samples.map((s) => [`${f.name}${JSON.stringify(s.labels ?? {})}`, s.value])));
    expect(before['vigil_images_stored{"project":"shop"}']).toBe(2);
    expect(before['vigil_images_past_retention{"project":"shop"}']).toBe(0);

    await setImageRetentionDays(handle.db, { projectId: shop, days: 7, actor: "user:usr_admin" });
    const after = Object.fromEntries((await collectMetricFamilies(handle.db, facts)).flatMap((f) => f.samples.map((s) => [`${f.name}${JSON.stringify(s.labels ?? {})}`, s.value])));
    expect(after['vigil_images_past_retention{"project":"shop"}']).toBe(2);
    expect(after['vigil_images_past_retention{"project":"bank"}']).toBe(0);

    expect(await purgeExpiredImages(handle.db, store, now)).toEqual({ projects: 2, batches: 1, images: 2 });
    expect((await imagesOf(oldShop)).every((i) => i.purgedAt)).toBe(true);
    expect((await imagesOf(youngBank)).every((i) => !i.purgedAt)).toBe(true);
    expect(storedFiles(storeDir)).toHaveLength(2);
    // Back to 60 for the erasure tests below; purged images stay purged.
    await setImageRetentionDays(handle.db, { projectId: shop, days: 60, actor: "user:usr_admin" });
  });

  it.skipIf(skip)("never purges the same image twice when runs overlap", async () => {
    const extra = await Promise.all([verify(bank, null, 40), verify(bank, null, 41), verify(bank, null, 42)]);
    const reports = await Promise.all([purgeExpiredImages(handle.db, store, now, { batchSize: 1 }), purgeExpiredImages(handle.db, store, now, { batchSize: 1 })]);
    expect(reports[0].images + reports[1].images).toBe(6);
    const purged = await auditOf("images.purged");
    const counted = purged.filter((e) => e.projectId === bank).reduce((n, e) => n + (e.after as { images: number }).images, 0);
    expect(counted).toBe(2 + 6);
    const rows = await handle.db.select().from(images).where(inArray(images.verificationId, extra));
    expect(rows.every((r) => r.purgedAt)).toBe(true);
  });

  it.skipIf(skip)("erases one subject: files, faces and image hashes gone, records kept, one audit event", async () => {
    // customer-1 at the bank: the old (already purged) verification and a new one.
    const fresh = await verify(bank, "customer-1", 1);
    const otherFiles = (await imagesOf(youngBank)).map((i) => i.storageKey);
    const hashesBefore = (await imagesOf(fresh)).map((i) => i.sha256);

    const preview = await findSubject(handle.db, { projectId: bank, externalRef: "customer-1" });
    expect({ ...preview, sample: preview.sample.map((s) => s.id) }).toEqual({ verifications: 2, images: 4, storedImages: 2, sample: [oldBank, fresh] });

    const result = await eraseSubject(handle.db, store, { projectId: bank, externalRef: "customer-1", actor: "user:usr_admin" });
    expect(result).toEqual({ verifications: 2, images: 4, filesRemoved: 2, galleryEntries: 0, verificationIds: [oldBank, fresh] });

    for (const id of [oldBank, fresh]) {
      for (const row of await imagesOf(id)) {
        expect(row.purgedAt).not.toBeNull();
        expect(row.faces).toEqual({ faces: [], quality: null });
        expect(row.sha256).toBe(`erased:${row.id}`);
        expect(existsSync(join(storeDir, "images", `${row.storageKey}.enc`))).toBe(false);
      }
      const record = await getVerification(handle.db, bank, id);
      expect(record?.images).toEqual([]);
      expect(record?.checks.length).toBe(1);
    }
    // The old verification was purged by retention before: it keeps that purge time.
    expect((await imagesOf(oldBank))[0].purgedAt?.getTime()).toBe(now.getTime());
    // Someone else's images, and the same reference in another project, are untouched.
    for (const key of otherFiles) expect((await store.get(key)).length).toBeGreaterThan(0);
    expect((await imagesOf(youngBank)).every((i) => !i.purgedAt && (i.faces as { faces: unknown[] }).faces.length > 0)).toBe(true);
    expect((await imagesOf(oldShop)).every((i) => (i.faces as { faces: unknown[] }).faces.length > 0 && !i.sha256.startsWith("erased:"))).toBe(true);

    const [event] = await auditOf("subject.erased");
    expect(event.actor).toBe("user:usr_admin");
    expect(event.projectId).toBe(bank);
    expect(event.after).toEqual({ by: "externalRef", externalRef: "customer-1", verificationIds: [oldBank, fresh], verifications: 2, images: 4, filesRemoved: 2, galleryEntries: 0 });
    // Counts and ids only: no image bytes, faces or hashes.
    const text = JSON.stringify(event.after);
    expect(text).not.toMatch(/landmarks|faces|box/);
    for (const hash of hashesBefore) expect(text).not.toContain(hash);
    expect((await verifyAuditChain(handle.db)).brokenAt).toBeNull();
  });

  it.skipIf(skip)("erases one verification by id, and refuses unclear or unknown subjects", async () => {
    const result = await eraseSubject(handle.db, store, { projectId: bank, verificationId: youngBank, actor: "user:usr_admin" });
    expect(result).toMatchObject({ verifications: 1, images: 2, filesRemoved: 2 });
    const events = await auditOf("subject.erased");
    expect(events.at(-1)?.verificationId).toBe(youngBank);
    expect(storedFiles(storeDir)).toEqual([]);

    expect(await errorCodeOf(() => eraseSubject(handle.db, store, { projectId: bank, externalRef: "nobody", actor: "user:usr_admin" }))).toBe("NOT_FOUND");
    // A verification of another project is not found through this one.
    expect(await errorCodeOf(() => eraseSubject(handle.db, store, { projectId: bank, verificationId: oldShop, actor: "user:usr_admin" }))).toBe("NOT_FOUND");
    await expect(eraseSubject(handle.db, store, { projectId: bank, externalRef: "customer-1", verificationId: youngBank, actor: "user:usr_admin" })).rejects.toThrow(/either/);
    await expect(findSubject(handle.db, { projectId: bank })).rejects.toThrow(/either/);
    expect((await auditOf("subject.erased")).length).toBe(events.length);
    expect((await verifyAuditChain(handle.db)).brokenAt).toBeNull();
  });

  it.skipIf(skip)("runs the job without overlapping itself and stops it", async () => {
    const job = startRetentionJob(handle.db, store, { firstRunDelayMs: 60_000, intervalMs: 60_000 });
    const first = job.runNow();
    expect(job.runNow()).toBe(first);
    expect(await first).toEqual({ projects: 2, batches: 0, images: 0 });
    await job.stop();
    expect(await job.runNow()).toBeNull();
  });

  it.skipIf(skip)("leaves the rows alone when the store cannot delete, so the next run tries again", async () => {
    const id = await verify(shop, null, 90);
    const failing = Object.assign(Object.create(store) as LocalImageStore, { delete: async () => Promise.reject(new Error("disk gone")) });
    await expect(purgeExpiredImages(handle.db, failing, now)).rejects.toThrow("disk gone");
    expect((await imagesOf(id)).every((i) => !i.purgedAt)).toBe(true);
    expect(await purgeExpiredImages(handle.db, store, now)).toMatchObject({ images: 2 });
    expect((await imagesOf(id)).every((i) => i.purgedAt)).toBe(true);
  });
});
