import { eq } from "drizzle-orm";
import { images, personFaces } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { getServices } from "@/lib/http/context";
import { nativeRoute } from "@/lib/http/native";
import { appendAudit } from "@/lib/review/audit";
import type { AuditInput } from "@/lib/review/audit";
import { getStorageKey } from "@/lib/storage/keys";
import { urlSigningKey, verifyImageGrant } from "@/lib/storage/signed-urls";

export const dynamic = "force-dynamic";

const contentTypes: Record<string, string> = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

const gone = () => new AppError("NOT_FOUND", "The image does not exist or was purged.");

/**
 * Serves one image to the holder of a signed, unexpired URL, and records the view in the
 * audit trail under the actor the URL was made for: a verification's image (`img_...`) or an
 * enrolled person's face (`face_...`).
 */
export const GET = nativeRoute(async (request, _requestId, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  const check = verifyImageGrant(urlSigningKey(getStorageKey()), id, new URL(request.url).searchParams);
  if (!check.ok) {
    throw new AppError(check.reason === "URL_EXPIRED" ? "FORBIDDEN" : "UNAUTHORIZED", check.reason === "URL_EXPIRED" ? "This image link has expired." : "This image link is not valid.");
  }
  const { db, store } = await getServices();
  let found: { storageKey: string; format: string; audit: AuditInput };
  if (id.startsWith("face_")) {
    const [face] = await db.select({ personId: personFaces.personId, projectId: personFaces.projectId, storageKey: personFaces.storageKey, format: personFaces.format }).from(personFaces).where(eq(personFaces.id, id)).limit(1);
    // A face imported as an embedding has no image; a deleted person's faces are gone.
    if (!face?.storageKey) throw gone();
    found = { storageKey: face.storageKey, format: face.format ?? "", audit: { actor: check.grant.actor, action: "image.viewed", projectId: face.projectId, after: { faceId: id, personId: face.personId } } };
  } else {
    const [image] = await db.select().from(images).where(eq(images.id, id)).limit(1);
    if (!image || image.purgedAt) throw gone();
    found = { storageKey: image.storageKey, format: image.format, audit: { actor: check.grant.actor, action: "image.viewed", projectId: image.projectId, verificationId: image.verificationId, after: { imageId: image.id, role: image.role } } };
  }
  const bytes = await store.get(found.storageKey).catch((error: unknown) => {
    // A person deleted after their face was read: deletePerson removes the files first.
    if (id.startsWith("face_") && (error as NodeJS.ErrnoException).code === "ENOENT") throw gone();
    throw error;
  });
  await db.transaction((tx) => appendAudit(tx, found.audit));
  return new Response(new Uint8Array(bytes), {
    headers: {
      "content-type": contentTypes[found.format] ?? "application/octet-stream",
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
      "content-disposition": "inline",
    },
  });
});
