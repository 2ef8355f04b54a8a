import { authenticateApiKey } from "@/lib/auth/api-keys";
import { verifikRoute } from "@/lib/compat/verifik";
import { parseVerifikVerify, verifikVerify } from "@/lib/compat/verifik-search";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices, originOf } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** Verifik-compatible 1:1 of 1-3 photos against an enrolled person. Stores nothing. */
export const POST = verifikRoute(async (request, requestId) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "search" });
  const input = parseVerifikVerify(await readBody(request, ["json"]));
  return Response.json(await verifikVerify(db, caller, input, { requestId, origin: originOf(request) }));
});
