import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { verifikRoute } from "@/lib/compat/verifik";
import { deleteVerifikPerson, parseVerifikPersonChanges, presentVerifikPerson, updateVerifikPerson } from "@/lib/compat/verifik-search";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices, originOf } from "@/lib/http/context";
import { getPerson } from "@/lib/search/persons";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };

/** Verifik-compatible person, with signed thumbnail URLs. */
export const GET = verifikRoute(async (request, _requestId, context: Context) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const { id } = await context.params;
  return Response.json({ data: presentVerifikPerson(await getPerson(db, caller.project.id, id), actorOf(caller), originOf(request)) });
});

/** Changes the fields sent; `images` are added to the person's faces. */
export const PUT = verifikRoute(async (request, _requestId, context: Context) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const { id } = await context.params;
  const changes = parseVerifikPersonChanges(await readBody(request, ["json"]));
  return Response.json(await updateVerifikPerson(db, store, caller, id, changes, originOf(request)));
});

/** Deletes the person with their face images and embeddings. */
export const DELETE = verifikRoute(async (request, _requestId, context: Context) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const { id } = await context.params;
  return Response.json(await deleteVerifikPerson(db, store, caller, id, originOf(request)));
});
