import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as sfxVerify } from "@/app/sfx-verify/v3/id-service/route";
import { POST as kairosVerify } from "@/app/v0.1/biometric-verification/route";
import { POST as verifikCompare } from "@/app/v2/face-recognition/compare-with-liveness/route";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import { getStorageKey } from "@/lib/storage/keys";
import { urlSigningKey, verifyImageGrant } from "@/lib/storage/signed-urls";
import type { ApiTestContext } from "@/lib/testing/api";
import { apiClient, refusalOf, setupApiTest } from "@/lib/testing/api";
import type { VerificationRecord } from "@/lib/verification/service";
import { getVerification } from "@/lib/verification/service";
import { PASSIVE_LIVENESS } from "./sfx";

let ctx: ApiTestContext;
/**
 * Crops of one face each: a1/a2 the same person (similarity ~0.70, approve), b1/b2 two
 * different people (~0.39, reject), r1/r2 two people who look alike (~0.44, review);
 * spoof a face the liveness model scores low (~0.22).
 */
const face: Record<"a1" | "a2" | "b1" | "b2" | "r1" | "r2" | "spoof", Buffer> = {} as never;

async function faceCrop(sample: string, index: number): Promise<Buffer> {
  const photo = samplePhoto(sample);
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  return cropAround(photo, faces[index].box, 0.8);
}

const b64 = (b: Buffer) => b.toString("base64");

/** A native verification through the typed client (answers checked against the OpenAPI schemas). */
async function native(selfie: Buffer, reference: Buffer): Promise<string> {
  const { verification, replayed } = await apiClient(ctx.secret).createVerification({ selfie: b64(selfie), reference: b64(reference) });
  expect(replayed).toBe(false);
  return verification.id;
}

/** The report through the typed client: 200 with a body that matches the FaceReport schema. */
async function report(id: string, secret: string | null = ctx.secret) {
  return { status: 200, body: await apiClient(secret).getFaceReport(id) };
}

/** Checks that `url` is a signed, unexpired link to `imageId`, made for the caller's key. */
function expectSignedUrl(url: string | null, imageId: string) {
  const parsed = new URL(url!);
  expect(parsed.origin).toBe("http://vigil.test");
  expect(parsed.pathname).toBe(`/api/v1/images/${imageId}`);
  const check = verifyImageGrant(urlSigningKey(getStorageKey()), imageId, parsed.searchParams);
  expect(check.ok).toBe(true);
  expect(check.ok && check.grant.actor).toMatch(/^key:key_/);
}

const imageOf = (record: VerificationRecord, role: string, position = 0) => record.images.find((i) => i.role === role && i.position === position)!;

beforeAll(async () => {
  ctx = await setupApiTest();
  [face.a1, face.a2, face.b1, face.b2, face.r1, face.r2, face.spoof] = await Promise.all([
    faceCrop("sample1.jpg", 2),
    faceCrop("sample3.jpg", 1),
    faceCrop("sample5.jpg", 0),
    faceCrop("sample5.jpg", 2),
    faceCrop("sample1.jpg", 1),
    faceCrop("sample4.jpg", 0),
    faceCrop("sample6.jpg", 1),
  ]);
});

afterAll(async () => ctx?.close());

