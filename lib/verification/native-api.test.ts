import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getOne } from "@/app/api/v1/verifications/[id]/route";
import { GET as list, POST as create } from "@/app/api/v1/verifications/route";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import type { ApiTestContext } from "@/lib/testing/api";
import { countRecords, params, setupApiTest, makeBadInputs } from "@/lib/testing/api";

let ctx: ApiTestContext;
let personA: Buffer;
let personAOther: Buffer;
let personB: Buffer;

function post(body: unknown, headers: Record<string, string> = {}, secret = ctx.secret) {
  return create(
    new Request("http://vigil.test/api/v1/verifications", {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    undefined,
  );
}

beforeAll(async () => {
  ctx = await setupApiTest();
  const photo = samplePhoto("sample5.jpg");
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  personA = await cropAround(photo, faces[0].box, 0.8);
  personAOther = await sharp(personA).rotate(8, { background: "#777" }).resize({ width: 300 }).jpeg({ quality: 50 }).toBuffer();
  personB = await cropAround(photo, faces[2].box, 0.8);
});

afterAll(async () => ctx?.close());

describe("POST /api/v1/verifications", () => {
  it("matches a selfie with a photo of the same person and stores the record, images and audit event", async () => {
    const res = await post({ selfie: personA.toString("base64"), reference: `data:image/jpeg;base64,${personAOther.toString("base64")}` });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.type).toBe("face_match_liveness");
    const match = body.checks.find((c: { check: string }) => c.check === "face_match");
    expect(match.score).toBeGreaterThanOrEqual(0.55);
    expect(match.band).toBe("approve");
    expect(body.images.map((i: { role: string }) => i.role).sort()).toEqual(["reference", "selfie"]);
    expect(body.images[0].url).toMatch(/^http:\/\/vigil\.test\/api\/v1\/images\/img_.+\?exp=\d+&by=key%3Akey_.+&sig=/);
    const fetched = await getOne(new Request(`http://vigil.test/api/v1/verifications/${body.id}`, { headers: { authorization: `Bearer ${ctx.secret}` } }), params({ id: body.id }));
    expect(fetched.status).toBe(200);
    expect((await fetched.json()).checks).toEqual(body.checks);
  });

  it("rejects two different people", async () => {
    const res = await post({ selfie: personA.toString("base64"), reference: personB.toString("base64") });
    const body = await res.json();
    expect(body.checks.find((c: { check: string }) => c.check === "face_match").band).toBe("reject");
    expect(body.status).toBe("rejected");
  });

  it("replays an Idempotency-Key with the same body and refuses it with another", async () => {
    const before = await countRecords(ctx.handle);
    const body = { selfie: personA.toString("base64"), type: "selfie_liveness" };
    const first = await post(body, { "idempotency-key": "abc-123" });
    const second = await post(body, { "idempotency-key": "abc-123" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect((await second.json()).id).toBe((await first.json()).id);
    expect((await countRecords(ctx.handle)).verifications).toBe(before.verifications + 1);
    const reused = await post({ ...body, externalRef: "x" }, { "idempotency-key": "abc-123" });
    expect(reused.status).toBe(409);
    expect((await reused.json()).error.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("answers bad input with a stable 4xx code and writes nothing", async () => {
    const before = await countRecords(ctx.handle);
    const bad = await makeBadInputs(ctx);
    const [gif, flat, tiny, group] = [bad.gif, bad.faceless, bad.tiny, bad.group].map((b) => b.toString("base64"));
    // 16 MiB of random bytes behind a JPEG header: over the 15 MiB image limit, under the body limit.
    const huge = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(16 * 1024 * 1024, 7)]).toString("base64");
    const cases: Array<[Promise<Response>, number, string]> = [
      [post({ reference: personA.toString("base64") }), 400, "INVALID_REQUEST"],
      [post({ selfie: 42 }), 400, "INVALID_REQUEST"],
      [post("{not json"), 400, "INVALID_REQUEST"],
      [post({ selfie: "@@@not-base64@@@" }), 400, "INVALID_IMAGE"],
      [post({ selfie: Buffer.from("hello world, not an image").toString("base64") }), 400, "INVALID_IMAGE"],
      [post({ selfie: gif }), 415, "UNSUPPORTED_FORMAT"],
      [post({ selfie: flat }), 422, "NO_FACE_FOUND"],
      [post({ selfie: personA.toString("base64"), type: "face_match" }), 400, "INVALID_REQUEST"],
      [post({ selfie: personA.toString("base64") }, { "content-type": "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
      [post({ selfie: personA.toString("base64") }, {}, "vgl_unknown"), 401, "UNAUTHORIZED"],
      [post({ selfie: personA.toString("base64"), references: Array(11).fill(personB.toString("base64")) }), 422, "GALLERY_TOO_LARGE"],
      [post({ selfie: tiny }), 422, "IMAGE_TOO_SMALL"],
      [post({ selfie: group, type: "selfie_liveness" }), 422, "MULTIPLE_FACES"],
      [post({ selfie: huge }), 413, "IMAGE_TOO_LARGE"],
      [post(`{"selfie":"${"A".repeat(41 * 1024 * 1024)}"}`), 413, "BODY_TOO_LARGE"],
    ];
    for (const [promise, status, code] of cases) {
      const res = await promise;
      const body = await res.json();
      expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await countRecords(ctx.handle)).toEqual(before);
  });

  it("lists verifications newest first with a cursor, and never another project's", async () => {
    const auth = { headers: { authorization: `Bearer ${ctx.secret}` } };
    const page1 = await (await list(new Request("http://vigil.test/api/v1/verifications?limit=2", auth), undefined)).json();
    expect(page1.data).toHaveLength(2);
    expect(page1.nextCursor).toBe(page1.data[1].id);
    const page2 = await (await list(new Request(`http://vigil.test/api/v1/verifications?limit=2&cursor=${page1.nextCursor}`, auth), undefined)).json();
    expect(page2.data[0].id < page1.data[1].id).toBe(true);
    const other = await (await list(new Request("http://vigil.test/api/v1/verifications", { headers: { authorization: `Bearer ${ctx.otherSecret}` } }), undefined)).json();
    expect(other.data).toEqual([]);
  });
});
