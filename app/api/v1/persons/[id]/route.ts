import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { readJson } from "@/lib/http/body";
import { apiKeyOf, getServices, originOf } from "@/lib/http/context";
import { nativeRoute, parseInput } from "@/lib/http/native";
import { personUpdateSchema } from "@/lib/search/native-input";
import { deletePerson, getPerson, updatePerson } from "@/lib/search/persons";
import { presentPerson } from "@/lib/search/present";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** One enrolled person, with fresh signed URLs to their face images. */
export const GET = nativeRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id } = await context.params;
  return Response.json(presentPerson(await getPerson(db, caller.project.id, id), actorOf(caller), originOf(request)));
});

/** Changes a person's name, externalRef, metadata (replaced whole) or collections (replaced). */
export const PATCH = nativeRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id } = await context.params;
  const input = parseInput(personUpdateSchema, await readJson(request));
  const person = await updatePerson(db, { ...input, projectId: caller.project.id, personId: id, actor: actorOf(caller) });
  return Response.json(presentPerson(person, actorOf(caller), originOf(request)));
});

/** Deletes a person (204): their face images leave the store, their embeddings the index. */
export const DELETE = nativeRoute(async (request, _requestId, context: Context) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id } = await context.params;
  await deletePerson(db, store, { projectId: caller.project.id, personId: id, actor: actorOf(caller) });
  return new Response(null, { status: 204 });
});