describe("GET /api/v1/verifications/:id/face-report", () => {
  it("reports an approved match in the documented shape with signed image URLs", async () => {
    const id = await native(face.a1, face.a2);
    const record = (await getVerification(ctx.handle.db, ctx.project.id, id))!;
    const { status, body } = await report(id);
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(["face"]);
    expect(Object.keys(body.face)).toEqual(["status", "face_match_status", "liveness_status", "face_match_similarity", "liveness_confidence", "source_image", "target_image", "video_url"]);
    expect(body.face).toMatchObject({ status: "Approved", face_match_status: "Approved", liveness_status: "Approved", video_url: null });
    const match = record.checks.find((c) => c.check === "face_match")!;
    const liveness = record.checks.find((c) => c.check === "selfie_liveness")!;
    expect(body.face.face_match_similarity).toBeCloseTo(match.score! * 100, 2);
    expect(body.face.face_match_similarity).toBeGreaterThan(55);
    expect(body.face.liveness_confidence).toBeCloseTo(liveness.score! * 100, 2);
    expect(body.face.liveness_confidence).toBeLessThanOrEqual(100);
    expectSignedUrl(body.face.source_image, imageOf(record, "reference").id);
    expectSignedUrl(body.face.target_image, imageOf(record, "selfie").id);
  });

  it("maps a rejected match and a match in review", async () => {
    const rejected = await report(await native(face.b1, face.b2));
    expect(rejected.body.face).toMatchObject({ status: "Rejected", face_match_status: "Rejected", liveness_status: "Approved" });
    expect(rejected.body.face.face_match_similarity).toBeLessThan(47);
    const review = await report(await native(face.r1, face.r2));
    expect(review.body.face).toMatchObject({ status: "In Review", face_match_status: "In Review", liveness_status: "Approved" });
    expect(review.body.face.face_match_similarity).toBeGreaterThanOrEqual(40);
    expect(review.body.face.face_match_similarity).toBeLessThan(55);
  });

  it("reports skipped liveness of a Verifik record as Not Finished, with the best gallery image as the source", async () => {
    const res = await verifikCompare(
      new Request("http://vigil.test/v2/face-recognition/compare-with-liveness", {
        method: "POST",
        headers: { authorization: `Bearer ${ctx.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ search_mode: "FAST", probe: b64(face.a1), gallery: [b64(face.b2), b64(face.a2)], compare_min_score: 0.95 }),
      }),
    );
    const id = (await res.json()).id;
    const record = (await getVerification(ctx.handle.db, ctx.project.id, id))!;
    const { body } = await report(id);
    expect(body.face).toMatchObject({ status: "Not Finished", face_match_status: "Approved", liveness_status: "Not Finished", liveness_confidence: null });
    expectSignedUrl(body.face.source_image, imageOf(record, "gallery", 1).id);
    expectSignedUrl(body.face.target_image, imageOf(record, "selfie").id);
  });

  it("reports a liveness-only sfx record: face match Not Finished, no source image", async () => {
    const res = await sfxVerify(
      new Request("http://vigil.test/sfx-verify/v3/id-service", {
        method: "POST",
        headers: { userid: "acme", apikey: ctx.secret, "content-type": "application/json" },
        body: JSON.stringify({ verificationType: PASSIVE_LIVENESS, selfie: b64(face.spoof) }),
      }),
    );
    const { body } = await report(res.headers.get("x-verification-id")!);
    expect(body.face).toMatchObject({ status: "Rejected", face_match_status: "Not Finished", liveness_status: "Rejected", face_match_similarity: null, source_image: null });
    expect(body.face.liveness_confidence).toBeLessThan(40);
    expect(body.face.target_image).toMatch(/^http:\/\/vigil\.test\/api\/v1\/images\/img_/);
  });

  it("reports a Kairos record", async () => {
    const form = new FormData();
    form.append("selfie", new Blob([new Uint8Array(face.a1)]), "selfie.jpg");
    form.append("image", new Blob([new Uint8Array(face.a2)]), "image.jpg");
    const res = await kairosVerify(new Request("http://vigil.test/v0.1/biometric-verification", { method: "POST", headers: { app_id: "acme", app_key: ctx.secret }, body: form }));
    const id = res.headers.get("x-verification-id")!;
    const record = (await getVerification(ctx.handle.db, ctx.project.id, id))!;
    const { body } = await report(id);
    expect(body.face).toMatchObject({ status: "Approved", face_match_status: "Approved", liveness_status: "Approved" });
    expectSignedUrl(body.face.source_image, imageOf(record, "reference").id);
  });

  it("answers 404 for an unknown id or another project's record, and 401 without a key", async () => {
    const id = await native(face.a1, face.a2);
    expect(await refusalOf(report("ver_00000000000000000000000000"))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(await refusalOf(report(id, ctx.otherSecret))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(await refusalOf(report(id, null))).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  });
});
