import { pingDatabase } from "@/db/client";
import { DATABASE_RETRY_AFTER_SECONDS } from "@/lib/errors";
import { getModelStatus } from "@/lib/inference/status";
import { pendingStagedImages } from "@/lib/verification/staged-images";

export const dynamic = "force-dynamic";

/**
 * Health probe for load balancers: 200 when the models are loaded and the database answers,
 * 503 otherwise (with Retry-After), so an instance whose database is away is taken out of
 * rotation and comes back by itself when it answers again.
 */
export async function GET() {
  const [status, database] = await Promise.all([getModelStatus(), pingDatabase()]);
  const ready = status.ready && database.up;
  return Response.json(
    {
      status: ready ? "ok" : "unavailable",
      database: { status: database.up ? "up" : "down", kind: database.kind, ms: database.ms, reason: database.reason, stagedImagesInDoubt: pendingStagedImages() },
      workers: status.workers,
      error: status.error ?? (database.up ? null : "The database does not answer."),
      models: status.models,
    },
    { status: ready ? 200 : 503, headers: { "cache-control": "no-store", ...(ready ? {} : { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) }) } },
  );
}
