import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { apiKeyOf, getServices } from "@/lib/http/context";
import { nativeRoute } from "@/lib/http/native";
import { deleteFace } from "@/lib/search/persons";

export const dynamic = "force-dynamic";

/** Removes one enrolled face, its image and its embedding (204); a person keeps at least one. */
export const DELETE = nativeRoute(async (request, _requestId, context: { params: Promise<{ id: string; faceId: string }> }) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const { id, faceId } = await context.params;
  await deleteFace(db, store, { projectId: caller.project.id, personId: id, faceId, actor: actorOf(caller) });
  return new Response(null, { status: 204 });
});
