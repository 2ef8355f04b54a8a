import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { verifikRoute } from "@/lib/compat/verifik";
import { parseVerifikCollection, presentVerifikCollection } from "@/lib/compat/verifik-search";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices } from "@/lib/http/context";
import { deleteCollection, getCollection, updateCollection } from "@/lib/search/collections";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** Verifik-compatible collection by `_id` or `code`. */
export const GET = verifikRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const { id } = await context.params;
  return Response.json({ data: presentVerifikCollection(await getCollection(db, caller.project.id, id)) });
});

export const PUT = verifikRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const { id } = await context.params;
  const input = parseVerifikCollection(await readBody(request, ["json"]), { create: false });
  const collection = await updateCollection(db, { ...input, projectId: caller.project.id, idOrCode: id, actor: actorOf(caller) });
  return Response.json({ data: presentVerifikCollection(collection) });
});

/** Deletes the collection (its persons stay enrolled) and answers it with `deleted: true`. */
export const DELETE = verifikRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const { id } = await context.params;
  const collection = await deleteCollection(db, { projectId: caller.project.id, idOrCode: id, actor: actorOf(caller) });
  return Response.json({ data: presentVerifikCollection(collection, { deleted: true }) });
});
