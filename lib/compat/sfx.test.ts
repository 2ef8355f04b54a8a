import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { described } from "@/lib/testing/contract";
import { POST as route } from "@/app/sfx-verify/v3/id-service/route";
import { thresholdPolicies } from "@/db/schema";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
import { newId } from "@/lib/ids";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import type { ApiTestContext } from "@/lib/testing/api";
import { checkIdempotency, countRecords, setupApiTest, makeBadInputs } from "@/lib/testing/api";
import { DEFAULT_BANDS } from "@/lib/verification/policy";
import { getVerification } from "@/lib/verification/service";
import { PASSIVE_LIVENESS } from "./sfx";

/** The route, its every answer checked against the OpenAPI registry (lib/testing/contract.ts). */
const POST = described(route);

let ctx: ApiTestContext;
/** Selfie crops the liveness model scores high (live, ~0.999), low (spoof, ~0.22) and in between (middling, ~0.69). */
const face: Record<"live" | "spoof" | "middling", string> = { live: "", spoof: "", middling: "" };

async function faceCrop(sample: string, index: number): Promise<string> {
  const photo = samplePhoto(sample);
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  return (await cropAround(photo, faces[index].box, 0.8)).toString("base64");
}

function post(body: unknown, headers: Record<string, string | null> = {}) {
  const all: Record<string, string | null> = { userid: "acme", apikey: ctx.secret, "content-type": "application/json", ...headers };
  return POST(
    new Request("http://vigil.test/sfx-verify/v3/id-service", {
      method: "POST",
      headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null)),
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

const documentedKeys = [
  "responseCode",
  "description",
  "verificationType",
  "verificationStatus",
  "transactionStatus",
  "transactionReference",
  "transactionDate",
  "searchParameter",
  "callBackUrl",
  "livenessScore",
  "paymentRef",
  "response",
  "faceMatch",
];

beforeAll(async () => {
  ctx = await setupApiTest();
  [face.live, face.spoof, face.middling] = await Promise.all([faceCrop("sample1.jpg", 2), faceCrop("sample6.jpg", 1), faceCrop("sample2.jpg", 1)]);
});

afterAll(async () => ctx?.close());

describe("POST /sfx-verify/v3/id-service", () => {
  it("answers the documented shape for a live selfie, echoes the transactionReference and stores an sfx record", async () => {
    const res = await post({ verificationType: PASSIVE_LIVENESS, selfie: `data:image/jpeg;base64,${face.live}`, transactionReference: "ref-0001" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(documentedKeys);
    expect(body).toMatchObject({
      responseCode: "00",
      description: "Success",
      verificationType: PASSIVE_LIVENESS,
      verificationStatus: "VERIFIED",
      transactionStatus: "SUCCESSFUL",
      transactionReference: "ref-0001",
      searchParameter: null,
      callBackUrl: null,
      paymentRef: null,
      faceMatch: null,
    });
    expect(body.transactionDate).toMatch(/^\d{13}$/);
    expect(Math.abs(Number(body.transactionDate) - Date.now())).toBeLessThan(60_000);
    expect(body.livenessScore).toBeGreaterThan(0.9);
    expect(body.livenessScore).toBeLessThanOrEqual(1);
    expect(Object.keys(body.response)).toEqual(["pop_score", "live_score"]);
    expect(body.response.live_score).toBeCloseTo(body.livenessScore * 100, 2);
    expect(body.response.pop_score).toBeCloseTo(100 - body.response.live_score, 3);

    const record = await getVerification(ctx.handle.db, ctx.project.id, res.headers.get("x-verification-id")!);
    expect(record).toMatchObject({ source: "sfx", type: "selfie_liveness", status: "approved", externalRef: "ref-0001" });
    expect(record!.images.map((i) => i.role)).toEqual(["selfie"]);
  });

  it("generates a transactionReference in the documented form when none is given, and accepts 'Selfie'", async () => {
    const res = await post({ verificationType: PASSIVE_LIVENESS, Selfie: face.live });
    const body = await res.json();
    expect(body.responseCode).toBe("00");
    expect(body.transactionReference).toMatch(/^\d{13}-[A-Z0-9]{8}$/);
    const record = await getVerification(ctx.handle.db, ctx.project.id, res.headers.get("x-verification-id")!);
    expect(record!.externalRef).toBe(body.transactionReference);
  });

  it("takes an Idempotency-Key: a retry without a reference answers the first record and its made-up reference", async () => {
    const { first, replay, refusal } = await checkIdempotency(ctx.handle, (key, other) => post({ verificationType: PASSIVE_LIVENESS, selfie: other ? face.spoof : face.live }, { "idempotency-key": key }));
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("x-verification-id")).toBe(first.headers.get("x-verification-id"));
    const [firstBody, replayBody] = [await first.json(), await replay.json()];
    expect(replayBody.transactionReference).toBe(firstBody.transactionReference);
    expect(replayBody.livenessScore).toBe(firstBody.livenessScore);
    expect(refusal.status).toBe(400);
    expect(await refusal.json()).toMatchObject({ responseCode: "01", transactionStatus: "FAILED" });
  });

  it("answers NOT VERIFIED for a selfie that fails liveness", async () => {
    const body = await (await post({ verificationType: PASSIVE_LIVENESS, selfie: face.spoof })).json();
    expect(body).toMatchObject({ responseCode: "00", verificationStatus: "NOT VERIFIED", transactionStatus: "SUCCESSFUL" });
    expect(body.response.live_score).toBeLessThan(DEFAULT_BANDS.selfie_liveness.review * 100);
    expect(body.response.pop_score).toBeGreaterThan(60);
  });

  it("answers PENDING while the selfie waits in the review queue", async () => {
    const strict = await createProject(ctx.handle.db, { slug: "strict-sfx", name: "Strict" });
    const { secret } = await createApiKey(ctx.handle.db, { projectId: strict.id, name: "strict" });
    const bands = { ...DEFAULT_BANDS, selfie_liveness: { approve: 0.9, review: 0.5 } };
    await ctx.handle.db.insert(thresholdPolicies).values({ id: newId("pol"), projectId: strict.id, version: 2, bands, reason: "test", author: "test" });
    const res = await post({ verificationType: PASSIVE_LIVENESS, selfie: face.middling }, { userid: "strict-sfx", apikey: secret });
    const body = await res.json();
    expect(body.livenessScore).toBeGreaterThanOrEqual(0.5);
    expect(body.livenessScore).toBeLessThan(0.9);
    expect(body).toMatchObject({ responseCode: "00", verificationStatus: "PENDING" });
    const record = await getVerification(ctx.handle.db, strict.id, res.headers.get("x-verification-id")!);
    expect(record!.status).toBe("in_review");
    expect(record!.reviewCaseId).not.toBeNull();
  });

  it("answers bad input and bad credentials in the response shape with a non-00 code, and writes nothing", async () => {
    const before = await countRecords(ctx.handle);
    const bad = await makeBadInputs(ctx);
    const { revokedSecret: revoked, spentSecret: spent } = bad;
    const gif = bad.gif.toString("base64");
    const flat = bad.faceless.toString("base64");
    const group = bad.group.toString("base64");
    const ok = { verificationType: PASSIVE_LIVENESS, selfie: face.live, transactionReference: "ref-bad" };
    const cases: Array<[string, Promise<Response>, number, string]> = [
      ["no verificationType", post({ selfie: face.live }), 400, "01"],
      ["another verificationType", post({ ...ok, verificationType: "BVN-FULL-DETAILS" }), 400, "01"],
      ["verificationType in lower case", post({ ...ok, verificationType: PASSIVE_LIVENESS.toLowerCase() }), 400, "01"],
      ["no selfie", post({ verificationType: PASSIVE_LIVENESS }), 400, "01"],
      ["selfie not a string", post({ ...ok, selfie: 42 }), 400, "01"],
      ["transactionReference not a string", post({ ...ok, transactionReference: 7 }), 400, "01"],
      ["malformed JSON", post("{not json"), 400, "01"],
      ["not JSON", post(ok, { "content-type": "text/plain" }), 400, "01"],
      ["body over the limit", post(ok, { "content-length": String(1024 * 1024 * 1024) }), 400, "01"],
      ["selfie not base64", post({ ...ok, selfie: "@@@not-base64@@@" }), 400, "02"],
      ["selfie not an image", post({ ...ok, selfie: Buffer.from("hello world, not an image").toString("base64") }), 400, "02"],
      ["GIF selfie", post({ ...ok, selfie: gif }), 400, "02"],
      ["selfie without a face", post({ ...ok, selfie: flat }), 400, "03"],
      ["selfie with several faces", post({ ...ok, selfie: group }), 400, "03"],
      ["no ApiKey", post(ok, { apikey: null }), 401, "04"],
      ["no Userid", post(ok, { userid: null }), 401, "04"],
      ["unknown ApiKey", post(ok, { apikey: "vgl_unknown" }), 401, "04"],
      ["revoked ApiKey", post(ok, { apikey: revoked }), 401, "04"],
      ["Userid of another project", post(ok, { userid: "other" }), 403, "05"],
      ["ApiKey of another project", post(ok, { apikey: ctx.otherSecret }), 403, "05"],
      ["quota used up", post(ok, { apikey: spent }), 403, "06"],
    ];
    for (const [name, promise, status, responseCode] of cases) {
      const res = await promise;
      const body = await res.json();
      expect({ name, status: res.status, responseCode: body.responseCode }).toEqual({ name, status, responseCode });
      expect(Object.keys(body)).toEqual(documentedKeys);
      expect(body).toMatchObject({ verificationStatus: "PENDING", transactionStatus: "FAILED", livenessScore: null, response: null, faceMatch: null });
      expect(body.description).toEqual(expect.any(String));
      expect(body.description).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await countRecords(ctx.handle)).toEqual(before);
  });

  it("echoes what it read of the request in an error body", async () => {
    const body = await (await post({ verificationType: PASSIVE_LIVENESS, selfie: "@@@", transactionReference: "ref-echo" })).json();
    expect(body).toMatchObject({ responseCode: "02", verificationType: PASSIVE_LIVENESS, transactionReference: "ref-echo", description: "The image is not valid base64." });
    const unauthorized = await (await post({ verificationType: PASSIVE_LIVENESS, selfie: face.live }, { apikey: "vgl_unknown" })).json();
    expect(unauthorized).toMatchObject({ responseCode: "04", verificationType: null, transactionReference: null });
  });
});
