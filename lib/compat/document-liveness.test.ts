import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { described } from "@/lib/testing/contract";
import { POST as route } from "@/app/api/v1/document/liveness/route";
import { POST as createVerification } from "@/app/api/v1/verifications/route";
import { createApiKey } from "@/lib/auth/api-keys";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import { generateSpecimens } from "@/lib/specimens";
import type { ApiTestContext } from "@/lib/testing/api";
import { checkIdempotency, countRecords, setupApiTest } from "@/lib/testing/api";
import { getVerification } from "@/lib/verification/service";

/** The route, its every answer checked against the OpenAPI registry (lib/testing/contract.ts). */
const POST = described(route);

let ctx: ApiTestContext;
let specimenDir: string;
/** One specimen per label, base64, from a seed the document cues were never tuned on. */
const specimen: Record<"genuine" | "screen" | "print" | "digital", string> = { genuine: "", screen: "", print: "", digital: "" };
let groupPhoto: string;

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

function post(body: unknown, authorization: string | null = basic("acme", ctx.secret)) {
  return POST(
    new Request("http://vigil.test/api/v1/document/liveness", {
      method: "POST",
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

beforeAll(async () => {
  ctx = await setupApiTest();
  specimenDir = mkdtempSync(join(tmpdir(), "vigil-specimens-"));
  await generateSpecimens({ outDir: specimenDir, seed: 8017, count: 4, kinds: ["id1"], workers: 0, log: () => {} });
  const lines = readFileSync(join(specimenDir, "labels.csv"), "utf8").trim().split("\n").slice(1);
  for (const line of lines) {
    const [file, label] = line.split(",");
    specimen[label as keyof typeof specimen] = readFileSync(join(specimenDir, file)).toString("base64");
  }
  groupPhoto = samplePhoto("sample1.jpg").toString("base64");
}, 180_000);

afterAll(async () => {
  await ctx.close();
  rmSync(specimenDir, { recursive: true, force: true });
});

describe("POST /api/v1/document/liveness (document passive liveness vendor shape)", () => {
  it("takes an Idempotency-Key: a retry answers the first record, another document under the key is 409", async () => {
    const send = (key: string, other: boolean) =>
      POST(
        new Request("http://vigil.test/api/v1/document/liveness", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: basic("acme", ctx.secret), "idempotency-key": key },
          body: JSON.stringify({ sessionId: "retry-1", frontSideImageBase: other ? specimen.screen : specimen.genuine }),
        }),
      );
    const { first, replay, refusal } = await checkIdempotency(ctx.handle, send);
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("x-verification-id")).toBe(first.headers.get("x-verification-id"));
    expect(await replay.json()).toEqual(await first.json());
    expect(refusal.status).toBe(409);
    expect(await refusal.json()).toMatchObject({ sessionId: "retry-1", hasError: true, error: "IDEMPOTENCY_KEY_REUSED" });
  });

  it("scores a genuine capture, echoes sessionId, and stores the document and its portrait", async () => {
    const response = await post({ sessionId: "bbbf9002-c3a2-4308-b103-d80b9f5a2b84", frontSideImageBase: specimen.genuine });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(Object.keys(body).sort()).toEqual(["hasError", "score", "sessionId"]);
    expect(body).toMatchObject({ sessionId: "bbbf9002-c3a2-4308-b103-d80b9f5a2b84", hasError: false });
    expect(body.score).toBeGreaterThanOrEqual(0.5);
    const record = await getVerification(ctx.handle.db, ctx.project.id, response.headers.get("x-verification-id")!);
    expect(record).toMatchObject({ type: "document_liveness", source: "docliveness", externalRef: "bbbf9002-c3a2-4308-b103-d80b9f5a2b84" });
    expect(record!.images.map((i) => i.role).sort()).toEqual(["document", "portrait"]);
    const documentImage = record!.images.find((i) => i.role === "document")!;
    expect(documentImage.faces.outline).toHaveLength(4);
    const check = record!.checks[0];
    expect(check).toMatchObject({ check: "document_liveness", score: body.score, model: { id: "vigil-document-cues" } });
    expect(check.details.front).toMatchObject({ kind: "id1" });
  });

  it("scores a screen recapture and a digital original below a genuine capture, in or under the review band", async () => {
    const scores: Record<string, number> = {};
    for (const label of ["genuine", "screen", "digital"] as const) {
      const body = await (await post({ sessionId: label, documentImageBase: specimen[label] })).json();
      expect(body.hasError, label).toBe(false);
      scores[label] = body.score;
    }
    expect(scores.screen).toBeLessThan(0.5);
    expect(scores.digital).toBeLessThan(0.5);
    expect(scores.screen).toBeLessThan(scores.genuine);
    expect(scores.digital).toBeLessThan(scores.genuine);
  });

  it("answers a photo without a document with hasError and the vendor's code, and writes nothing", async () => {
    const before = await countRecords(ctx.handle);
    const response = await post({ sessionId: "s-1", frontSideImageBase: groupPhoto });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sessionId: "s-1", hasError: true, error: "DOCUMENT_NOT_FOUND" });
    expect(await countRecords(ctx.handle)).toEqual(before);
  });

  it("refuses bad requests in the same shape, with 4xx and a stable code", async () => {
    const cases: Array<[unknown, string | null, number, string]> = [
      [{ sessionId: "a", frontSideImageBase: specimen.genuine }, null, 401, "UNAUTHORIZED"],
      [{ sessionId: "a", frontSideImageBase: specimen.genuine }, basic("acme", "vgl_wrong"), 401, "UNAUTHORIZED"],
      [{ sessionId: "a", frontSideImageBase: specimen.genuine }, basic("other", ctx.secret), 403, "FORBIDDEN"],
      [{ sessionId: "a" }, undefined as never, 400, "INVALID_REQUEST"],
      [{ sessionId: "a", frontSideImageBase: 42 }, undefined as never, 400, "INVALID_REQUEST"],
      [{ sessionId: "a", frontSideImageBase: "not base64 at all!" }, undefined as never, 400, "INVALID_IMAGE"],
      [{ sessionId: "a", frontSideImageBase: "https://example.org/card.jpg" }, undefined as never, 400, "INVALID_IMAGE"],
      ["{not json", undefined as never, 400, "INVALID_REQUEST"],
    ];
    const before = await countRecords(ctx.handle);
    for (const [body, auth, status, code] of cases) {
      const response = await post(body, auth === undefined ? basic("acme", ctx.secret) : auth);
      const json = await response.json();
      expect([response.status, json.error], JSON.stringify(body).slice(0, 80)).toEqual([status, code]);
      expect(json.hasError).toBe(true);
      expect(typeof json.message).toBe("string");
    }
    expect(await countRecords(ctx.handle)).toEqual(before);
  });

  it("needs the documents scope", async () => {
    const { secret } = await createApiKey(ctx.handle.db, { projectId: ctx.project.id, name: "faces only", scopes: ["verify"] });
    const response = await post({ sessionId: "x", frontSideImageBase: specimen.genuine }, basic("", secret));
    expect(response.status).toBe(403);
    expect((await response.json()).message).toMatch(/documents/);
  });
});

