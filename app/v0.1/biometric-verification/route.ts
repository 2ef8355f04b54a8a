import { authenticateApiKey } from "@/lib/auth/api-keys";
import { kairosCredentials, kairosRoute, parseBiometricVerificationRequest, runBiometricVerification } from "@/lib/compat/kairos";
import { readBody } from "@/lib/http/body";
import { getServices, idempotencyKeyOf, verificationHeaders } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** Kairos-compatible selfie + photo verification (`app_id`: project slug, `app_key`: Vigil API key). */
export const POST = kairosRoute(async (request, requestId) => {
  const requestedAt = new Date();
  const { db, store } = await getServices();
  const { appId, appKey } = kairosCredentials(request);
  const caller = await authenticateApiKey(db, appKey, { projectSlug: appId, scope: "verify" });
  const input = parseBiometricVerificationRequest(await readBody(request, ["form"]));
  const { record, replayed, body } = await runBiometricVerification(db, store, caller, input, { requestId, requestedAt, idempotencyKey: idempotencyKeyOf(request) });
  return Response.json(body, { headers: verificationHeaders(record, replayed) });
});
