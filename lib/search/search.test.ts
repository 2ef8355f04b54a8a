import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase, openPostgresDatabase } from "@/db/client";
import { postgresUnavailableReason, startTestPostgres } from "@/db/testing/postgres";
import { createProject } from "@/lib/auth/api-keys";
import { newId } from "@/lib/ids";
import { Rng } from "@/lib/specimens/rng";
import { LocalImageStore } from "@/lib/storage/image-store";
import { bulkEnroll, countFaces } from "./bulk";
import { createCollection } from "./collections";
import { touchGallery } from "./exact";
import { insertFaces } from "./faces";
import { deletePerson, updatePerson } from "./persons";
import { searchGallery } from "./search";
import { syntheticGallery } from "./synthetic";
import { persons } from "@/db/schema";

/**
 * The search paths on every database they run on: pgvector HNSW (PGlite ships the
 * extension), the exact scan on PGlite with the index left out, and PostgreSQL 15 (whose
 * Debian server has no pgvector here: the exact path, as on any server without it).
 */
const reason = postgresUnavailableReason();
const backends: Array<{ name: string; skip: boolean; expect: "hnsw" | "exact"; open(): Promise<{ handle: DatabaseHandle; stop(): Promise<void> }> }> = [
  { name: "PGlite + pgvector HNSW", skip: false, expect: "hnsw", open: async () => ({ handle: await openMemoryDatabase(), stop: async () => {} }) },
  { name: "PGlite, exact scan", skip: false, expect: "exact", open: async () => ({ handle: await openMemoryDatabase({ searchIndex: "exact" }), stop: async () => {} }) },
  {
    name: "PostgreSQL 15",
    skip: reason !== null,
    expect: "exact",
    open: async () => {
      const server = await startTestPostgres();
      return { handle: await openPostgresDatabase(server.url), stop: server.stop };
    },
  },
];
if (reason) console.warn(`PostgreSQL search tests skipped: ${reason}`);

const IDENTITIES = 300;
const FACES_EACH = 3;

