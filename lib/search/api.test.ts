import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getCollectionRoute, DELETE as deleteCollectionRoute, PATCH as patchCollection } from "@/app/api/v1/collections/[id]/route";
import { GET as listCollectionsRoute, POST as postCollection } from "@/app/api/v1/collections/route";
import { GET as getImage } from "@/app/api/v1/images/[id]/route";
import { DELETE as deleteFaceRoute } from "@/app/api/v1/persons/[id]/faces/[faceId]/route";
import { POST as postFaces } from "@/app/api/v1/persons/[id]/faces/route";
import { DELETE as deletePersonRoute, GET as getPersonRoute, PATCH as patchPerson } from "@/app/api/v1/persons/[id]/route";
import { POST as verifyRoute } from "@/app/api/v1/persons/[id]/verify/route";
import { GET as listPersonsRoute, POST as postPerson } from "@/app/api/v1/persons/route";
import { POST as searchRoute } from "@/app/api/v1/search/route";
import { auditEvents, thresholdPolicies } from "@/db/schema";
import { createApiKey } from "@/lib/auth/api-keys";
import { newId } from "@/lib/ids";
import type { ApiTestContext, BadInputs } from "@/lib/testing/api";
import { apiRequest, makeBadInputs, params, readJson, setupApiTest } from "@/lib/testing/api";
import { DEFAULT_BANDS } from "@/lib/verification/policy";
import type { GalleryFaces } from "./testing/gallery";
import { galleryFaces } from "./testing/gallery";

let ctx: ApiTestContext;
let faces: GalleryFaces;
let bad: BadInputs;
const b64 = (image: Buffer) => image.toString("base64");

// Response bodies as the tests read them.
type Json = Record<string, any>;

const request = (method: string, path: string, body?: unknown, secret: string | null = ctx.secret) => apiRequest(method, path, body, secret);

const json = readJson;

const search = (body: Json, secret?: string) => json(searchRoute(request("POST", "/api/v1/search", body, secret), undefined));
const createPerson = (body: Json, secret?: string) => json(postPerson(request("POST", "/api/v1/persons", body, secret), undefined));
const getPerson = (id: string, secret?: string) => json(getPersonRoute(request("GET", `/api/v1/persons/${id}`, undefined, secret), params({ id })));

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

let staff: Json;
let visitors: Json;
let personA: Json;
let personB: Json;

beforeAll(async () => {
  ctx = await setupApiTest();
  faces = await galleryFaces();
  bad = await makeBadInputs(ctx);
});

afterAll(async () => ctx?.close());

describe("collections and enrollment", () => {
  it("creates collections and enrolls two persons with signed face URLs", async () => {
    const created = await json(postCollection(request("POST", "/api/v1/collections", { name: "Staff", description: "Employees" }), undefined));
    expect(created.status).toBe(201);
    staff = created.body;
    expect(staff).toMatchObject({ object: "collection", name: "Staff", description: "Employees" });
    expect(staff.id).toMatch(/^col_/);
    expect(staff.code).toMatch(/^[0-9a-f-]{36}$/);
    visitors = (await json(postCollection(request("POST", "/api/v1/collections", { name: "Visitors" }), undefined))).body;

    const a = await createPerson({
      name: "Ana Example",
      externalRef: "cust-1",
      metadata: { gender: "F", nationality: "CO", emails: ["ana@example.test"] },
      collections: [staff.code],
      images: [b64(faces.a1), `data:image/jpeg;base64,${b64(faces.a1b)}`],
    });
    expect(a.status).toBe(201);
    personA = a.body;
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

    const b = await createPerson({ name: "Bruno Example", collections: [visitors.id], images: [b64(faces.b)], livenessMin: 0.5 });
    expect(b.status).toBe(201);
    personB = b.body;
    expect(personB.faces[0].liveness).toBeGreaterThan(0.5);
    expect(await count("persons")).toBe(2);
    expect(await count("person_faces")).toBe(3);

    const listed = (await json(listCollectionsRoute(request("GET", "/api/v1/collections"), undefined))).body;
    expect(listed.data.map((c: Json) => [c.name, c.personCount])).toEqual([["Staff", 1], ["Visitors", 1]]);
  });

  it("refuses a second person with the same externalRef", async () => {
    const before = storedFiles();
    const res = await createPerson({ name: "Someone Else", externalRef: "cust-1", images: [b64(faces.c)] });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("EXTERNAL_REF_TAKEN");
    expect(await count("persons")).toBe(2);
    expect(storedFiles()).toEqual(before);
  });
});

