import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { readJson } from "@/lib/http/body";
import { apiKeyOf, getServices, originOf } from "@/lib/http/context";
import { nativeRoute, parseInput } from "@/lib/http/native";
import { searchSchema } from "@/lib/search/native-input";
import { presentSearch } from "@/lib/search/present";
import { searchByImage } from "@/lib/search/probe";

export const dynamic = "force-dynamic";

/**
 * 1:N face search: the enrolled persons most similar to the probe, best first, each with
 * their best-matching face. `liveness` checks the probe first (a probe in the reject band
 * gets no candidates); `faceCrop` takes a tight face crop as the probe. Stores nothing.
 */
export const POST = nativeRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const input = parseInput(searchSchema, await readJson(request));
  const result = await searchByImage(db, {
    projectId: caller.project.id,
    image: input.image,
    collections: input.collections ?? null,
    limit: input.limit,
    mode: input.mode,
    minSimilarity: input.minSimilarity ?? null,
    liveness: input.liveness,
    faceCrop: input.faceCrop,
  });
  return Response.json(presentSearch(result, input.mode, actorOf(caller), originOf(request)));
});
