import { authenticateApiKey } from "@/lib/auth/api-keys";
import { verifikRoute } from "@/lib/compat/verifik";
import { createVerifikPerson, listVerifikPersons, parseVerifikPerson, parseVerifikPersonList } from "@/lib/compat/verifik-search";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices, originOf } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** Verifik-compatible list of enrolled persons (`page`, `limit`, `collection`). */
export const GET = verifikRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const query = parseVerifikPersonList(new URL(request.url));
  return Response.json(await listVerifikPersons(db, caller, query, originOf(request)));
});

/** Verifik-compatible enrollment of a person with their face images. */
export const POST = verifikRoute(async (request) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const input = parseVerifikPerson(await readBody(request, ["json"]));
  return Response.json(await createVerifikPerson(db, store, caller, input, originOf(request)));
});
