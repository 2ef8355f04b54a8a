import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { described } from "@/lib/testing/contract";
import { POST as route } from "@/app/v2/face-recognition/compare-with-liveness/route";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import type { ApiTestContext } from "@/lib/testing/api";
import { checkIdempotency, countRecords, setupApiTest, makeBadInputs } from "@/lib/testing/api";
import { getVerification } from "@/lib/verification/service";
import { DEFAULT_BANDS } from "@/lib/verification/policy";
import { formatSignatureDate, fromVerifikScore, toVerifikScore } from "./verifik";

/** The route, its every answer checked against the OpenAPI registry (lib/testing/contract.ts). */
const POST = described(route);

let ctx: ApiTestContext;
/** Crops of one face each: a1/a2 the same person in two photos (similarity ~0.70), b1/b2 two different people (~0.39). */
const face: Record<"a1" | "a2" | "b1" | "b2", string> = { a1: "", a2: "", b1: "", b2: "" };

/** The `index`-th face from the left of a sample photo, cropped with a margin, as base64. */
async function faceCrop(sample: string, index: number): Promise<string> {
  const photo = samplePhoto(sample);
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  return (await cropAround(photo, faces[index].box, 0.8)).toString("base64");
}

function post(body: unknown, headers: Record<string, string> = {}, secret: string | null = ctx.secret) {
  return POST(
    new Request("http://vigil.test/v2/face-recognition/compare-with-liveness", {
      method: "POST",
      headers: { "content-type": "application/json", ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

const valid = () => ({ os: "DESKTOP", search_mode: "FAST", probe: face.a1, gallery: [face.a2], compare_min_score: 0.67, liveness_min_score: 0.6 });

beforeAll(async () => {
  ctx = await setupApiTest();
  [face.a1, face.a2, face.b1, face.b2] = await Promise.all([faceCrop("sample1.jpg", 2), faceCrop("sample3.jpg", 1), faceCrop("sample5.jpg", 0), faceCrop("sample5.jpg", 2)]);
});

afterAll(async () => ctx?.close());

describe("POST /v2/face-recognition/compare-with-liveness", () => {
  it("answers the documented shape for a match in the gallery and stores a verifik record", async () => {
    const res = await post({ ...valid(), os: "IOS", search_mode: "ACCURATE", probe: `data:image/jpeg;base64,${face.a1}`, gallery: [face.b2, face.a2] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["data", "signature", "id"]);
    expect(Object.keys(body.data)).toEqual(["comparison", "liveness"]);
    const { comparison, liveness } = body.data;
    expect(Object.keys(comparison)).toEqual(["client", "type", "search_mode", "gallery", "probe", "status", "_id", "comparedAt", "result", "updatedAt", "createdAt", "__v"]);
    expect(comparison).toMatchObject({ client: ctx.project.id, type: "compareLive", search_mode: "ACCURATE", gallery: [], probe: [], status: "success", _id: body.id, __v: 0 });
    expect(comparison.comparedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(comparison.createdAt).toBe(comparison.comparedAt);
    expect(comparison.result.score).toBeGreaterThanOrEqual(0.67);
    expect(comparison.result.score).toBeLessThanOrEqual(1);
    expect(Object.keys(liveness)).toEqual(["client", "type", "status", "search_mode", "os", "liveness_min_score", "_id", "result", "updatedAt", "createdAt", "__v"]);
    expect(liveness).toMatchObject({ client: ctx.project.id, type: "liveness", status: "success", search_mode: "ACCURATE", os: "IOS", liveness_min_score: 0.6, __v: 0 });
    expect(liveness.result.liveness_score).toBeGreaterThan(0.9);
    expect(liveness.result).toEqual({ liveness_score: liveness.result.liveness_score, passed: true, min_score: 0.6 });
    expect(body.signature).toEqual({ dateTime: formatSignatureDate(new Date(comparison.createdAt)), message: "Certified by Vigil" });
    expect(body.id).toMatch(/^ver_[0-9a-z]{26}$/);
    expect(res.headers.get("x-verification-id")).toBe(body.id);

    const record = await getVerification(ctx.handle.db, ctx.project.id, body.id);
    expect(record).toMatchObject({ source: "verifik", type: "face_match_liveness", status: "approved", band: "approve" });
    expect(record!.images.map((i) => `${i.role}${i.position}`).sort()).toEqual(["gallery0", "gallery1", "selfie0"]);
    const match = record!.checks.find((c) => c.check === "face_match")!;
    expect(match).toMatchObject({ band: "approve", details: { bestIndex: 1 } });
    expect(comparison.result.score).toBeCloseTo(toVerifikScore(match.score!, DEFAULT_BANDS), 4);
    expect(comparison.result.score).toBeGreaterThan(match.score!);
  });

  it("takes an Idempotency-Key: a retry answers the first record, another body under the key is 409", async () => {
    const { first, replay, refusal } = await checkIdempotency(ctx.handle, (key, other) => post({ ...valid(), gallery: [other ? face.b1 : face.a2] }, { "idempotency-key": key }));
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("x-verification-id")).toBe(first.headers.get("x-verification-id"));
    expect((await replay.json()).data).toEqual((await first.json()).data);
    expect(refusal.status).toBe(409);
    expect(await refusal.json()).toMatchObject({ code: "InvalidArgument" });
  });

  it("maps cosine onto Verifik's scale through the project's bands, and back", () => {
    expect(toVerifikScore(0, DEFAULT_BANDS)).toBe(0);
    expect(toVerifikScore(0.4, DEFAULT_BANDS)).toBeCloseTo(0.67, 10);
    expect(toVerifikScore(0.55, DEFAULT_BANDS)).toBeCloseTo(0.85, 10);
    expect(toVerifikScore(1, DEFAULT_BANDS)).toBe(1);
    expect(toVerifikScore(-0.3, DEFAULT_BANDS)).toBe(0);
    for (const cosine of [0.1, 0.39, 0.47, 0.6, 0.93]) expect(fromVerifikScore(toVerifikScore(cosine, DEFAULT_BANDS), DEFAULT_BANDS)).toBeCloseTo(cosine, 10);
    const strict = { ...DEFAULT_BANDS, face_match: { approve: 0.7, review: 0.5 } };
    expect(toVerifikScore(0.6, strict)).toBeCloseTo(0.76, 10);
  });

  it("scores two different people low, rejects, and skips liveness below the default minimum", async () => {
    const body = await (await post({ search_mode: "FAST", probe: face.b1, gallery: [face.b2] })).json();
    expect(body.data.comparison.result.score).toBeLessThan(0.67);
    expect(body.data.liveness).toBeUndefined();
    const record = await getVerification(ctx.handle.db, ctx.project.id, body.id);
    expect(record!.status).toBe("rejected");
    expect(record!.checks.find((c) => c.check === "face_match")!.band).toBe("reject");
  });

  it("does not test liveness when the best comparison is below compare_min_score", async () => {
    const res = await post({ ...valid(), compare_min_score: 0.95 });
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.data.comparison.result.score).toBeGreaterThan(0.85);
    expect(body.data.comparison.result.score).toBeLessThan(0.95);
    expect(Object.keys(body.data)).toEqual(["comparison"]);
    const record = await getVerification(ctx.handle.db, ctx.project.id, body.id);
    expect(record!.checks.find((c) => c.check === "selfie_liveness")).toMatchObject({ status: "skipped", score: null, band: null });
    expect(record!.status).toBe("not_finished");
  });

  it("reports liveness below liveness_min_score as not passed, while the record keeps the project's bands", async () => {
    const body = await (await post({ ...valid(), liveness_min_score: 1 })).json();
    expect(body.data.liveness.result.liveness_score).toBeLessThan(1);
    expect(body.data.liveness.result).toMatchObject({ passed: false, min_score: 1 });
    expect((await getVerification(ctx.handle.db, ctx.project.id, body.id))!.status).toBe("approved");
  });

  it("formats the signature date as documented, in UTC", () => {
    expect(formatSignatureDate(new Date("2024-09-15T03:13:26.392Z"))).toBe("September 15, 2024 3:13 AM");
    expect(formatSignatureDate(new Date("2024-01-02T15:05:00Z"))).toBe("January 2, 2024 3:05 PM");
    expect(formatSignatureDate(new Date("2024-12-31T00:00:00Z"))).toBe("December 31, 2024 12:00 AM");
  });

  it("answers bad input with Verifik's error body and writes nothing", async () => {
    const before = await countRecords(ctx.handle);
    const bad = await makeBadInputs(ctx);
    const { revokedSecret: revoked, spentSecret: spent } = bad;
    const gif = bad.gif.toString("base64");
    const flat = bad.faceless.toString("base64");
    const without = (field: string) => Object.fromEntries(Object.entries(valid()).filter(([k]) => k !== field));
    const cases: Array<[string, Promise<Response>, number, { code: string; message?: string }]> = [
      ["missing search_mode", post(without("search_mode")), 409, { code: "MissingParameter", message: "missing search_mode\n" }],
      ["missing probe", post(without("probe")), 409, { code: "MissingParameter", message: "missing probe\n" }],
      ["missing gallery", post(without("gallery")), 409, { code: "MissingParameter", message: "missing gallery\n" }],
      ["empty gallery", post({ ...valid(), gallery: [] }), 409, { code: "MissingParameter", message: "missing gallery\n" }],
      ["empty body", post({}), 409, { code: "MissingParameter", message: "missing search_mode\n" }],
      ["unknown search_mode", post({ ...valid(), search_mode: "SLOW" }), 409, { code: "InvalidArgument", message: "search_mode must be one of FAST, ACCURATE\n" }],
      ["probe not a string", post({ ...valid(), probe: 42 }), 409, { code: "InvalidArgument", message: "probe must be a base64 image or a data URL\n" }],
      ["gallery not an array", post({ ...valid(), gallery: face.a2 }), 409, { code: "InvalidArgument", message: "gallery must be an array of base64 images or data URLs\n" }],
      ["gallery item not a string", post({ ...valid(), gallery: [face.a2, 7] }), 409, { code: "InvalidArgument", message: "gallery[1] must be a base64 image or a data URL\n" }],
      ["compare_min_score too low", post({ ...valid(), compare_min_score: 0.5 }), 409, { code: "InvalidArgument", message: "compare_min_score must be between 0.67 and 0.95\n" }],
      ["compare_min_score too high", post({ ...valid(), compare_min_score: 0.96 }), 409, { code: "InvalidArgument", message: "compare_min_score must be between 0.67 and 0.95\n" }],
      ["liveness_min_score too low", post({ ...valid(), liveness_min_score: 0.51 }), 409, { code: "InvalidArgument", message: "liveness_min_score must be between 0.52 and 1\n" }],
      ["liveness_min_score not a number", post({ ...valid(), liveness_min_score: "high" }), 409, { code: "InvalidArgument", message: "liveness_min_score must be a number\n" }],
      ["unknown os", post({ ...valid(), os: "WINDOWS" }), 409, { code: "InvalidArgument", message: "os must be one of DESKTOP, IOS, ANDROID\n" }],
      ["gallery over VIGIL_MAX_GALLERY", post({ ...valid(), gallery: Array(11).fill(face.a2) }), 409, { code: "InvalidArgument", message: "gallery must hold at most 10 images\n" }],
      ["probe not base64", post({ ...valid(), probe: "@@@not-base64@@@" }), 400, { code: "InvalidImage" }],
      ["probe not an image", post({ ...valid(), probe: Buffer.from("hello world, not an image").toString("base64") }), 400, { code: "InvalidImage" }],
      ["gallery image in an unsupported format", post({ ...valid(), gallery: [face.a2, gif] }), 415, { code: "UnsupportedFormat" }],
      ["probe without a face", post({ ...valid(), probe: flat }), 422, { code: "NoFaceFound" }],
      ["gallery image without a face", post({ ...valid(), gallery: [flat] }), 422, { code: "NoFaceFound" }],
      ["probe with several faces", post({ ...valid(), probe: bad.group.toString("base64") }), 422, { code: "MultipleFaces" }],
      ["malformed JSON", post("{not json"), 400, { code: "InvalidContent" }],
      ["not JSON", post(valid(), { "content-type": "text/plain" }), 415, { code: "UnsupportedMediaType" }],
      ["body over the limit", post(valid(), { "content-length": String(1024 * 1024 * 1024) }), 413, { code: "RequestEntityTooLarge" }],
      ["no token", post(valid(), {}, null), 401, { code: "InvalidCredentials" }],
      ["unknown token", post(valid(), {}, "vgl_unknown"), 401, { code: "InvalidCredentials" }],
      ["revoked token", post(valid(), {}, revoked), 401, { code: "InvalidCredentials" }],
      ["quota used up", post(valid(), {}, spent), 403, { code: "QuotaExceeded" }],
    ];
    for (const [name, promise, status, expected] of cases) {
      const res = await promise;
      const body = await res.json();
      expect({ name, status: res.status, keys: Object.keys(body), ...body }).toEqual({ name, status, keys: ["code", "message"], message: expect.any(String), ...expected });
      expect(body.message).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await countRecords(ctx.handle)).toEqual(before);
  });
});
