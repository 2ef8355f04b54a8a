import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELETE as deleteCollectionRouteRaw, GET as getCollectionRouteRaw, PUT as putCollectionRaw } from "@/app/v2/face-recognition/collections/[id]/route";
import { GET as listCollectionsRouteRaw, POST as postCollectionRaw } from "@/app/v2/face-recognition/collections/route";
import { DELETE as deletePersonRouteRaw, GET as getPersonRouteRaw, PUT as putPersonRaw } from "@/app/v2/face-recognition/persons/[id]/route";
import { GET as listPersonsRouteRaw, POST as postPersonRaw } from "@/app/v2/face-recognition/persons/route";
import { POST as createWithLivenessRouteRaw } from "@/app/v2/face-recognition/persons/search-live-face/route";
import { POST as searchCropsRouteRaw } from "@/app/v2/face-recognition/search/crops/route";
import { POST as searchRouteRaw } from "@/app/v2/face-recognition/search/route";
import { POST as liveSearchRouteRaw } from "@/app/v2/face-recognition/search-live-face/route";
import { POST as verifyRouteRaw } from "@/app/v2/face-recognition/verify/route";
import { GET as getImageRaw } from "@/app/api/v1/images/[id]/route";
import { createApiKey } from "@/lib/auth/api-keys";
import type { GalleryFaces } from "@/lib/search/testing/gallery";
import { galleryFaces } from "@/lib/search/testing/gallery";
import type { ApiTestContext } from "@/lib/testing/api";
import { apiRequest, params, readJson, setupApiTest } from "@/lib/testing/api";
import { described } from "@/lib/testing/contract";

// The routes, each answer checked against the OpenAPI registry (lib/testing/contract.ts).
const deleteCollectionRoute = described(deleteCollectionRouteRaw);
const getCollectionRoute = described(getCollectionRouteRaw);
const putCollection = described(putCollectionRaw);
const listCollectionsRoute = described(listCollectionsRouteRaw);
const postCollection = described(postCollectionRaw);
const deletePersonRoute = described(deletePersonRouteRaw);
const getPersonRoute = described(getPersonRouteRaw);
const putPerson = described(putPersonRaw);
const listPersonsRoute = described(listPersonsRouteRaw);
const postPerson = described(postPersonRaw);
const createWithLivenessRoute = described(createWithLivenessRouteRaw);
const searchCropsRoute = described(searchCropsRouteRaw);
const searchRoute = described(searchRouteRaw);
const liveSearchRoute = described(liveSearchRouteRaw);
const verifyRoute = described(verifyRouteRaw);
const getImage = described(getImageRaw);

let ctx: ApiTestContext;
let faces: GalleryFaces;
const b64 = (image: Buffer) => image.toString("base64");

// Response bodies as the tests read them.
type Json = Record<string, any>;

const request = (method: string, path: string, body?: unknown, secret: string | null = ctx.secret) => apiRequest(method, path, body, secret);

const json = readJson;

const post = (route: (r: Request) => Promise<Response>, path: string, body: unknown, secret?: string | null) => json(route(request("POST", path, body, secret)));
const search = (body: Json) => post(searchRoute, "/v2/face-recognition/search", body);

async function count(table: "persons" | "person_faces"): Promise<number> {
  const result = (await ctx.handle.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: Array<{ n: number }> };
  return result.rows[0].n;
}

const COLLECTION_KEYS = ["_id", "code", "name", "description", "project", "client", "deleted", "createdAt", "updatedAt", "__v"];
const PERSON_KEYS = ["_id", "name", "gender", "date_of_birth", "nationality", "notes", "collections", "thumbnails", "client", "createdAt", "updatedAt", "__v"];
const MATCH_KEYS = ["id", "name", "notes", "score", "gender", "thumbnails", "collections", "create_date", "nationality", "date_of_birth", "modified_date"];

/** Verifik's error body for a missing parameter. */
const missingParameter = (field: string) => ({ status: 409, body: { code: "MissingParameter", message: `missing ${field}\n` } });

function expectSignature(body: Json) {
  expect(body.signature).toEqual({ dateTime: expect.any(String), message: "Certified by Vigil" });
  expect(body.signature.dateTime).toMatch(/^[A-Z][a-z]+ \d{1,2}, \d{4} \d{1,2}:\d{2} (AM|PM)$/);
  expect(typeof body.id).toBe("string");
}

