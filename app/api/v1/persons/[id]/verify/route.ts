import { authenticateApiKey } from "@/lib/auth/api-keys";
import { readJson } from "@/lib/http/body";
import { apiKeyOf, getServices } from "@/lib/http/context";
import { nativeRoute, parseInput } from "@/lib/http/native";
import { faceToJson } from "@/lib/inference/serialize";
import type { VerifyPersonResponse } from "@/lib/openapi/responses";
import { verifyPersonByImage } from "@/lib/search/probe";
import { verifyPersonSchema } from "@/lib/search/native-input";

export const dynamic = "force-dynamic";

/** 1:1: is this photo the enrolled person? The best of their faces, banded by the project's policy. Stores nothing. */
export const POST = nativeRoute(async (request, _requestId, context: { params: Promise<{ id: string }> }) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id } = await context.params;
  const { image } = parseInput(verifyPersonSchema, await readJson(request));
  const result = await verifyPersonByImage(db, { projectId: caller.project.id, personId: id, image });
  return Response.json({
    personId: result.person.id,
    similarity: result.similarity,
    band: result.band,
    faceId: result.faceId,
    policyVersion: result.policyVersion,
    probe: { face: faceToJson(result.probe.subject), quality: result.probe.subject.quality },
  } satisfies VerifyPersonResponse);
});
