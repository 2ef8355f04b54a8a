import { eq } from "drizzle-orm";
import { images } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { getServices } from "@/lib/http/context";
import { nativeRoute } from "@/lib/http/native";
import { appendAudit } from "@/lib/review/audit";
import { getStorageKey } from "@/lib/storage/keys";
import { urlSigningKey, verifyImageGrant } from "@/lib/storage/signed-urls";

export const dynamic = "force-dynamic";

const contentTypes: Record<string, string> = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

/**
 * Serves one image to the holder of a signed, unexpired URL, and records the view in the
 * audit trail under the actor the URL was made for.
 */
export const GET = nativeRoute(async (request, _requestId, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  const check = verifyImageGrant(urlSigningKey(getStorageKey()), id, new URL(request.url).searchParams);
  if (!check.ok) {
    throw new AppError(check.reason === "URL_EXPIRED" ? "FORBIDDEN" : "UNAUTHORIZED", check.reason === "URL_EXPIRED" ? "This image link has expired." : "This image link is not valid.");
  }
  const { db, store } = await getServices();
  const [image] = await db.select().from(images).where(eq(images.id, id)).limit(1);
  if (!image || image.purgedAt) throw new AppError("NOT_FOUND", "The image does not exist or was purged.");
  const bytes = await store.get(image.storageKey);
  await db.transaction((tx) =>
    appendAudit(tx, { actor: check.grant.actor, action: "image.viewed", projectId: image.projectId, verificationId: image.verificationId, after: { imageId: image.id, role: image.role } }),
  );
  return new Response(new Uint8Array(bytes), {
    headers: {
      "content-type": contentTypes[image.format] ?? "application/octet-stream",
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
      "content-disposition": "inline",
    },
  });
});
