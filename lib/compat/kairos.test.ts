import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { described } from "@/lib/testing/contract";
import { POST as route } from "@/app/v0.1/biometric-verification/route";
import { thresholdPolicies } from "@/db/schema";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
import { resetEnv } from "@/lib/env";
import { newId } from "@/lib/ids";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import type { ApiTestContext } from "@/lib/testing/api";
import { checkIdempotency, countRecords, setupApiTest, makeBadInputs } from "@/lib/testing/api";
import { DEFAULT_BANDS } from "@/lib/verification/policy";
import { getVerification } from "@/lib/verification/service";

/** The route, its every answer checked against the OpenAPI registry (lib/testing/contract.ts). */
const POST = described(route);

let ctx: ApiTestContext;
/**
 * Crops of one face each: a1/a2 the same person in two photos (similarity ~0.70), b1/b2 two
 * different people (~0.39); spoof a face the liveness model scores low (~0.31).
 */
const face: Record<"a1" | "a2" | "b1" | "b2" | "spoof", Buffer> = {} as never;

async function faceCrop(sample: string, index: number): Promise<Buffer> {
  const photo = samplePhoto(sample);
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  return cropAround(photo, faces[index].box, 0.8);
}

type Part = Buffer | string | Array<Buffer>;

function post(parts: Record<string, Part>, headers: Record<string, string | null> = {}) {
  const form = new FormData();
  for (const [name, part] of Object.entries(parts)) {
    if (typeof part === "string") form.append(name, part);
    else for (const file of Array.isArray(part) ? part : [part]) form.append(name, new Blob([new Uint8Array(file)], { type: "image/jpeg" }), `${name}.jpg`);
  }
  const all: Record<string, string | null> = { app_id: "acme", app_key: ctx.secret, ...headers };
  return POST(
    new Request("http://vigil.test/v0.1/biometric-verification", {
      method: "POST",
      headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null)),
      body: form,
    }),
  );
}

const dateTime = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

beforeAll(async () => {
  ctx = await setupApiTest();
  [face.a1, face.a2, face.b1, face.b2, face.spoof] = await Promise.all([
    faceCrop("sample1.jpg", 2),
    faceCrop("sample3.jpg", 1),
    faceCrop("sample5.jpg", 0),
    faceCrop("sample5.jpg", 2),
    faceCrop("sample2.jpg", 0),
  ]);
});

afterAll(async () => ctx?.close());

