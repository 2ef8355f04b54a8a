import { authenticateApiKey } from "@/lib/auth/api-keys";
import { readBody } from "@/lib/http/body";
import { apiKeyOf, getServices } from "@/lib/http/context";
import { nativeRoute } from "@/lib/http/native";
import { compareFaces } from "@/lib/inference";
import { analysisToJson } from "@/lib/inference/serialize";
import type { CompareFacesResponse } from "@/lib/openapi/responses";
import { getActivePolicy, bandFor } from "@/lib/verification/policy";
import { parseImages } from "@/lib/verification/faces-input";

export const dynamic = "force-dynamic";

/** 1:1 similarity of the subjects of two images, banded by the project's policy. Stores nothing. */
export const POST = nativeRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "verify" });
  const { image1, image2 } = parseImages(await readBody(request), ["image1", "image2"]);
  const [result, policy] = await Promise.all([compareFaces(image1, image2, { liveness: false }), getActivePolicy(db, caller.project.id)]);
  const similarity = Math.round(result.similarity * 10000) / 10000;
  return Response.json({
    similarity,
    band: bandFor(similarity, policy.bands.face_match),
    policyVersion: policy.version,
    image1: analysisToJson(result.probe),
    image2: analysisToJson(result.reference),
  } satisfies CompareFacesResponse);
});
