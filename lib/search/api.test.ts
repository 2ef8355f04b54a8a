import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, thresholdPolicies } from "@/db/schema";
import { createApiKey } from "@/lib/auth/api-keys";
import type { SearchInput, VigilClient } from "@/lib/client";
import type { CollectionView, PersonView } from "@/lib/openapi/responses";
import { newId } from "@/lib/ids";
import type { ApiTestContext, BadInputs } from "@/lib/testing/api";
import { apiClient, makeBadInputs, refusalOf, setupApiTest } from "@/lib/testing/api";
import { DEFAULT_BANDS } from "@/lib/verification/policy";
import type { GalleryFaces } from "./testing/gallery";
import { galleryFaces } from "./testing/gallery";

let ctx: ApiTestContext;
let faces: GalleryFaces;
let bad: BadInputs;
/** The typed client over the in-process routes, answers checked against the OpenAPI schemas. */
let client: VigilClient;
const b64 = (image: Buffer) => image.toString("base64");

/** The client of another key, when a test needs one. */
const as = (secret?: string) => (secret ? apiClient(secret) : client);
const search = (body: SearchInput, secret?: string) => as(secret).searchFaces(body);

async function count(table: "persons" | "person_faces" | "collections"): Promise<number> {
  const result = (await ctx.handle.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: Array<{ n: number }> };
  return result.rows[0].n;
}

/** Encrypted files under the store: published and staged. */
function storedFiles(): string[] {
  const out: string[] = [];
  for (const part of ["images", "staging"]) {
    const dir = join(ctx.storeDir, part);
    if (existsSync(dir)) out.push(...readdirSync(dir, { recursive: true }).map((f) => `${part}/${String(f)}`).filter((f) => f.endsWith(".enc")));
  }
  return out.sort();
}

let staff: CollectionView;
let visitors: CollectionView;
let personA: PersonView;
let personB: PersonView;

beforeAll(async () => {
  ctx = await setupApiTest();
  client = apiClient(ctx.secret);
  faces = await galleryFaces();
  bad = await makeBadInputs(ctx);
});

afterAll(async () => ctx?.close());

describe("collections and enrollment", () => {
  it("creates collections and enrolls two persons with signed face URLs", async () => {
    staff = await client.createCollection({ name: "Staff", description: "Employees" });
    expect(staff).toMatchObject({ object: "collection", name: "Staff", description: "Employees" });
    expect(staff.id).toMatch(/^col_/);
    expect(staff.code).toMatch(/^[0-9a-f-]{36}$/);
    visitors = await client.createCollection({ name: "Visitors" });

    personA = await client.createPerson({
      name: "Ana Example",
      externalRef: "cust-1",
      metadata: { gender: "F", nationality: "CO", emails: ["ana@example.test"] },
      collections: [staff.code],
      images: [faces.a1, `data:image/jpeg;base64,${b64(faces.a1b)}`],
    });
    expect(personA).toMatchObject({ object: "person", name: "Ana Example", externalRef: "cust-1", metadata: { gender: "F", nationality: "CO", emails: ["ana@example.test"] } });
    expect(personA.id).toMatch(/^per_/);
    expect(personA.collections).toEqual([{ id: staff.id, code: staff.code, name: "Staff" }]);
    expect(personA.faces).toHaveLength(2);
    for (const face of personA.faces) {
      expect(face.id).toMatch(/^face_/);
      expect(face.width).toBeGreaterThan(40);
      expect(face.liveness).toBeNull();
      expect(face.imageUrl).toMatch(/^http:\/\/vigil\.test\/api\/v1\/images\/face_[0-9a-z]+\?exp=\d+&by=key%3Akey_.+&sig=/);
    }

    personB = await client.createPerson({ name: "Bruno Example", collections: [visitors.id], images: [b64(faces.b)], livenessMin: 0.5 });
    expect(personB.faces[0].liveness).toBeGreaterThan(0.5);
    expect(await count("persons")).toBe(2);
    expect(await count("person_faces")).toBe(3);

    const listed = await client.listCollections();
    expect(listed.data.map((c) => [c.name, c.personCount])).toEqual([
      ["Staff", 1],
      ["Visitors", 1],
    ]);
  });

  it("refuses a second person with the same externalRef", async () => {
    const before = storedFiles();
    expect(await refusalOf(client.createPerson({ name: "Someone Else", externalRef: "cust-1", images: [b64(faces.c)] }))).toMatchObject({ status: 409, code: "EXTERNAL_REF_TAKEN" });
    expect(await count("persons")).toBe(2);
    expect(storedFiles()).toEqual(before);
  });
});