describe("POST /v0.1/biometric-verification", () => {
  it("answers the documented shape for a match and stores a kairos record", async () => {
    const res = await post({ selfie: face.a1, image: face.a2 }, { "x-request-id": "req-kairos-1" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["api_req_uid", "processed_at", "requested_at", "response_code", "response_data"]);
    expect(body.api_req_uid).toBe("req-kairos-1");
    expect(body.processed_at).toMatch(dateTime);
    expect(body.requested_at).toMatch(dateTime);
    expect(body.response_code).toBe(1);
    const { biometric, decision } = body.response_data;
    expect(Object.keys(biometric)).toEqual(["face_match_confidence", "image", "selfie"]);
    expect(biometric.face_match_confidence).toBeGreaterThanOrEqual(0.55);
    expect(Object.keys(biometric.selfie)).toEqual(["faces_liveness", "faces_predicted", "img"]);
    expect(biometric.selfie.faces_liveness).toBeGreaterThan(0.9);
    for (const [side, bytes] of [["image", face.a2], ["selfie", face.a1]] as const) {
      const meta = await sharp(bytes).metadata();
      const { faces_predicted: faces, img } = biometric[side];
      expect(img).toEqual({ height: meta.height, width: meta.width });
      expect(faces.length).toBeGreaterThanOrEqual(1);
      expect(Object.keys(faces[0])).toEqual(["confidence", "delta", "top_left"]);
      expect(faces[0].confidence).toBeGreaterThan(0.9);
      // The crop's margin is 0.8 of the face on each side, so the face is about 1/2.6 of it.
      expect(faces[0].delta.x).toBeGreaterThan(img.width / 4);
      expect(faces[0].delta.x).toBeLessThan(img.width / 1.5);
      expect(faces[0].top_left.x + faces[0].delta.x).toBeLessThanOrEqual(img.width + 1);
      expect(faces[0].top_left.y + faces[0].delta.y).toBeLessThanOrEqual(img.height + 1);
    }
    expect(decision).toEqual({ details: [], reject_score: 0, review_score: 0, warning_score: 0 });

    const record = await getVerification(ctx.handle.db, ctx.project.id, res.headers.get("x-verification-id")!);
    expect(record).toMatchObject({ source: "kairos", type: "face_match_liveness", status: "approved", requestId: "req-kairos-1" });
    expect(record!.images.map((i) => i.role).sort()).toEqual(["reference", "selfie"]);
    expect(biometric.face_match_confidence).toBe(record!.checks.find((c) => c.check === "face_match")!.score);
  });

  it("takes an Idempotency-Key: a retry answers the first record, another body under the key is 409", async () => {
    const { first, replay, refusal } = await checkIdempotency(ctx.handle, (key, other) => post({ selfie: face.a1, image: other ? face.b2 : face.a2 }, { "idempotency-key": key }));
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("x-verification-id")).toBe(first.headers.get("x-verification-id"));
    expect((await replay.json()).response_data).toEqual((await first.json()).response_data);
    expect(refusal.status).toBe(409);
    expect((await refusal.json()).errors[0].code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("rejects two different people with a FAILED_FACE_MATCH detail in the documented form", async () => {
    const body = await (await post({ selfie: face.b1, image: face.b2 })).json();
    const confidence = body.response_data.biometric.face_match_confidence;
    expect(confidence).toBeLessThan(0.47);
    const { face_match } = DEFAULT_BANDS;
    expect(body.response_data.decision).toEqual({
      details: [{ code: "FAILED_FACE_MATCH", confidence: 1, decision: "reject", description: `Faces do not match; threshold failed: ${face_match.review} < ${confidence} (actual) < ${face_match.approve}` }],
      reject_score: 1,
      review_score: 0,
      warning_score: 0,
    });
  });

  it("reports a selfie that fails liveness with FAILED_SELFIE_LIVENESS", async () => {
    const body = await (await post({ selfie: face.spoof, image: face.b2 })).json();
    const liveness = body.response_data.biometric.selfie.faces_liveness;
    expect(liveness).toBeLessThan(0.4);
    const detail = body.response_data.decision.details.find((d: { code: string }) => d.code === "FAILED_SELFIE_LIVENESS");
    expect(detail).toEqual({ code: "FAILED_SELFIE_LIVENESS", confidence: 1, decision: "reject", description: `Selfie liveness threshold failed: 0.4 < ${liveness} (actual) < 0.6` });
  });

  it("takes the thresholds from the policy the record was decided under, and sends the review band to the queue", async () => {
    const strict = await createProject(ctx.handle.db, { slug: "strict-kairos", name: "Strict" });
    const { secret } = await createApiKey(ctx.handle.db, { projectId: strict.id, name: "strict" });
    const bands = { ...DEFAULT_BANDS, face_match: { approve: 0.8, review: 0.5 } };
    await ctx.handle.db.insert(thresholdPolicies).values({ id: newId("pol"), projectId: strict.id, version: 2, bands, reason: "test", author: "test" });
    const res = await post({ selfie: face.a1, image: face.a2 }, { app_id: "strict-kairos", app_key: secret });
    const body = await res.json();
    const confidence = body.response_data.biometric.face_match_confidence;
    expect(body.response_data.decision).toEqual({
      details: [{ code: "FAILED_FACE_MATCH", confidence: 1, decision: "review", description: `Faces do not match; threshold failed: 0.5 < ${confidence} (actual) < 0.8` }],
      reject_score: 0,
      review_score: 1,
      warning_score: 0,
    });
    const record = await getVerification(ctx.handle.db, strict.id, res.headers.get("x-verification-id")!);
    expect(record).toMatchObject({ status: "in_review", policyVersion: 2 });
    expect(record!.reviewCaseId).not.toBeNull();
  });

  it("answers bad input and bad credentials with one error body and writes nothing", async () => {
    const before = await countRecords(ctx.handle);
    const bad = await makeBadInputs(ctx);
    const { revokedSecret: revoked, spentSecret: spent, gif, faceless: flat, tiny } = bad;
    const ok = { selfie: face.a1, image: face.a2 };
    const json = POST(
      new Request("http://vigil.test/v0.1/biometric-verification", {
        method: "POST",
        headers: { app_id: "acme", app_key: ctx.secret, "content-type": "application/json" },
        body: JSON.stringify({ selfie: face.a1.toString("base64"), image: face.a2.toString("base64") }),
      }),
    );
    const cases: Array<[string, Promise<Response>, number, string]> = [
      ["no selfie", post({ image: face.a2 }), 400, "INVALID_REQUEST"],
      ["no image", post({ selfie: face.a1 }), 400, "INVALID_REQUEST"],
      ["two selfies", post({ selfie: [face.a1, face.b1], image: face.a2 }), 400, "INVALID_REQUEST"],
      ["JSON instead of multipart", json, 415, "UNSUPPORTED_MEDIA_TYPE"],
      ["selfie not an image", post({ ...ok, selfie: Buffer.from("hello world, not an image") }), 400, "INVALID_IMAGE"],
      ["image field not base64", post({ ...ok, image: "@@@not-base64@@@" }), 400, "INVALID_IMAGE"],
      ["GIF image", post({ ...ok, image: gif }), 415, "UNSUPPORTED_FORMAT"],
      ["selfie without a face", post({ ...ok, selfie: flat }), 422, "NO_FACE_FOUND"],
      ["image too small", post({ ...ok, image: tiny }), 422, "IMAGE_TOO_SMALL"],
      ["selfie with several faces", post({ ...ok, selfie: samplePhoto("sample4.jpg") }), 422, "MULTIPLE_FACES"],
      ["no app_id", post(ok, { app_id: null }), 401, "UNAUTHORIZED"],
      ["no app_key", post(ok, { app_key: null }), 401, "UNAUTHORIZED"],
      ["unknown app_key", post(ok, { app_key: "vgl_unknown" }), 401, "UNAUTHORIZED"],
      ["revoked app_key", post(ok, { app_key: revoked }), 401, "UNAUTHORIZED"],
      ["app_id of another project", post(ok, { app_id: "other" }), 403, "FORBIDDEN"],
      ["app_key of another project", post(ok, { app_key: ctx.otherSecret }), 403, "FORBIDDEN"],
      ["quota used up", post(ok, { app_key: spent }), 403, "QUOTA_EXCEEDED"],
    ];
    for (const [name, promise, status, code] of cases) {
      const res = await promise;
      const body = await res.json();
      expect({ name, status: res.status, body }).toEqual({ name, status, body: { response_code: 0, errors: [{ code, message: expect.any(String) }] } });
      expect(body.errors[0].message).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await countRecords(ctx.handle)).toEqual(before);
  });

  it("refuses a body over VIGIL_MAX_BODY_BYTES with 413", async () => {
    const before = await countRecords(ctx.handle);
    process.env.VIGIL_MAX_BODY_BYTES = "10000";
    resetEnv();
    try {
      const res = await post({ selfie: face.a1, image: face.a2 });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ response_code: 0, errors: [{ code: "BODY_TOO_LARGE", message: expect.any(String) }] });
      expect(await countRecords(ctx.handle)).toEqual(before);
    } finally {
      delete process.env.VIGIL_MAX_BODY_BYTES;
      resetEnv();
    }
  });
});