describe("native document verification: selfie + document", () => {
  it("runs document liveness, the selfie against the document's portrait, and selfie liveness, each banded", async () => {
    const photo = samplePhoto("sample2.jpg");
    const face = (await analyzeFaces(photo, { liveness: false })).subject;
    const selfie = (await cropAround(photo, face.box, 0.8)).toString("base64");
    const response = await createVerification(
      new Request("http://vigil.test/api/v1/verifications", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ctx.secret}` },
        body: JSON.stringify({ selfie, document: specimen.genuine, externalRef: "applicant-1" }),
      }),
      undefined as never,
    );
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body.type).toBe("document_selfie");
    expect(body.checks.map((c: { check: string }) => c.check)).toEqual(["document_liveness", "face_match", "selfie_liveness"]);
    for (const check of body.checks) expect(["approve", "review", "reject"]).toContain(check.band);
    expect(body.checks[1].details.reference).toBe("document portrait");
    expect(body.images.map((i: { role: string }) => i.role).sort()).toEqual(["document", "portrait", "selfie"]);
  });

  it("refuses a document with a reference photo, and a document_selfie without a selfie", async () => {
    for (const [payload, field] of [
      [{ document: specimen.genuine, reference: specimen.genuine, selfie: specimen.genuine }, "reference"],
      [{ type: "document_selfie", document: specimen.genuine }, "selfie"],
    ] as const) {
      const response = await createVerification(
        new Request("http://vigil.test/api/v1/verifications", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ctx.secret}` }, body: JSON.stringify(payload) }),
        undefined as never,
      );
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatchObject({ code: "INVALID_REQUEST", details: { field } });
    }
  });
});