describe.each(backends)("1:N search on $name", (backend) => {
  let handle: DatabaseHandle;
  let stop: () => Promise<void>;
  let projectId: string;
  let otherProjectId: string;
  const gallery = syntheticGallery({ identities: IDENTITIES, facesPerIdentity: FACES_EACH, seed: 6 });
  const personOf: string[] = [];
  let storeDir: string;
  let store: LocalImageStore;

  beforeAll(async () => {
    if (backend.skip) return;
    ({ handle, stop } = await backend.open());
    storeDir = mkdtempSync(join(tmpdir(), "vigil-search-"));
    store = new LocalImageStore(storeDir, randomBytes(32));
    projectId = (await createProject(handle.db, { slug: "acme", name: "Acme" })).id;
    otherProjectId = (await createProject(handle.db, { slug: "other", name: "Other" })).id;
    const now = new Date();
    for (let id = 0; id < IDENTITIES; id++) personOf.push(newId("per"));
    await handle.db.insert(persons).values(personOf.map((id, i) => ({ id, projectId, name: `Person ${i}`, createdAt: now, updatedAt: now })));
    await insertFaces(
      handle.db,
      handle.searchIndex,
      gallery.faces.map((embedding, i) => ({ id: newId("face"), personId: personOf[gallery.identityOf[i]], projectId, embedding })),
    );
    // The same faces in another project, under other persons: never to be found from `projectId`.
    const otherPerson = newId("per");
    await handle.db.insert(persons).values({ id: otherPerson, projectId: otherProjectId, name: "Elsewhere", createdAt: now, updatedAt: now });
    await insertFaces(handle.db, handle.searchIndex, gallery.faces.slice(0, 30).map((embedding) => ({ id: newId("face"), personId: otherPerson, projectId: otherProjectId, embedding })));
    await handle.db.transaction((tx) => touchGallery(tx, projectId));
  }, 120_000);

  afterAll(async () => {
    if (backend.skip) return;
    await handle.close();
    await stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it.skipIf(backend.skip)("serves the expected index", () => {
    expect(handle.searchIndex).toBe(backend.expect);
  });

  it.skipIf(backend.skip)("finds the probe's identity first, in both modes, with the same ranking", async () => {
    const rng = new Rng(7, "probes");
    let agreed = 0;
    for (let i = 0; i < 40; i++) {
      const identity = rng.int(0, IDENTITIES - 1);
      const probe = gallery.probe(identity, rng);
      const fast = await searchGallery(handle.db, { projectId, probe, collectionIds: null, limit: 5, mode: "FAST", minSimilarity: -1 });
      const accurate = await searchGallery(handle.db, { projectId, probe, collectionIds: null, limit: 5, mode: "ACCURATE", minSimilarity: -1 });
      expect(accurate[0].personId).toBe(personOf[identity]);
      expect(accurate[0].similarity).toBeGreaterThan(0.5);
      // Impostors score 0.03 +- 0.1 (faces-dev's spread): the best of 300 stays well below a genuine 0.7.
      expect(accurate[1].similarity).toBeLessThan(0.5);
      expect(accurate.map((h) => h.personId)).toHaveLength(5);
      if (fast[0].personId === accurate[0].personId) agreed++;
      expect(fast[0].similarity).toBeCloseTo(accurate[0].similarity, 4);
    }
    expect(agreed).toBe(40);
  });

  it.skipIf(backend.skip)("keeps to the project, the collections asked for and the minimum similarity", async () => {
    const rng = new Rng(8, "filters");
    const probe = gallery.probe(3, rng);
    const vip = await createCollection(handle.db, { projectId, name: "VIP", actor: "system" });
    await updatePerson(handle.db, { projectId, personId: personOf[5], collections: [vip.code], actor: "system" });
    for (const mode of ["FAST", "ACCURATE"] as const) {
      const inVip = await searchGallery(handle.db, { projectId, probe, collectionIds: [vip.id], limit: 5, mode, minSimilarity: -1 });
      expect(inVip.map((h) => h.personId)).toEqual([personOf[5]]);
      const strict = await searchGallery(handle.db, { projectId, probe, collectionIds: null, limit: 5, mode, minSimilarity: 0.5 });
      expect(strict.map((h) => h.personId)).toEqual([personOf[3]]);
      const elsewhere = await searchGallery(handle.db, { projectId: otherProjectId, probe, collectionIds: null, limit: 5, mode, minSimilarity: -1 });
      expect(elsewhere.every((h) => !personOf.includes(h.personId))).toBe(true);
    }
  });

  it.skipIf(backend.skip)("forgets a deleted person on the next search, in both modes", async () => {
    const rng = new Rng(9, "delete");
    const probe = gallery.probe(10, rng);
    expect((await searchGallery(handle.db, { projectId, probe, collectionIds: null, limit: 1, mode: "ACCURATE", minSimilarity: -1 }))[0].personId).toBe(personOf[10]);
    await deletePerson(handle.db, store, { projectId, personId: personOf[10], actor: "system" });
    for (const mode of ["FAST", "ACCURATE"] as const) {
      const hits = await searchGallery(handle.db, { projectId, probe, collectionIds: null, limit: 3, mode, minSimilarity: -1 });
      expect(hits.map((h) => h.personId)).not.toContain(personOf[10]);
    }
    const left = await handle.db.execute(sql`select count(*)::int as n from person_faces where person_id = ${personOf[10]}`);
    expect((left as unknown as { rows: Array<{ n: number }> }).rows[0].n).toBe(0);
  });

  it.skipIf(backend.skip)("refuses a limit outside 1-100", async () => {
    const probe = gallery.faces[0];
    await expect(searchGallery(handle.db, { projectId, probe, collectionIds: null, limit: 0, mode: "FAST", minSimilarity: 0 })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    await expect(searchGallery(handle.db, { projectId, probe, collectionIds: null, limit: 101, mode: "FAST", minSimilarity: 0 })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
  });
});

describe("bulk enrollment", () => {
  it("rebuilds the HNSW index for a large load and searches it, refusing malformed embeddings first", async () => {
    const handle = await openMemoryDatabase();
    try {
      const projectId = (await createProject(handle.db, { slug: "bulk", name: "Bulk" })).id;
      const gallery = syntheticGallery({ identities: 200, facesPerIdentity: 2, seed: 11 });
      const people = Array.from({ length: 200 }, (_, i) => ({ name: `P${i}`, externalRef: `ref-${i}`, embeddings: gallery.faces.slice(i * 2, i * 2 + 2) }));
      await expect(bulkEnroll(handle.db, { projectId, actor: "system", persons: [...people.slice(0, 3), { name: "Bad", embeddings: [new Float32Array(511)] }] })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
      await expect(bulkEnroll(handle.db, { projectId, actor: "system", persons: [{ name: "Zero", embeddings: [new Float32Array(512)] }] })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
      expect(await countFaces(handle.db, projectId)).toBe(0);

      const result = await bulkEnroll(handle.db, { projectId, actor: "system", persons: people, rebuildMin: 100 });
      expect(result).toMatchObject({ persons: 200, faces: 400, rebuiltIndex: true });
      const index = await handle.db.execute(sql`select count(*)::int as n from pg_indexes where indexname = 'person_faces_embedding_hnsw'`);
      expect((index as unknown as { rows: Array<{ n: number }> }).rows[0].n).toBe(1);
      // A small load afterwards goes into the live index.
      const more = await bulkEnroll(handle.db, { projectId, actor: "system", persons: [{ name: "Late", embeddings: [gallery.probe(0, new Rng(1))] }], rebuildMin: 100 });
      expect(more.rebuiltIndex).toBe(false);
      const rng = new Rng(12);
      const hits = await searchGallery(handle.db, { projectId, probe: gallery.probe(42, rng), collectionIds: null, limit: 3, mode: "FAST", minSimilarity: -1 });
      const [named] = await handle.db.select({ name: persons.name }).from(persons).where(eq(persons.id, hits[0].personId));
      expect(named.name).toBe("P42");
    } finally {
      await handle.close();
    }
  }, 60_000);
});

describe("synthetic gallery", () => {
  it("has faces-dev's score moments: impostors about 0.03 with sd 0.1, genuine pairs about 0.70", () => {
    const g = syntheticGallery({ identities: 1000, facesPerIdentity: 2, seed: 3 });
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    const genuine: number[] = [];
    const impostor: number[] = [];
    for (let i = 0; i < 1000; i++) {
      genuine.push(dot(g.faces[2 * i], g.faces[2 * i + 1]));
      impostor.push(dot(g.faces[2 * i], g.faces[(2 * i + 7) % 2000]));
    }
    const mean = (x: number[]) => x.reduce((a, b) => a + b) / x.length;
    const sd = (x: number[]) => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2)));
    expect(mean(impostor)).toBeGreaterThan(0.01);
    expect(mean(impostor)).toBeLessThan(0.05);
    expect(sd(impostor)).toBeGreaterThan(0.08);
    expect(sd(impostor)).toBeLessThan(0.12);
    expect(mean(genuine)).toBeGreaterThan(0.66);
    expect(mean(genuine)).toBeLessThan(0.74);
  });
});

describe("switching from the exact path to the HNSW index", () => {
  it("gives faces enrolled without the index their vector copy when the index is prepared", async () => {
    const { prepareVectorIndex } = await import("@/db/vector");
    const handle = await openMemoryDatabase({ searchIndex: "exact" });
    try {
      const projectId = (await createProject(handle.db, { slug: "later", name: "Later" })).id;
      const gallery = syntheticGallery({ identities: 20, facesPerIdentity: 2, seed: 21 });
      await bulkEnroll(handle.db, { projectId, actor: "system", persons: Array.from({ length: 20 }, (_, i) => ({ name: `L${i}`, embeddings: gallery.faces.slice(i * 2, i * 2 + 2) })) });
      // The same database, opened later with pgvector (the extension is loaded in this PGlite).
      expect(await prepareVectorIndex(handle.db, "auto")).toBe("hnsw");
      const missing = await handle.db.execute(sql`select count(*)::int as n from person_faces where embedding_vec is null`);
      expect((missing as unknown as { rows: Array<{ n: number }> }).rows[0].n).toBe(0);
      const hits = await searchGallery(handle.db, { projectId, probe: gallery.probe(7, new Rng(3)), collectionIds: null, limit: 1, mode: "FAST", minSimilarity: -1 });
      const [named] = await handle.db.select({ name: persons.name }).from(persons).where(eq(persons.id, hits[0].personId));
      expect(named.name).toBe("L7");
    } finally {
      await handle.close();
    }
  });
});