describe("POST /api/v1/search", () => {
  it("finds A first in the approve band with another photo of A; B stays below review", async () => {
    const res = await search({ image: faces.a2 });
    expect(res.mode).toBe("FAST");
    expect(res.index).toBe(ctx.handle.searchIndex);
    expect(res.candidates.map((c) => c.person.id)).toEqual([personA.id]);
    const [top] = res.candidates;
    expect(top.band).toBe("approve");
    expect(top.similarity).toBeGreaterThanOrEqual(DEFAULT_BANDS.face_match.approve);
    expect(top.person).toEqual({ id: personA.id, name: "Ana Example", externalRef: "cust-1", collections: personA.collections });
    expect(personA.faces.map((f) => f.id)).toContain(top.faceId);
    expect(top.imageUrl).toMatch(new RegExp(`/api/v1/images/${top.faceId}\\?`));
    expect(res.probe.face.box.x2).toBeGreaterThan(res.probe.face.box.x1);
    expect(res.probe.quality).toBeDefined();
    expect(res.probe.liveness).toBeUndefined();
    expect(res.timingsMs.analyze).toBeGreaterThan(0);

    const everyone = await search({ image: b64(faces.a2), minSimilarity: -1, limit: 10 });
    expect(everyone.candidates.map((c) => c.person.id)).toEqual([personA.id, personB.id]);
    expect(everyone.candidates[1].similarity).toBeLessThan(DEFAULT_BANDS.face_match.review);
    expect(everyone.candidates[1].band).toBe("reject");
  });

  it("limits the search to the collections asked for", async () => {
    const inVisitors = await search({ image: b64(faces.a2), collections: [visitors.code], minSimilarity: -1 });
    expect(inVisitors.candidates.map((c) => c.person.id)).toEqual([personB.id]);
    const inStaff = await search({ image: b64(faces.a2), collections: [staff.id] });
    expect(inStaff.candidates.map((c) => c.person.id)).toEqual([personA.id]);
    expect((await refusalOf(search({ image: b64(faces.a2), collections: ["col_nope"] }))).status).toBe(404);
  });

  it("answers the same candidates and similarities in FAST and ACCURATE mode", async () => {
    const fast = await search({ image: b64(faces.a2), mode: "FAST", minSimilarity: -1 });
    const accurate = await search({ image: b64(faces.a2), mode: "ACCURATE", minSimilarity: -1 });
    expect(accurate.index).toBe("exact");
    expect(fast.index).toBe(ctx.handle.searchIndex);
    const view = (r: typeof fast) => r.candidates.map((c) => [c.person.id, c.faceId, c.similarity.toFixed(3)]);
    expect(view(fast)).toEqual(view(accurate));
  });

  it("reports the probe's liveness with the live variant, and searches a tight face crop", async () => {
    const live = await search({ image: b64(faces.a2), liveness: true });
    expect(live.probe.liveness!.score).toBeGreaterThan(0.6);
    expect(live.probe.liveness!.band).toBe("approve");
    expect(live.candidates[0].person.id).toBe(personA.id);

    const crop = await search({ image: b64(faces.aCrop), faceCrop: true, minSimilarity: -1 });
    expect(crop.candidates[0].person.id).toBe(personA.id);
    expect(crop.candidates[0].band).not.toBe("reject");
    expect(crop.candidates[1].band).toBe("reject");

    const both = await refusalOf(search({ image: b64(faces.aCrop), faceCrop: true, liveness: true }));
    expect(both.status).toBe(400);
    expect(both.details?.field).toBe("liveness");
  });
});