let collection: Json;
let other: Json;
let ana: Json;
let bruno: Json;

beforeAll(async () => {
  ctx = await setupApiTest();
  faces = await galleryFaces();
});

afterAll(async () => ctx?.close());

describe("Verifik collections", () => {
  it("creates, lists, reads, updates and deletes collections in Verifik's shape", async () => {
    const created = await post(postCollection, "/v2/face-recognition/collections", { name: "Employees", description: "Office staff" });
    expect(created.status).toBe(200);
    collection = created.body.data;
    expect(Object.keys(created.body)).toEqual(["data"]);
    expect(Object.keys(collection)).toEqual(COLLECTION_KEYS);
    expect(collection).toMatchObject({ name: "Employees", description: "Office staff", project: ctx.project.id, client: ctx.project.id, deleted: false, __v: 0 });
    expect(collection.code).toMatch(/^[0-9a-f-]{36}$/);
    other = (await post(postCollection, "/v2/face-recognition/collections", { name: "Scratch" })).body.data;

    const listed = await json(listCollectionsRoute(request("GET", "/v2/face-recognition/collections")));
    expect(listed.body.data.map((c: Json) => c.code)).toEqual([collection.code, other.code]);
    for (const key of [collection.code, collection._id]) {
      const one = await json(getCollectionRoute(request("GET", `/v2/face-recognition/collections/${key}`), params({ id: key })));
      expect(one.body.data).toEqual(collection);
    }
    const renamed = await json(putCollection(request("PUT", `/v2/face-recognition/collections/${other.code}`, { name: "Scratch 2" }), params({ id: other.code })));
    expect(renamed.body.data).toMatchObject({ _id: other._id, name: "Scratch 2" });
    const deleted = await json(deleteCollectionRoute(request("DELETE", `/v2/face-recognition/collections/${other.code}`), params({ id: other.code })));
    expect(deleted.body.data).toMatchObject({ _id: other._id, deleted: true });
    const gone = await json(getCollectionRoute(request("GET", `/v2/face-recognition/collections/${other.code}`), params({ id: other.code })));
    expect(gone).toMatchObject({ status: 404, body: { code: "ResourceNotFound" } });
  });

  it("answers MissingParameter without a name", async () => {
    expect(await post(postCollection, "/v2/face-recognition/collections", { description: "x" })).toEqual(missingParameter("name"));
  });
});

