import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase } from "@/db/client";
import { collections, duplicateCandidates, images, personCollections, persons, reviewCases, verifications } from "@/db/schema";
import { createProject } from "@/lib/auth/api-keys";
import { LocalImageStore } from "@/lib/storage/image-store";
import { seedDemoData } from "./demo";

describe("seedDemoData on the sample photos", () => {
  let handle: DatabaseHandle;
  let storeDir: string;
  let store: LocalImageStore;
  let projectId: string;
  let seeded: { verifications: number; inReview: number; persons: number };

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

  it("enrolls demo customers in a Customers collection", async () => {
    const enrolled = await handle.db.select().from(persons).where(eq(persons.projectId, projectId));
    expect(enrolled).toHaveLength(seeded.persons);
    expect(enrolled.length).toBeGreaterThanOrEqual(2);
    expect(enrolled.length).toBeLessThanOrEqual(3);
    const [customers] = await handle.db.select().from(collections).where(eq(collections.projectId, projectId));
    expect(customers.name).toBe("Customers");
    const members = await handle.db.select().from(personCollections).where(eq(personCollections.collectionId, customers.id));
    expect(new Set(members.map((m) => m.personId))).toEqual(new Set(enrolled.map((p) => p.id)));
  });

  it("sends one selfie of an enrolled customer, under a new applicant reference, to review as a possible duplicate", async () => {
    const candidates = await handle.db.select().from(duplicateCandidates).where(eq(duplicateCandidates.projectId, projectId));
    expect(candidates).toHaveLength(1);
    const [candidate] = candidates;
    const [verification] = await handle.db.select().from(verifications).where(eq(verifications.id, candidate.verificationId));
    const [person] = await handle.db.select().from(persons).where(eq(persons.id, candidate.personId!));
    expect(verification.status).toBe("in_review");
    expect(verification.externalRef).not.toBe(person.externalRef);
    expect(candidate.personName).toBe(person.name);
    const duplicate = (verification.checks as Array<{ check: string; band: string; score: number }>).find((c) => c.check === "duplicate");
    expect(duplicate).toMatchObject({ band: "review" });
    expect(candidate.similarity).toBeCloseTo(duplicate!.score, 3);
    const [reviewCase] = await handle.db.select().from(reviewCases).where(eq(reviewCases.verificationId, verification.id));
    expect(reviewCase.reasons).toEqual(["duplicate"]);
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
