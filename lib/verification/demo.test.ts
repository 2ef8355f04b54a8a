import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase } from "@/db/client";
import { images, reviewCases, verifications } from "@/db/schema";
import { createProject } from "@/lib/auth/api-keys";
import { LocalImageStore } from "@/lib/storage/image-store";
import { seedDemoData } from "./demo";

describe("seedDemoData on the sample photos", () => {
  let handle: DatabaseHandle;
  let storeDir: string;
  let store: LocalImageStore;
  let projectId: string;
  let seeded: { verifications: number; inReview: number };

  beforeAll(async () => {
    handle = await openMemoryDatabase();
    storeDir = mkdtempSync(join(tmpdir(), "vigil-demo-"));
    store = new LocalImageStore(storeDir, randomBytes(32));
    projectId = (await createProject(handle.db, { slug: "demo", name: "Demo project" })).id;
    seeded = await seedDemoData(handle.db, store, projectId);
  });

  afterAll(async () => {
    await handle.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it("makes about a dozen console verifications with approved, rejected and in-review ones", async () => {
    const rows = await handle.db.select().from(verifications).where(eq(verifications.projectId, projectId));
    expect(rows).toHaveLength(seeded.verifications);
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.length).toBeLessThanOrEqual(16);
    const statuses = rows.map((r) => r.status);
    expect(statuses.filter((s) => s === "approved").length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === "rejected").length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === "in_review").length).toBeGreaterThanOrEqual(4);
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(["face_match_liveness", "face_match", "selfie_liveness"]));
    for (const row of rows) {
      expect(row.source).toBe("console");
      expect(row.apiKeyId).toBeNull();
      expect(row.externalRef).toMatch(/^demo-applicant-\d{2}$/);
    }
  });

  it("opens a review case for each verification in the review band", async () => {
    const cases = await handle.db.select().from(reviewCases).where(eq(reviewCases.projectId, projectId));
    const open = cases.filter((c) => c.status === "open");
    expect(open.length).toBeGreaterThanOrEqual(4);
    expect(open).toHaveLength(seeded.inReview);
    const inReview = await handle.db.select({ id: verifications.id }).from(verifications).where(eq(verifications.status, "in_review"));
    expect(new Set(open.map((c) => c.verificationId))).toEqual(new Set(inReview.map((v) => v.id)));
  });

  it("stores every image, readable and unchanged", async () => {
    const rows = await handle.db.select().from(images).where(eq(images.projectId, projectId));
    const withReference = await handle.db.select({ id: verifications.id, type: verifications.type }).from(verifications);
    // One selfie per verification, plus one reference for each face match.
    expect(rows).toHaveLength(withReference.reduce((n, v) => n + (v.type === "selfie_liveness" ? 1 : 2), 0));
    for (const row of rows) {
      const plain = await store.get(row.storageKey);
      expect(createHash("sha256").update(plain).digest("hex")).toBe(row.sha256);
      expect(plain.length).toBe(row.bytes);
    }
  });
});
