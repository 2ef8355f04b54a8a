import { AppError } from "@/lib/errors";
import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { apiKeyOf, getServices, originOf } from "@/lib/http/context";
import { nativeRoute } from "@/lib/http/native";
import { presentVerification } from "@/lib/verification/present";
import { getVerification } from "@/lib/verification/service";

export const dynamic = "force-dynamic";

/** One verification of the caller's project, with fresh signed image URLs. */
export const GET = nativeRoute(async (request, _requestId, context: { params: Promise<{ id: string }> }) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request));
  const { id } = await context.params;
  const record = await getVerification(db, caller.project.id, id);
  if (!record) throw new AppError("NOT_FOUND", `No verification ${id} in this project.`);
  return Response.json(presentVerification(record, actorOf(caller), originOf(request)));
});
