import { authenticateApiKey } from "@/lib/auth/api-keys";
import { readBody } from "@/lib/http/body";
import { apiKeyOf, getServices } from "@/lib/http/context";
import { nativeRoute } from "@/lib/http/native";
import { analyzeFaces } from "@/lib/inference";
import { analysisToJson } from "@/lib/inference/serialize";
import type { FaceLivenessResponse } from "@/lib/openapi/responses";
import { bandFor, getActivePolicy } from "@/lib/verification/policy";
import { parseImages } from "@/lib/verification/faces-input";

export const dynamic = "force-dynamic";

/** Passive selfie liveness of the subject face, banded by the project's policy. Stores nothing. */
export const POST = nativeRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "verify" });
  const { image } = parseImages(await readBody(request), ["image"]);
  const [analysis, policy] = await Promise.all([analyzeFaces(image), getActivePolicy(db, caller.project.id)]);
  const liveness = Math.round((analysis.subject.liveness ?? 0) * 10000) / 10000;
  return Response.json({ liveness, band: bandFor(liveness, policy.bands.selfie_liveness), policyVersion: policy.version, face: analysisToJson(analysis).subject } satisfies FaceLivenessResponse);
});