describe("POST /api/v1/search", () => {
  it("finds A first in the approve band with another photo of A; B stays below review", async () => {
    const res = await search({ image: b64(faces.a2) });
    expect(res.status).toBe(200);
    expect(res.body.mode).toBe("FAST");
    expect(res.body.index).toBe(ctx.handle.searchIndex);
    expect(res.body.candidates.map((c: Json) => c.person.id)).toEqual([personA.id]);
    const [top] = res.body.candidates;
    expect(top.band).toBe("approve");
    expect(top.similarity).toBeGreaterThanOrEqual(DEFAULT_BANDS.face_match.approve);
    expect(top.person).toEqual({ id: personA.id, name: "Ana Example", externalRef: "cust-1", collections: personA.collections });
    expect(personA.faces.map((f: Json) => f.id)).toContain(top.faceId);
    expect(top.imageUrl).toMatch(new RegExp(`/api/v1/images/${top.faceId}\\?`));
    expect(res.body.probe.face.box.x2).toBeGreaterThan(res.body.probe.face.box.x1);
    expect(res.body.probe.quality).toBeDefined();
    expect(res.body.probe.liveness).toBeUndefined();
    expect(res.body.timingsMs.analyze).toBeGreaterThan(0);

    const everyone = await search({ image: b64(faces.a2), minSimilarity: -1, limit: 10 });
    expect(everyone.body.candidates.map((c: Json) => c.person.id)).toEqual([personA.id, personB.id]);
    expect(everyone.body.candidates[1].similarity).toBeLessThan(DEFAULT_BANDS.face_match.review);
    expect(everyone.body.candidates[1].band).toBe("reject");
  });

  it("limits the search to the collections asked for", async () => {
    const inVisitors = await search({ image: b64(faces.a2), collections: [visitors.code], minSimilarity: -1 });
    expect(inVisitors.body.candidates.map((c: Json) => c.person.id)).toEqual([personB.id]);
    const inStaff = await search({ image: b64(faces.a2), collections: [staff.id] });
    expect(inStaff.body.candidates.map((c: Json) => c.person.id)).toEqual([personA.id]);
    const unknown = await search({ image: b64(faces.a2), collections: ["col_nope"] });
    expect(unknown.status).toBe(404);
  });

  it("answers the same candidates and similarities in FAST and ACCURATE mode", async () => {
    const fast = await search({ image: b64(faces.a2), mode: "FAST", minSimilarity: -1 });
    const accurate = await search({ image: b64(faces.a2), mode: "ACCURATE", minSimilarity: -1 });
    expect(accurate.body.index).toBe("exact");
    expect(fast.body.index).toBe(ctx.handle.searchIndex);
    const view = (r: Json) => r.body.candidates.map((c: Json) => [c.person.id, c.faceId, c.similarity.toFixed(3)]);
    expect(view(fast)).toEqual(view(accurate));
  });

  it("reports the probe's liveness with the live variant, and searches a tight face crop", async () => {
    const live = await search({ image: b64(faces.a2), liveness: true });
    expect(live.body.probe.liveness.score).toBeGreaterThan(0.6);
    expect(live.body.probe.liveness.band).toBe("approve");
    expect(live.body.candidates[0].person.id).toBe(personA.id);

    const crop = await search({ image: b64(faces.aCrop), faceCrop: true, minSimilarity: -1 });
    expect(crop.status).toBe(200);
    expect(crop.body.candidates[0].person.id).toBe(personA.id);
    expect(crop.body.candidates[0].band).not.toBe("reject");
    expect(crop.body.candidates[1].band).toBe("reject");

    const both = await search({ image: b64(faces.aCrop), faceCrop: true, liveness: true });
    expect(both.status).toBe(400);
    expect(both.body.error.details.field).toBe("liveness");
  });
});

