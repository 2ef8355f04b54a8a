import { authenticateApiKey } from "@/lib/auth/api-keys";
import { verifikRoute } from "@/lib/compat/verifik";
import { parseVerifikLiveSearch, verifikLiveSearch } from "@/lib/compat/verifik-search";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices, originOf } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** Verifik-compatible liveness then 1:N search; a probe that fails liveness gets no persons. Stores nothing. */
export const POST = verifikRoute(async (request, requestId) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const input = parseVerifikLiveSearch(await readBody(request, ["json"]));
  return Response.json(await verifikLiveSearch(db, caller, input, { requestId, origin: originOf(request) }));
});
