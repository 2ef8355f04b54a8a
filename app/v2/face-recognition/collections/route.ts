import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { verifikRoute } from "@/lib/compat/verifik";
import { parseVerifikCollection, presentVerifikCollection } from "@/lib/compat/verifik-search";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices } from "@/lib/http/context";
import { createCollection, listCollections } from "@/lib/search/collections";

export const dynamic = "force-dynamic";

/** Verifik-compatible list of the project's collections. */
export const GET = verifikRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const rows = await listCollections(db, caller.project.id);
  return Response.json({ data: rows.map((c) => presentVerifikCollection(c)) });
});

/** Verifik-compatible collection creation: its `code` is what other requests call `collection_id`. */
export const POST = verifikRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const input = parseVerifikCollection(await readBody(request, ["json"]), { create: true });
  const collection = await createCollection(db, { name: input.name!, description: input.description, projectId: caller.project.id, actor: actorOf(caller) });
  return Response.json({ data: presentVerifikCollection(collection) });
});
