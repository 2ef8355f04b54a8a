import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateVerificationInput, VigilClient } from "@/lib/client";
import { VigilApiError } from "@/lib/client";
import { errorBodySchema } from "@/lib/openapi/responses";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import type { ApiTestContext } from "@/lib/testing/api";
import { apiClient, countRecords, describedFetch, setupApiTest, makeBadInputs } from "@/lib/testing/api";

let ctx: ApiTestContext;
let client: VigilClient;
let personA: Buffer;
let personAOther: Buffer;
let personB: Buffer;

/** A well-formed request through the typed client (answers checked against the OpenAPI schemas). */
function create(input: CreateVerificationInput, options: { idempotencyKey?: string; secret?: string } = {}) {
  const by = options.secret ? apiClient(options.secret) : client;
  return by.createVerification(input, { idempotencyKey: options.idempotencyKey });
}

/** The status and stable code a call was refused with. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof VigilApiError)) throw new Error(`expected a VigilApiError, got ${String(error)}`);
  expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(/at .*\.ts:\d+/);
  return { status: error.status, code: error.code };
}

/** What the typed client cannot send (bad JSON, wrong types, other media types), on the same in-process transport. */
async function rawPost(body: string, contentType = "application/json"): Promise<{ status: number; code: string }> {
  const res = await describedFetch(new Request("http://vigil.test/api/v1/verifications", { method: "POST", headers: { authorization: `Bearer ${ctx.secret}`, "content-type": contentType }, body }));
  const parsed = errorBodySchema.parse(await res.json());
  return { status: res.status, code: parsed.error.code };
}

beforeAll(async () => {
  ctx = await setupApiTest();
  client = apiClient(ctx.secret);
  const photo = samplePhoto("sample5.jpg");
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  personA = await cropAround(photo, faces[0].box, 0.8);
  personAOther = await sharp(personA).rotate(8, { background: "#777" }).resize({ width: 300 }).jpeg({ quality: 50 }).toBuffer();
  personB = await cropAround(photo, faces[2].box, 0.8);
});

afterAll(async () => ctx?.close());

describe("POST /api/v1/verifications", () => {
  it("matches a selfie with a photo of the same person and stores the record, images and audit event", async () => {
    const { verification: body, replayed } = await create({ selfie: personA.toString("base64"), reference: `data:image/jpeg;base64,${personAOther.toString("base64")}` });
    expect(replayed).toBe(false);
    expect(body.type).toBe("face_match_liveness");
    const match = body.checks.find((c) => c.check === "face_match")!;
    expect(match.score).toBeGreaterThanOrEqual(0.55);
    expect(match.band).toBe("approve");
    expect(body.images.map((i) => i.role).sort()).toEqual(["reference", "selfie"]);
    expect(body.images[0].url).toMatch(/^http:\/\/vigil\.test\/api\/v1\/images\/img_.+\?exp=\d+&by=key%3Akey_.+&sig=/);
    const fetched = await client.getVerification(body.id);
    expect(fetched.checks).toEqual(body.checks);
  });

  it("takes the images as multipart files", async () => {
    const { verification } = await create({ selfie: personA, reference: personAOther, externalRef: "multipart-1" });
    expect(verification.type).toBe("face_match_liveness");
    expect(verification.externalRef).toBe("multipart-1");
    expect(verification.checks.find((c) => c.check === "face_match")!.band).toBe("approve");
  });

  it("rejects two different people", async () => {
    const { verification: body } = await create({ selfie: personA.toString("base64"), reference: personB.toString("base64") });
    expect(body.checks.find((c) => c.check === "face_match")!.band).toBe("reject");
    expect(body.status).toBe("rejected");
  });

  it("replays an Idempotency-Key with the same body and refuses it with another", async () => {
    const before = await countRecords(ctx.handle);
    const body = { selfie: personA.toString("base64"), type: "selfie_liveness" as const };
    const first = await create(body, { idempotencyKey: "abc-123" });
    const second = await create(body, { idempotencyKey: "abc-123" });
    expect(first.replayed).toBe(false);
    expect(second.replayed).toBe(true);
    expect(second.verification.id).toBe(first.verification.id);
    expect((await countRecords(ctx.handle)).verifications).toBe(before.verifications + 1);
    expect(await refusal(create({ ...body, externalRef: "x" }, { idempotencyKey: "abc-123" }))).toEqual({ status: 409, code: "IDEMPOTENCY_KEY_REUSED" });
  });

  it("answers bad input with a stable 4xx code and writes nothing", async () => {
    const before = await countRecords(ctx.handle);
    const bad = await makeBadInputs(ctx);
    const [gif, flat, tiny, group] = [bad.gif, bad.faceless, bad.tiny, bad.group].map((b) => b.toString("base64"));
    // 16 MiB of random bytes behind a JPEG header: over the 15 MiB image limit, under the body limit.
    const huge = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(16 * 1024 * 1024, 7)]).toString("base64");
    const cases: Array<[Promise<{ status: number; code: string }>, number, string]> = [
      [refusal(create({ reference: personA.toString("base64") })), 400, "INVALID_REQUEST"],
      [rawPost(JSON.stringify({ selfie: 42 })), 400, "INVALID_REQUEST"],
      [rawPost("{not json"), 400, "INVALID_REQUEST"],
      [refusal(create({ selfie: "@@@not-base64@@@" })), 400, "INVALID_IMAGE"],
      [refusal(create({ selfie: Buffer.from("hello world, not an image").toString("base64") })), 400, "INVALID_IMAGE"],
      [refusal(create({ selfie: gif })), 415, "UNSUPPORTED_FORMAT"],
      [refusal(create({ selfie: flat })), 422, "NO_FACE_FOUND"],
      [refusal(create({ selfie: personA.toString("base64"), type: "face_match" })), 400, "INVALID_REQUEST"],
      [rawPost(JSON.stringify({ selfie: personA.toString("base64") }), "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"],
      [refusal(create({ selfie: personA.toString("base64") }, { secret: "vgl_unknown" })), 401, "UNAUTHORIZED"],
      [refusal(create({ selfie: personA.toString("base64"), references: Array(11).fill(personB.toString("base64")) })), 422, "GALLERY_TOO_LARGE"],
      [refusal(create({ selfie: tiny })), 422, "IMAGE_TOO_SMALL"],
      [refusal(create({ selfie: group, type: "selfie_liveness" })), 422, "MULTIPLE_FACES"],
      [refusal(create({ selfie: huge })), 413, "IMAGE_TOO_LARGE"],
      [rawPost(`{"selfie":"${"A".repeat(41 * 1024 * 1024)}"}`), 413, "BODY_TOO_LARGE"],
    ];
    for (const [answer, status, code] of cases) expect(await answer).toEqual({ status, code });
    expect(await countRecords(ctx.handle)).toEqual(before);
  });

  it("lists verifications newest first with a cursor, and never another project's", async () => {
    const page1 = await client.listVerifications({ limit: 2 });
    expect(page1.data).toHaveLength(2);
    expect(page1.nextCursor).toBe(page1.data[1].id);
    const page2 = await client.listVerifications({ limit: 2, cursor: page1.nextCursor! });
    expect(page2.data[0].id < page1.data[1].id).toBe(true);
    const other = await apiClient(ctx.otherSecret).listVerifications();
    expect(other.data).toEqual([]);
  });
});
