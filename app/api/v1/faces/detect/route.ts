import { authenticateApiKey } from "@/lib/auth/api-keys";
import { readBody } from "@/lib/http/body";
import { apiKeyOf, getServices } from "@/lib/http/context";
import { nativeRoute } from "@/lib/http/native";
import { analyzeFaces } from "@/lib/inference";
import { analysisToJson } from "@/lib/inference/serialize";
import type { DetectFacesResponse } from "@/lib/openapi/responses";
import { parseImages } from "@/lib/verification/faces-input";

export const dynamic = "force-dynamic";

/** Every face in one image: boxes, scores, five landmarks, and the subject's quality. Stores nothing. */
export const POST = nativeRoute(async (request) => {
  const { db } = await getServices();
  await authenticateApiKey(db, apiKeyOf(request), { scope: "verify" });
  const { image } = parseImages(await readBody(request), ["image"]);
  const analysis = await analyzeFaces(image, { liveness: false });
  // Liveness was not run: the subject leaves without the field rather than with a null.
  const { subject, ...rest } = analysisToJson(analysis);
  const { liveness: _notRun, ...face } = subject;
  return Response.json({ ...rest, subject: face } satisfies DetectFacesResponse);
});
