import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { readJson } from "@/lib/http/body";
import { apiKeyOf, getServices } from "@/lib/http/context";
import { nativeRoute, parseInput } from "@/lib/http/native";
import { createCollection, listCollections } from "@/lib/search/collections";
import { collectionCreateSchema } from "@/lib/search/native-input";
import type { CollectionList } from "@/lib/openapi/responses";
import { presentCollection } from "@/lib/search/present";

export const dynamic = "force-dynamic";

/** The project's collections, oldest first, each with its number of persons. */
export const GET = nativeRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const rows = await listCollections(db, caller.project.id);
  return Response.json({ object: "list", data: rows.map(presentCollection) } satisfies CollectionList);
});

/** Creates a collection: a named set of persons that searches can be limited to. */
export const POST = nativeRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const input = parseInput(collectionCreateSchema, await readJson(request));
  const collection = await createCollection(db, { ...input, projectId: caller.project.id, actor: actorOf(caller) });
  return Response.json(presentCollection(collection), { status: 201 });
});
