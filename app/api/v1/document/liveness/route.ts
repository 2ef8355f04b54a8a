import { authenticateApiKey } from "@/lib/auth/api-keys";
import { basicCredentials, documentLivenessRoute, parseDocumentLivenessRequest, runDocumentLiveness } from "@/lib/compat/document-liveness";
import { readBody } from "@/lib/http/body";
import { getServices, idempotencyKeyOf, verificationHeaders } from "@/lib/http/context";

export const dynamic = "force-dynamic";

/** Document passive liveness in the vendor's shape (Basic auth: project slug and a `documents`-scoped API key). */
export const POST = documentLivenessRoute(async (request, requestId, echo) => {
  const { db, store } = await getServices();
  const { user, password } = basicCredentials(request);
  const caller = await authenticateApiKey(db, password, { projectSlug: user || null, scope: "documents" });
  const input = parseDocumentLivenessRequest(await readBody(request, ["json"]), echo);
  const { record, replayed, body } = await runDocumentLiveness(db, store, caller, input, requestId, idempotencyKeyOf(request));
  return Response.json(body, { headers: verificationHeaders(record, replayed) });
});