describe("persons", () => {
  it("GET shows the faces with signed URLs that the images route serves and audits", async () => {
    const res = await getPerson(personA.id);
    expect(res.status).toBe(200);
    expect(res.body.faces.map((f: Json) => f.id)).toEqual(personA.faces.map((f: Json) => f.id));
    const face = res.body.faces[0];
    const url = new URL(face.imageUrl);
    const image = await getImage(new Request(face.imageUrl), params({ id: face.id }));
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/jpeg");
    expect(image.headers.get("cache-control")).toBe("private, no-store");
    // Faces enrolled in one request share a millisecond, so their order is not the order sent.
    const served = Buffer.from(await image.arrayBuffer());
    expect(served.equals(faces.a1) || served.equals(faces.a1b)).toBe(true);
    const [event] = await ctx.handle.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "image.viewed"), eq(auditEvents.projectId, ctx.project.id)));
    expect(event.actor).toBe(url.searchParams.get("by"));
    expect(event.after).toEqual({ faceId: face.id, personId: personA.id });

    url.searchParams.set("sig", "x".repeat(43));
    expect((await getImage(new Request(url), params({ id: face.id }))).status).toBe(401);
  });

  it("verifies a photo against one person: the same person approves, another rejects", async () => {
    const same = await json(verifyRoute(request("POST", `/api/v1/persons/${personA.id}/verify`, { image: b64(faces.a2) }), params({ id: personA.id })));
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ personId: personA.id, band: "approve" });
    expect(same.body.similarity).toBeGreaterThanOrEqual(DEFAULT_BANDS.face_match.approve);
    expect(personA.faces.map((f: Json) => f.id)).toContain(same.body.faceId);
    const other = await json(verifyRoute(request("POST", `/api/v1/persons/${personA.id}/verify`, { image: b64(faces.b) }), params({ id: personA.id })));
    expect(other.body.band).toBe("reject");
    expect(other.body.similarity).toBeLessThan(DEFAULT_BANDS.face_match.review);
  });

  it("adds a face, deletes a face, updates and lists persons", async () => {
    const added = await json(postFaces(request("POST", `/api/v1/persons/${personA.id}/faces`, { images: [b64(faces.a2)] }), params({ id: personA.id })));
    expect(added.status).toBe(201);
    expect(added.body.faces).toHaveLength(3);
    const mismatch = await json(postFaces(request("POST", `/api/v1/persons/${personA.id}/faces`, { images: [b64(faces.c)] }), params({ id: personA.id })));
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe("FACES_DO_NOT_MATCH");

    const faceId = added.body.faces[2].id;
    const removed = await deleteFaceRoute(request("DELETE", `/api/v1/persons/${personA.id}/faces/${faceId}`), params({ id: personA.id, faceId }));
    expect(removed.status).toBe(204);
    expect((await getPerson(personA.id)).body.faces).toHaveLength(2);

    const patched = await json(patchPerson(request("PATCH", `/api/v1/persons/${personA.id}`, { name: "Ana B. Example", collections: [staff.id, visitors.id] }), params({ id: personA.id })));
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe("Ana B. Example");
    expect(patched.body.collections.map((c: Json) => c.name)).toEqual(["Staff", "Visitors"]);
    const empty = await json(patchPerson(request("PATCH", `/api/v1/persons/${personA.id}`, {}), params({ id: personA.id })));
    expect(empty.status).toBe(400);

    const page1 = await json(listPersonsRoute(request("GET", "/api/v1/persons?limit=1"), undefined));
    expect(page1.body.data.map((p: Json) => p.id)).toEqual([personB.id]);
    expect(page1.body.nextCursor).toBe(personB.id);
    const page2 = await json(listPersonsRoute(request("GET", `/api/v1/persons?limit=1&before=${page1.body.nextCursor}`), undefined));
    expect(page2.body.data.map((p: Json) => p.id)).toEqual([personA.id]);
    expect(page2.body.nextCursor).toBeNull();
    const inStaff = await json(listPersonsRoute(request("GET", `/api/v1/persons?collection=${staff.code}`), undefined));
    expect(inStaff.body.data.map((p: Json) => p.id)).toEqual([personA.id]);

    const renamed = await json(patchCollection(request("PATCH", `/api/v1/collections/${visitors.code}`, { name: "Guests" }), params({ id: visitors.code })));
    expect(renamed.body).toMatchObject({ id: visitors.id, name: "Guests" });
    expect((await json(getCollectionRoute(request("GET", `/api/v1/collections/${visitors.id}`), params({ id: visitors.id })))).body.name).toBe("Guests");
  });

  it("refuses a duplicate person, and two different people in one enrollment, writing nothing", async () => {
    const before = { persons: await count("persons"), faces: await count("person_faces"), files: storedFiles() };
    const duplicate = await createPerson({ name: "Ana Again", images: [b64(faces.a2)], livenessMin: 0.5, duplicateCheck: { minSimilarity: 0.5 } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe("DUPLICATE_PERSON");
    expect(duplicate.body.error.details.personId).toBe(personA.id);
    const scoped = await createPerson({ name: "Ana Again", images: [b64(faces.a2)], duplicateCheck: { minSimilarity: 0.5, collections: ["col_nope"] } });
    expect(scoped.status).toBe(404);
    const mixed = await createPerson({ name: "Two People", images: [b64(faces.b), b64(faces.a2)] });
    expect(mixed.status).toBe(422);
    expect(mixed.body.error.code).toBe("FACES_DO_NOT_MATCH");
    expect(mixed.body.error.details.image).toBe("images[1]");
    expect({ persons: await count("persons"), faces: await count("person_faces"), files: storedFiles() }).toEqual(before);
  });

  it("answers bad images and bodies with their codes and writes nothing", async () => {
    const before = { persons: await count("persons"), faces: await count("person_faces"), files: storedFiles() };
    const cases: Array<[Json, number, string]> = [
      [{ name: "X", images: [b64(bad.gif)] }, 415, "UNSUPPORTED_FORMAT"],
      [{ name: "X", images: [b64(faces.a1), b64(bad.faceless)] }, 422, "NO_FACE_FOUND"],
      [{ name: "X", images: [b64(bad.tiny)] }, 422, "IMAGE_TOO_SMALL"],
      [{ name: "X", images: [b64(bad.group)] }, 422, "MULTIPLE_FACES"],
      [{ name: "X", images: ["@@@not-base64@@@"] }, 400, "INVALID_IMAGE"],
      [{ name: "X", images: [] }, 400, "INVALID_REQUEST"],
      [{ name: "X", images: Array(6).fill(b64(faces.c)) }, 400, "INVALID_REQUEST"],
      [{ images: [b64(faces.c)] }, 400, "INVALID_REQUEST"],
      [{ name: "X", images: [b64(faces.c)], metadata: { shoeSize: 42 } }, 400, "INVALID_REQUEST"],
      [{ name: "X", images: [b64(faces.c)], collections: ["col_nope"] }, 404, "NOT_FOUND"],
    ];
    for (const [body, status, code] of cases) {
      const res = await createPerson(body);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
    }
    const images = await search({ image: b64(bad.faceless) });
    expect(images.body.error.code).toBe("NO_FACE_FOUND");
    expect((await search({ image: b64(faces.a2), limit: 101 })).status).toBe(400);
    expect((await search({ image: b64(faces.a2), mode: "SLOW" })).status).toBe(400);
    expect({ persons: await count("persons"), faces: await count("person_faces"), files: storedFiles() }).toEqual(before);
  });

  it("checks the key: 401 without a valid one, 403 without the search scope, 404 for another project's person", async () => {
    expect((await getPerson(personA.id, "vgl_unknown")).status).toBe(401);
    expect((await search({ image: b64(faces.a2) }, bad.revokedSecret)).status).toBe(401);
    const { secret: verifyOnly } = await createApiKey(ctx.handle.db, { projectId: ctx.project.id, name: "verify only", scopes: ["verify"] });
    for (const res of [await getPerson(personA.id, verifyOnly), await search({ image: b64(faces.a2) }, verifyOnly), await createPerson({ name: "X", images: [b64(faces.c)] }, verifyOnly)]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("FORBIDDEN");
    }
    const foreign = await getPerson(personA.id, ctx.otherSecret);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("NOT_FOUND");
    const foreignDelete = await deletePersonRoute(request("DELETE", `/api/v1/persons/${personA.id}`, undefined, ctx.otherSecret), params({ id: personA.id }));
    expect(foreignDelete.status).toBe(404);
    const foreignSearch = await search({ image: b64(faces.a2) }, ctx.otherSecret);
    expect(foreignSearch.body.candidates).toEqual([]);
    expect((await json(getCollectionRoute(request("GET", `/api/v1/collections/${staff.id}`, undefined, ctx.otherSecret), params({ id: staff.id })))).status).toBe(404);
  });

  it("deletes a person: gone from search, image URL 404, files removed from the store", async () => {
    const shown = (await getPerson(personA.id)).body;
    const files = storedFiles();
    for (const face of shown.faces) expect(files).toContain(`images/${ctx.project.id}/gallery/${face.id}.enc`);
    const res = await deletePersonRoute(request("DELETE", `/api/v1/persons/${personA.id}`), params({ id: personA.id }));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect((await getPerson(personA.id)).status).toBe(404);
    expect((await search({ image: b64(faces.a2), minSimilarity: -1 })).body.candidates.map((c: Json) => c.person.id)).toEqual([personB.id]);
    expect((await search({ image: b64(faces.a2), mode: "ACCURATE", minSimilarity: -1 })).body.candidates.map((c: Json) => c.person.id)).toEqual([personB.id]);
    for (const face of shown.faces) {
      const image = await json(getImage(new Request(face.imageUrl), params({ id: face.id })));
      expect(image.status).toBe(404);
      expect(storedFiles()).not.toContain(`images/${ctx.project.id}/gallery/${face.id}.enc`);
    }
    expect(await count("person_faces")).toBe(1);
  });

  it("deletes a collection and keeps its persons", async () => {
    const res = await deleteCollectionRoute(request("DELETE", `/api/v1/collections/${visitors.id}`), params({ id: visitors.id }));
    expect(res.status).toBe(204);
    expect((await getPerson(personB.id)).body.collections).toEqual([]);
  });

  it("gives a probe whose liveness falls in the reject band no candidates", async () => {
    // A policy that rejects every liveness score below 1: the probe is treated as a spoof.
    const strict = { ...DEFAULT_BANDS, selfie_liveness: { approve: 1, review: 1 } };
    await ctx.handle.db.insert(thresholdPolicies).values({ id: newId("pol"), projectId: ctx.project.id, version: 2, bands: strict, reason: "test", author: "test" });
    const res = await search({ image: b64(faces.b), liveness: true, minSimilarity: -1 });
    expect(res.status).toBe(200);
    expect(res.body.probe.liveness.band).toBe("reject");
    expect(res.body.candidates).toEqual([]);
    expect(res.body.timingsMs.search).toBe(0);
    const without = await search({ image: b64(faces.b), minSimilarity: -1 });
    expect(without.body.candidates.map((c: Json) => c.person.id)).toEqual([personB.id]);
  });
});