describe("persons", () => {
  it("GET shows the faces with signed URLs that the images route serves and audits", async () => {
    const res = await client.getPerson(personA.id);
    expect(res.faces.map((f) => f.id)).toEqual(personA.faces.map((f) => f.id));
    const face = res.faces[0];
    const url = new URL(face.imageUrl!);
    const image = await client.getImage(face.imageUrl!);
    expect(image.contentType).toBe("image/jpeg");
    // Faces enrolled in one request share a millisecond, so their order is not the order sent.
    const served = Buffer.from(image.bytes);
    expect(served.equals(faces.a1) || served.equals(faces.a1b)).toBe(true);
    const [event] = await ctx.handle.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "image.viewed"), eq(auditEvents.projectId, ctx.project.id)));
    expect(event.actor).toBe(url.searchParams.get("by"));
    expect(event.after).toEqual({ faceId: face.id, personId: personA.id });

    url.searchParams.set("sig", "x".repeat(43));
    expect(await refusalOf(client.getImage(url.toString()))).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  });

  it("verifies a photo against one person: the same person approves, another rejects", async () => {
    const same = await client.verifyPerson(personA.id, { image: faces.a2 });
    expect(same).toMatchObject({ personId: personA.id, band: "approve" });
    expect(same.similarity).toBeGreaterThanOrEqual(DEFAULT_BANDS.face_match.approve);
    expect(personA.faces.map((f) => f.id)).toContain(same.faceId);
    const other = await client.verifyPerson(personA.id, { image: b64(faces.b) });
    expect(other.band).toBe("reject");
    expect(other.similarity).toBeLessThan(DEFAULT_BANDS.face_match.review);
  });

  it("adds a face, deletes a face, updates and lists persons", async () => {
    const added = await client.addFaces(personA.id, { images: [faces.a2] });
    expect(added.faces).toHaveLength(3);
    expect(await refusalOf(client.addFaces(personA.id, { images: [b64(faces.c)] }))).toMatchObject({ status: 422, code: "FACES_DO_NOT_MATCH" });

    const faceId = added.faces[2].id;
    await client.deleteFace(personA.id, faceId);
    expect((await client.getPerson(personA.id)).faces).toHaveLength(2);

    const patched = await client.updatePerson(personA.id, { name: "Ana B. Example", collections: [staff.id, visitors.id] });
    expect(patched.name).toBe("Ana B. Example");
    expect(patched.collections.map((c) => c.name)).toEqual(["Staff", "Visitors"]);
    expect((await refusalOf(client.updatePerson(personA.id, {}))).status).toBe(400);

    const page1 = await client.listPersons({ limit: 1 });
    expect(page1.data.map((p) => p.id)).toEqual([personB.id]);
    expect(page1.nextCursor).toBe(personB.id);
    const page2 = await client.listPersons({ limit: 1, before: page1.nextCursor! });
    expect(page2.data.map((p) => p.id)).toEqual([personA.id]);
    expect(page2.nextCursor).toBeNull();
    const inStaff = await client.listPersons({ collection: staff.code });
    expect(inStaff.data.map((p) => p.id)).toEqual([personA.id]);

    const renamed = await client.updateCollection(visitors.code, { name: "Guests" });
    expect(renamed).toMatchObject({ id: visitors.id, name: "Guests" });
    expect((await client.getCollection(visitors.id)).name).toBe("Guests");
  });

  it("refuses a duplicate person, and two different people in one enrollment, writing nothing", async () => {
    const before = { persons: await count("persons"), faces: await count("person_faces"), files: storedFiles() };
    const duplicate = await refusalOf(client.createPerson({ name: "Ana Again", images: [b64(faces.a2)], livenessMin: 0.5, duplicateCheck: { minSimilarity: 0.5 } }));
    expect(duplicate).toMatchObject({ status: 409, code: "DUPLICATE_PERSON" });
    expect(duplicate.details?.personId).toBe(personA.id);
    const scoped = await refusalOf(client.createPerson({ name: "Ana Again", images: [b64(faces.a2)], duplicateCheck: { minSimilarity: 0.5, collections: ["col_nope"] } }));
    expect(scoped.status).toBe(404);
    const mixed = await refusalOf(client.createPerson({ name: "Two People", images: [b64(faces.b), b64(faces.a2)] }));
    expect(mixed).toMatchObject({ status: 422, code: "FACES_DO_NOT_MATCH" });
    expect(mixed.details?.image).toBe("images[1]");
    expect({ persons: await count("persons"), faces: await count("person_faces"), files: storedFiles() }).toEqual(before);
  });

  it("answers bad images and bodies with their codes and writes nothing", async () => {
    const before = { persons: await count("persons"), faces: await count("person_faces"), files: storedFiles() };
    // Bodies the types forbid (no name, unknown metadata) are sent anyway: the server must refuse them.
    const cases: Array<[Parameters<VigilClient["createPerson"]>[0], number, string]> = [
      [{ name: "X", images: [b64(bad.gif)] }, 415, "UNSUPPORTED_FORMAT"],
      [{ name: "X", images: [b64(faces.a1), b64(bad.faceless)] }, 422, "NO_FACE_FOUND"],
      [{ name: "X", images: [b64(bad.tiny)] }, 422, "IMAGE_TOO_SMALL"],
      [{ name: "X", images: [b64(bad.group)] }, 422, "MULTIPLE_FACES"],
      [{ name: "X", images: ["@@@not-base64@@@"] }, 400, "INVALID_IMAGE"],
      [{ name: "X", images: [] }, 400, "INVALID_REQUEST"],
      [{ name: "X", images: Array(6).fill(b64(faces.c)) }, 400, "INVALID_REQUEST"],
      [{ images: [b64(faces.c)] } as unknown as { name: string; images: string[] }, 400, "INVALID_REQUEST"],
      [{ name: "X", images: [b64(faces.c)], metadata: { shoeSize: 42 } as never }, 400, "INVALID_REQUEST"],
      [{ name: "X", images: [b64(faces.c)], collections: ["col_nope"] }, 404, "NOT_FOUND"],
    ];
    for (const [body, status, code] of cases) expect(await refusalOf(client.createPerson(body))).toMatchObject({ status, code });
    expect((await refusalOf(search({ image: b64(bad.faceless) }))).code).toBe("NO_FACE_FOUND");
    expect((await refusalOf(search({ image: b64(faces.a2), limit: 101 }))).status).toBe(400);
    expect((await refusalOf(search({ image: b64(faces.a2), mode: "SLOW" as "FAST" }))).status).toBe(400);
    expect({ persons: await count("persons"), faces: await count("person_faces"), files: storedFiles() }).toEqual(before);
  });

  it("checks the key: 401 without a valid one, 403 without the search scope, 404 for another project's person", async () => {
    expect((await refusalOf(as("vgl_unknown").getPerson(personA.id))).status).toBe(401);
    expect((await refusalOf(search({ image: b64(faces.a2) }, bad.revokedSecret))).status).toBe(401);
    const { secret: verifyOnly } = await createApiKey(ctx.handle.db, { projectId: ctx.project.id, name: "verify only", scopes: ["verify"] });
    const limited = as(verifyOnly);
    for (const call of [limited.getPerson(personA.id), limited.searchFaces({ image: b64(faces.a2) }), limited.createPerson({ name: "X", images: [b64(faces.c)] })]) {
      expect(await refusalOf(call)).toMatchObject({ status: 403, code: "FORBIDDEN" });
    }
    const foreign = as(ctx.otherSecret);
    expect(await refusalOf(foreign.getPerson(personA.id))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect((await refusalOf(foreign.deletePerson(personA.id))).status).toBe(404);
    expect((await foreign.searchFaces({ image: b64(faces.a2) })).candidates).toEqual([]);
    expect((await refusalOf(foreign.getCollection(staff.id))).status).toBe(404);
  });

  it("deletes a person: gone from search, image URL 404, files removed from the store", async () => {
    const shown = await client.getPerson(personA.id);
    const files = storedFiles();
    for (const face of shown.faces) expect(files).toContain(`images/${ctx.project.id}/gallery/${face.id}.enc`);
    await client.deletePerson(personA.id);
    expect((await refusalOf(client.getPerson(personA.id))).status).toBe(404);
    expect((await search({ image: b64(faces.a2), minSimilarity: -1 })).candidates.map((c) => c.person.id)).toEqual([personB.id]);
    expect((await search({ image: b64(faces.a2), mode: "ACCURATE", minSimilarity: -1 })).candidates.map((c) => c.person.id)).toEqual([personB.id]);
    for (const face of shown.faces) {
      expect((await refusalOf(client.getImage(face.imageUrl!))).status).toBe(404);
      expect(storedFiles()).not.toContain(`images/${ctx.project.id}/gallery/${face.id}.enc`);
    }
    expect(await count("person_faces")).toBe(1);
  });

  it("deletes a collection and keeps its persons", async () => {
    await client.deleteCollection(visitors.id);
    expect((await client.getPerson(personB.id)).collections).toEqual([]);
  });

  it("gives a probe whose liveness falls in the reject band no candidates", async () => {
    // A policy that rejects every liveness score below 1: the probe is treated as a spoof.
    const strict = { ...DEFAULT_BANDS, selfie_liveness: { approve: 1, review: 1 } };
    await ctx.handle.db.insert(thresholdPolicies).values({ id: newId("pol"), projectId: ctx.project.id, version: 2, bands: strict, reason: "test", author: "test" });
    const res = await search({ image: b64(faces.b), liveness: true, minSimilarity: -1 });
    expect(res.probe.liveness!.band).toBe("reject");
    expect(res.candidates).toEqual([]);
    expect(res.timingsMs.search).toBe(0);
    const without = await search({ image: b64(faces.b), minSimilarity: -1 });
    expect(without.candidates.map((c) => c.person.id)).toEqual([personB.id]);
  });
});