describe("Verifik persons", () => {
  it("enrolls a person and shows signed thumbnail URLs instead of base64", async () => {
    const created = await post(postPerson, "/v2/face-recognition/persons", {
      name: "Ana Example",
      images: [b64(faces.a1), b64(faces.a1b)],
      gender: "F",
      date_of_birth: "1990-01-15",
      nationality: "Colombian",
      notes: "VIP",
      collections: [collection.code],
    });
    expect(created.status).toBe(200);
    ana = created.body.data;
    expect(Object.keys(ana)).toEqual(PERSON_KEYS);
    expect(ana).toMatchObject({ name: "Ana Example", gender: "F", date_of_birth: "1990-01-15", nationality: "Colombian", notes: "VIP", collections: [collection.code], client: ctx.project.id, __v: 0 });
    expect(ana.thumbnails).toHaveLength(2);
    const [thumb] = ana.thumbnails;
    expect(thumb.thumbnail).toMatch(new RegExp(`^http://vigil\\.test/api/v1/images/${thumb.id}\\?exp=\\d+&by=key%3Akey_`));
    const image = await getImage(new Request(thumb.thumbnail), params({ id: thumb.id }));
    expect(image.status).toBe(200);
    // Faces enrolled in one request share a millisecond, so their order is not the order sent.
    const served = Buffer.from(await image.arrayBuffer());
    expect(served.equals(faces.a1) || served.equals(faces.a1b)).toBe(true);
  });

  it("lists with pages, reads, updates and answers MissingParameter", async () => {
    bruno = (await post(postPerson, "/v2/face-recognition/persons", { name: "Bruno Example", images: [b64(faces.b)] })).body.data;
    const page = await json(listPersonsRoute(request("GET", "/v2/face-recognition/persons?page=2&limit=1")));
    expect(page.body.data.map((p: Json) => p._id)).toEqual([ana._id]);
    expect(page.body.pagination).toEqual({ page: 2, limit: 1, total: 2, pages: 2 });
    const inCollection = await json(listPersonsRoute(request("GET", `/v2/face-recognition/persons?collection=${collection.code}`)));
    expect(inCollection.body.data.map((p: Json) => p._id)).toEqual([ana._id]);

    const one = await json(getPersonRoute(request("GET", `/v2/face-recognition/persons/${ana._id}`), params({ id: ana._id })));
    expect(one.body.data).toMatchObject({ _id: ana._id, name: "Ana Example", collections: [collection.code] });
    const updated = await json(putPerson(request("PUT", `/v2/face-recognition/persons/${ana._id}`, { notes: "Moved to HQ" }), params({ id: ana._id })));
    expect(updated.body.data).toMatchObject({ name: "Ana Example", gender: "F", notes: "Moved to HQ", collections: [collection.code] });

    expect(await post(postPerson, "/v2/face-recognition/persons", { images: [b64(faces.c)] })).toEqual(missingParameter("name"));
    expect(await post(postPerson, "/v2/face-recognition/persons", { name: "X" })).toEqual(missingParameter("images"));
    expect(await post(postPerson, "/v2/face-recognition/persons", { name: "X", images: [] })).toEqual(missingParameter("images"));
  });

  it("creates a person with liveness, refusing a face already in the collection", async () => {
    const body = { name: "Carla Example", collection_id: collection.code, images: [b64(faces.c)], gender: "F", search_mode: "FAST" };
    const created = await post(createWithLivenessRoute, "/v2/face-recognition/persons/search-live-face", body);
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(["id", "data", "signature"]);
    expectSignature(created.body);
    expect(Object.keys(created.body.data)).toEqual(PERSON_KEYS);
    expect(created.body.data).toMatchObject({ name: "Carla Example", gender: "F", collections: [collection.code] });

    const before = { persons: await count("persons"), faces: await count("person_faces") };
    const duplicate = await post(createWithLivenessRoute, "/v2/face-recognition/persons/search-live-face", { ...body, name: "Ana Again", images: [b64(faces.a2)], min_score: 0.8 });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe("DuplicatePerson");
    const mixed = await post(createWithLivenessRoute, "/v2/face-recognition/persons/search-live-face", { ...body, name: "Two People", images: [b64(faces.b), b64(faces.a2)] });
    expect(mixed).toMatchObject({ status: 422, body: { code: "FacesDoNotMatch" } });
    const spoofLike = await post(createWithLivenessRoute, "/v2/face-recognition/persons/search-live-face", { ...body, name: "Strict", images: [b64(faces.b)], liveness_min_score: 1 });
    expect(spoofLike).toMatchObject({ status: 422, body: { code: "LivenessFailed" } });
    expect(await post(createWithLivenessRoute, "/v2/face-recognition/persons/search-live-face", { ...body, collection_id: undefined })).toEqual(missingParameter("collection_id"));
    expect(await post(createWithLivenessRoute, "/v2/face-recognition/persons/search-live-face", { ...body, images: Array(4).fill(b64(faces.c)) })).toMatchObject({ status: 409, body: { code: "InvalidArgument" } });
    expect({ persons: await count("persons"), faces: await count("person_faces") }).toEqual(before);
  });
});

