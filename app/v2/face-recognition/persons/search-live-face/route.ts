import { authenticateApiKey } from "@/lib/auth/api-keys";
import { verifikRoute } from "@/lib/compat/verifik";
import { createPersonWithLiveness, parseCreateWithLiveness } from "@/lib/compat/verifik-search";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices, originOf } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** Verifik-compatible enrollment with liveness and a duplicate check in the collection. */
export const POST = verifikRoute(async (request, requestId) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const input = parseCreateWithLiveness(await readBody(request, ["json"]));
  return Response.json(await createPersonWithLiveness(db, store, caller, input, requestId, originOf(request)));
});
