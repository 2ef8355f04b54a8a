import { authenticateApiKey } from "@/lib/auth/api-keys";
import { compareWithLiveness, parseCompareWithLivenessRequest, verifikRoute } from "@/lib/compat/verifik";
import { readBody } from "@/lib/http/body";
import { bearerToken, getServices, idempotencyKeyOf, verificationHeaders } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** Verifik-compatible 1:N face comparison with liveness (`Authorization: Bearer <Vigil API key>`). */
export const POST = verifikRoute(async (request, requestId) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, bearerToken(request), { scope: "verify" });
  const input = parseCompareWithLivenessRequest(await readBody(request, ["json"]));
  const { record, replayed, body } = await compareWithLiveness(db, store, caller, input, requestId, idempotencyKeyOf(request));
  return Response.json(body, { headers: verificationHeaders(record, replayed) });
});
