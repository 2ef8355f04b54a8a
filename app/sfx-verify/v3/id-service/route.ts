import { authenticateApiKey } from "@/lib/auth/api-keys";
import { parsePassiveLivenessRequest, runPassiveLiveness, sfxCredentials, sfxRoute } from "@/lib/compat/sfx";
import { readBody } from "@/lib/http/body";
import { getServices, idempotencyKeyOf, verificationHeaders } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** verified.africa-compatible passive selfie liveness (`Userid`: project slug, `ApiKey`: Vigil API key). */
export const POST = sfxRoute(async (request, requestId, echo) => {
  const { db, store } = await getServices();
  const { userId, apiKey } = sfxCredentials(request);
  const caller = await authenticateApiKey(db, apiKey, { projectSlug: userId, scope: "verify" });
  const input = parsePassiveLivenessRequest(await readBody(request, ["json"]), echo);
  const { record, replayed, body } = await runPassiveLiveness(db, store, caller, input, requestId, idempotencyKeyOf(request));
  return Response.json(body, { headers: verificationHeaders(record, replayed) });
});
