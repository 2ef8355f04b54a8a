import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { readJson } from "@/lib/http/body";
import { apiKeyOf, getServices } from "@/lib/http/context";
import { nativeRoute, parseInput } from "@/lib/http/native";
import { deleteCollection, getCollection, updateCollection } from "@/lib/search/collections";
import { collectionUpdateSchema } from "@/lib/search/native-input";
import { presentCollection } from "@/lib/search/present";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** One collection of the caller's project, by id or code. */
export const GET = nativeRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id } = await context.params;
  return Response.json(presentCollection(await getCollection(db, caller.project.id, id)));
});

/** Renames a collection or changes its description. */
export const PATCH = nativeRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id } = await context.params;
  const input = parseInput(collectionUpdateSchema, await readJson(request));
  const collection = await updateCollection(db, { ...input, projectId: caller.project.id, idOrCode: id, actor: actorOf(caller) });
  return Response.json(presentCollection(collection));
});

/** Deletes a collection (204); its persons stay enrolled. */
export const DELETE = nativeRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id } = await context.params;
  await deleteCollection(db, { projectId: caller.project.id, idOrCode: id, actor: actorOf(caller) });
  return new Response(null, { status: 204 });
});
