import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { readJson } from "@/lib/http/body";
import { apiKeyOf, getServices, originOf } from "@/lib/http/context";
import { nativeRoute, parseInput } from "@/lib/http/native";
import { addFacesSchema } from "@/lib/search/native-input";
import { addFaces } from "@/lib/search/persons";
import { presentPerson } from "@/lib/search/present";

export const dynamic = "force-dynamic";

/** Adds 1-5 face images to an enrolled person (each must match the person); answers the person. */
export const POST = nativeRoute(async (request, _requestId, context: { params: Promise<{ id: string }> }) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id } = await context.params;
  const input = parseInput(addFacesSchema, await readJson(request));
  const person = await addFaces(db, store, { projectId: caller.project.id, personId: id, actor: actorOf(caller), images: input.images });
  return Response.json(presentPerson(person, actorOf(caller), originOf(request)), { status: 201 });
});
