import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import { toErrorBody } from "@/lib/errors";
import { answerWith } from "@/lib/http/answer";
import { getQueueView, queueFiltersFrom } from "@/lib/review/queue-view";

export const dynamic = "force-dynamic";

/**
 * The review queue for the console's polling: signed-in users only. Errors as the native
 * API's (answerWith): a request id, and with the database away 503 DATABASE_UNAVAILABLE with
 * Retry-After, logged as one line per interval (the queue screen shows the error and polls
 * again every 5 s).
 */
export async function GET(request: Request): Promise<Response> {
  return answerWith(
    request,
    async () => {
      await requireUser();
      const filters = queueFiltersFrom(Object.fromEntries(new URL(request.url).searchParams));
      return Response.json(await getQueueView(await getDb(), filters), { headers: { "cache-control": "no-store" } });
    },
    (error, requestId) => {
      const { status, body } = toErrorBody(error);
      return { status, body: { ...body, requestId } };
    },
  );
}