describe("Verifik search", () => {
  it("finds the person in Verifik's shape, scores on Verifik's scale", async () => {
    const res = await search({ images: [b64(faces.a2)], min_score: 0.67, search_mode: "FAST", collection_id: collection.code });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["id", "data", "signature"]);
    expectSignature(res.body);
    expect(res.body.data.map((p: Json) => p.id)).toEqual([ana._id]);
    const [match] = res.body.data;
    expect(Object.keys(match)).toEqual(MATCH_KEYS);
    expect(match).toMatchObject({ name: "Ana Example", notes: "Moved to HQ", gender: "F", collections: [collection.code], nationality: "Colombian", date_of_birth: "1990-01-15" });
    // Cosine ~0.70 is in the approve band, which starts at 0.85 on Verifik's scale.
    expect(match.score).toBeGreaterThan(0.85);
    expect(match.score).toBeLessThanOrEqual(1);
    expect(match.thumbnails[0].thumbnail).toMatch(/^http:\/\/vigil\.test\/api\/v1\/images\/face_/);

    const everyone = await search({ images: [b64(faces.a2)], min_score: 0.2, search_mode: "ACCURATE", max_results: 10 });
    expect(everyone.body.data[0].id).toBe(ana._id);
    expect(everyone.body.data.slice(1).every((p: Json) => p.score < 0.67)).toBe(true);
    const two = await search({ images: [b64(faces.a2), b64(faces.a1b)], min_score: 0.67, search_mode: "FAST" });
    expect(two.body.data.map((p: Json) => p.id)).toEqual([ana._id]);
    expect(two.body.data[0].score).toBeGreaterThan(match.score);
  });

  it("refuses images of two people and checks its parameters", async () => {
    expect(await search({ images: [b64(faces.a2), b64(faces.b)], min_score: 0.67, search_mode: "FAST" })).toMatchObject({ status: 422, body: { code: "FacesDoNotMatch" } });
    expect(await search({ min_score: 0.67, search_mode: "FAST" })).toEqual(missingParameter("images"));
    expect(await search({ images: [b64(faces.a2)], search_mode: "FAST" })).toEqual(missingParameter("min_score"));
    expect(await search({ images: [b64(faces.a2)], min_score: 0.67 })).toEqual(missingParameter("search_mode"));
    expect(await search({ images: [b64(faces.a2)], min_score: 0.1, search_mode: "FAST" })).toMatchObject({ status: 409, body: { code: "InvalidArgument" } });
    expect(await search({ images: [b64(faces.a2)], min_score: 0.67, search_mode: "FAST", collection_id: "nope" })).toMatchObject({ status: 404, body: { code: "ResourceNotFound" } });
  });

  it("searches tight face crops", async () => {
    const res = await post(searchCropsRoute, "/v2/face-recognition/search/crops", { images: [b64(faces.aCrop)], min_score: 0.67, search_mode: "ACCURATE" });
    expect(res.status).toBe(200);
    expect(res.body.data.map((p: Json) => p.id)).toEqual([ana._id]);
    expect(await post(searchCropsRoute, "/v2/face-recognition/search/crops", { images: [b64(faces.aCrop)], min_score: 0.3, search_mode: "FAST" })).toMatchObject({ status: 409, body: { code: "InvalidArgument" } });
    expect(await post(searchCropsRoute, "/v2/face-recognition/search/crops", { images: [b64(faces.aCrop)], search_mode: "FAST" })).toEqual(missingParameter("min_score"));
  });

  it("runs liveness before searching, and a probe that fails it gets no persons", async () => {
    const body = { image: b64(faces.a2), os: "ANDROID", liveness_min_score: 0.6, min_score: 0.67, search_mode: "FAST" };
    const res = await post(liveSearchRoute, "/v2/face-recognition/search-live-face", body);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["id", "data", "signature"]);
    expectSignature(res.body);
    expect(Object.keys(res.body.data)).toEqual(["persons", "liveness"]);
    expect(res.body.data.persons.map((p: Json) => p.id)).toEqual([ana._id]);
    expect(Object.keys(res.body.data.persons[0])).toEqual(MATCH_KEYS);
    expect(res.body.data.liveness).toEqual({ liveness_score: expect.any(Number), min_score: 0.6, passed: true });
    expect(res.body.data.liveness.liveness_score).toBeGreaterThan(0.6);

    const failed = await post(liveSearchRoute, "/v2/face-recognition/search-live-face", { ...body, liveness_min_score: 1 });
    expect(failed.body.data.persons).toEqual([]);
    expect(failed.body.data.liveness).toMatchObject({ min_score: 1, passed: false });

    for (const field of ["image", "os", "liveness_min_score", "min_score", "search_mode"]) {
      expect(await post(liveSearchRoute, "/v2/face-recognition/search-live-face", { ...body, [field]: undefined })).toEqual(missingParameter(field));
    }
    expect(await post(liveSearchRoute, "/v2/face-recognition/search-live-face", { ...body, os: "WINDOWS" })).toMatchObject({ status: 409, body: { code: "InvalidArgument" } });
  });
});

