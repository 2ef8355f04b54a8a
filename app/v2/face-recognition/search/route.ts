import { authenticateApiKey } from "@/lib/auth/api-keys";
import { verifikRoute } from "@/lib/compat/verifik";
import { parseVerifikSearch, verifikSearch } from "@/lib/compat/verifik-search";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices, originOf } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** Verifik-compatible 1:N search with 1-3 photos of one person. Stores nothing. */
export const POST = verifikRoute(async (request, requestId) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const input = parseVerifikSearch(await readBody(request, ["json"]), { crops: false });
  return Response.json(await verifikSearch(db, caller, input, { faceCrop: false, requestId, origin: originOf(request) }));
});
