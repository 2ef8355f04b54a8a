import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VigilApiError } from "@/lib/client";
import { auditEvents, reviewCases } from "@/db/schema";
import type { ConsoleUser } from "@/lib/auth/users";
import { isAppError } from "@/lib/errors";
import { analyzeFaces } from "@/lib/inference";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import type { ApiTestContext, BadInputs } from "@/lib/testing/api";
import { apiClient, countRecords, makeBadInputs, setupApiTest } from "@/lib/testing/api";
import { errorCodeOf } from "@/lib/testing/errors";
import { listVerifyProjects, runManualVerification } from "./manual";

const operator: ConsoleUser = { id: "usr_operator", email: "op@vigil.test", name: "Operator", role: "reviewer", actor: "user:usr_operator" };

let ctx: ApiTestContext;
let bad: BadInputs;
let selfie: Buffer;
let reference: Buffer;

/** The native API's `{ code, message }` for a multipart face match with liveness on these files (through the typed client). */
async function nativeError(files: { selfie: Buffer; reference?: Buffer }): Promise<{ code: string; message: string }> {
  const error = await apiClient(ctx.secret)
    .createVerification({ type: "face_match_liveness", selfie: new Uint8Array(files.selfie), ...(files.reference ? { reference: new Uint8Array(files.reference) } : {}) })
    .then(
      () => null,
      (e: unknown) => e,
    );
  if (!(error instanceof VigilApiError)) throw new Error(`expected a refusal, got ${String(error)}`);
  expect(error.status).toBeGreaterThanOrEqual(400);
  return { code: error.code, message: error.message };
}

/** The AppError `{ code, message }` a console verification with these files fails with. */
async function manualError(files: { selfie: Buffer; reference: Buffer | null }): Promise<{ code: string; message: string }> {
  try {
    await runManualVerification(ctx.handle.db, ctx.store, { user: operator, projectId: ctx.project.id, type: "face_match_liveness", ...files });
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("the verification succeeded");
}

beforeAll(async () => {
  ctx = await setupApiTest();
  bad = await makeBadInputs(ctx);
  // Two crops of the same face of a sample photo: a selfie and a tighter, smaller reference.
  const photo = samplePhoto("sample5.jpg");
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  selfie = await cropAround(photo, faces[0].box, 0.8);
  reference = await cropAround(photo, faces[0].box, 0.5, 60);
});

afterAll(async () => ctx?.close());

describe("runManualVerification", () => {
  it("lists every project for the operator to choose from", async () => {
    expect((await listVerifyProjects(ctx.handle.db)).map((p) => p.slug)).toEqual(["acme", "other"]);
  });

  it("makes a console record of a good pair, with the operator as the actor in the audit trail", async () => {
    const record = await runManualVerification(ctx.handle.db, ctx.store, {
      user: operator,
      projectId: ctx.project.id,
      type: "face_match_liveness",
      selfie,
      reference,
      externalRef: "  CASE-2291 ",
    });
    expect(record.source).toBe("console");
    expect(record.projectId).toBe(ctx.project.id);
    expect(record.apiKeyId).toBeNull();
    expect(record.externalRef).toBe("CASE-2291");
    expect(record.images.map((i) => i.role).sort()).toEqual(["reference", "selfie"]);
    const match = record.checks.find((c) => c.check === "face_match");
    expect(match?.score).toBeGreaterThanOrEqual(0.55);
    expect(match?.band).toBe("approve");
    expect(record.checks.map((c) => c.check)).toEqual(["face_match", "selfie_liveness"]);
    // A review-band record opens a case; any other band does not.
    const cases = await ctx.handle.db.select().from(reviewCases).where(eq(reviewCases.verificationId, record.id));
    expect(cases.length).toBe(record.band === "review" ? 1 : 0);
    expect(record.reviewCaseId).toBe(cases[0]?.id ?? null);
    const events = await ctx.handle.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.verificationId, record.id), eq(auditEvents.action, "verification.created")));
    expect(events.map((e) => e.actor)).toEqual(["user:usr_operator"]);
  });

  it("runs selfie liveness alone without storing the reference", async () => {
    const record = await runManualVerification(ctx.handle.db, ctx.store, { user: operator, projectId: ctx.project.id, type: "selfie_liveness", selfie, reference });
    expect(record.checks.map((c) => c.check)).toEqual(["selfie_liveness"]);
    expect(record.images.map((i) => i.role)).toEqual(["selfie"]);
  });

  it("fails a GIF or a faceless image with the native API's code and message, and writes nothing", async () => {
    const before = await countRecords(ctx.handle);
    const gifSelfie = await manualError({ selfie: bad.gif, reference });
    expect(gifSelfie.code).toBe("UNSUPPORTED_FORMAT");
    expect(gifSelfie).toEqual(await nativeError({ selfie: bad.gif, reference }));
    const gifReference = await manualError({ selfie, reference: bad.gif });
    expect(gifReference.code).toBe("UNSUPPORTED_FORMAT");
    expect(gifReference).toEqual(await nativeError({ selfie, reference: bad.gif }));
    const faceless = await manualError({ selfie: bad.faceless, reference });
    expect(faceless.code).toBe("NO_FACE_FOUND");
    expect(faceless).toEqual(await nativeError({ selfie: bad.faceless, reference }));
    expect(await countRecords(ctx.handle)).toEqual(before);
  });

  it("refuses a missing reference, an oversized image and an unknown project before any inference", async () => {
    const before = await countRecords(ctx.handle);
    const input = { user: operator, projectId: ctx.project.id, type: "face_match" as const, selfie, reference };
    expect(await manualError({ selfie, reference: null })).toEqual(await nativeError({ selfie }));
    // 16 MiB behind a JPEG header: over the default 15 MiB image limit.
    const huge = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(16 * 1024 * 1024, 7)]);
    const tooLarge = await manualError({ selfie: huge, reference });
    expect(tooLarge.code).toBe("IMAGE_TOO_LARGE");
    expect(tooLarge).toEqual(await nativeError({ selfie: huge, reference }));
    expect(await errorCodeOf(() => runManualVerification(ctx.handle.db, ctx.store, { ...input, externalRef: "x".repeat(201) }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => runManualVerification(ctx.handle.db, ctx.store, { ...input, projectId: "prj_missing" }))).toBe("NOT_FOUND");
    expect(await countRecords(ctx.handle)).toEqual(before);
  });
});