describe("Verifik verify", () => {
  it("matches the enrolled person, not another, in Verifik's shape", async () => {
    const body = { id: ana._id, images: [b64(faces.a2)], min_score: 0.8, search_mode: "FAST" };
    const res = await post(verifyRoute, "/v2/face-recognition/verify", body);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["id", "data", "signature"]);
    expectSignature(res.body);
    expect(Object.keys(res.body.data.match)).toEqual(MATCH_KEYS);
    expect(res.body.data.match).toMatchObject({ id: ana._id, name: "Ana Example" });
    expect(res.body.data.score).toBe(res.body.data.match.score);
    expect(res.body.data.score).toBeGreaterThan(0.85);

    const stranger = await post(verifyRoute, "/v2/face-recognition/verify", { ...body, images: [b64(faces.b)] });
    expect(stranger.body.data.match).toBeNull();
    expect(stranger.body.data.score).toBeLessThan(0.67);
    const inCollection = await post(verifyRoute, "/v2/face-recognition/verify", { ...body, collection_id: collection.code });
    expect(inCollection.body.data.match.id).toBe(ana._id);
    const outside = await post(verifyRoute, "/v2/face-recognition/verify", { ...body, id: bruno._id, collection_id: collection.code });
    expect(outside).toMatchObject({ status: 404, body: { code: "ResourceNotFound" } });
    expect(await post(verifyRoute, "/v2/face-recognition/verify", { ...body, id: "per_unknown" })).toMatchObject({ status: 404, body: { code: "ResourceNotFound" } });
    expect(await post(verifyRoute, "/v2/face-recognition/verify", { ...body, id: undefined })).toEqual(missingParameter("id"));
    expect(await post(verifyRoute, "/v2/face-recognition/verify", { ...body, min_score: 0.4 })).toMatchObject({ status: 409, body: { code: "InvalidArgument" } });
  });
});

describe("Verifik auth and deletion", () => {
  it("answers 401 without a valid key, 403 without the search scope, 404 for another project's person", async () => {
    const body = { images: [b64(faces.a2)], min_score: 0.67, search_mode: "FAST" };
    expect(await post(searchRoute, "/v2/face-recognition/search", body, null)).toMatchObject({ status: 401, body: { code: "InvalidCredentials" } });
    expect(await post(searchRoute, "/v2/face-recognition/search", body, "vgl_unknown")).toMatchObject({ status: 401, body: { code: "InvalidCredentials" } });
    const { secret: verifyOnly } = await createApiKey(ctx.handle.db, { projectId: ctx.project.id, name: "verify only", scopes: ["verify"] });
    expect(await post(searchRoute, "/v2/face-recognition/search", body, verifyOnly)).toMatchObject({ status: 403, body: { code: "NotAuthorized" } });
    expect(await json(listCollectionsRoute(request("GET", "/v2/face-recognition/collections", undefined, verifyOnly)))).toMatchObject({ status: 403 });
    const foreign = await json(getPersonRoute(request("GET", `/v2/face-recognition/persons/${ana._id}`, undefined, ctx.otherSecret), params({ id: ana._id })));
    expect(foreign).toMatchObject({ status: 404, body: { code: "ResourceNotFound" } });
    expect((await post(searchRoute, "/v2/face-recognition/search", body, ctx.otherSecret)).body.data).toEqual([]);
  });

  it("deletes a person: no longer found, thumbnails no longer served", async () => {
    const deleted = await json(deletePersonRoute(request("DELETE", `/v2/face-recognition/persons/${ana._id}`), params({ id: ana._id })));
    expect(deleted.status).toBe(200);
    expect(deleted.body.data).toMatchObject({ _id: ana._id, deleted: true, thumbnails: [] });
    const res = await search({ images: [b64(faces.a2)], min_score: 0.67, search_mode: "ACCURATE" });
    expect(res.body.data).toEqual([]);
    const thumb = ana.thumbnails[0];
    expect((await getImage(new Request(thumb.thumbnail), params({ id: thumb.id }))).status).toBe(404);
  });
});
