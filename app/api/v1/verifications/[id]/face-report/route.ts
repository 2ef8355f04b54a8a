import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { getFaceReport } from "@/lib/compat/face-report";
import { apiKeyOf, getServices, originOf } from "@/lib/http/context";
import { nativeRoute } from "@/lib/http/native";

export const dynamic = "force-dynamic";

/** The facial similarity report of one verification of the caller's project, with fresh signed image URLs. */
export const GET = nativeRoute(async (request, _requestId, context: { params: Promise<{ id: string }> }) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request));
  const { id } = await context.params;
  return Response.json(await getFaceReport(db, caller.project.id, id, actorOf(caller), originOf(request)));
});
