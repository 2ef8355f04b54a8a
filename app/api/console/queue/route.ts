import { getDb } from "@/db/client";
import { requireUser } from "@/lib/auth/guard";
import { toErrorBody } from "@/lib/errors";
import { getQueueView, queueFiltersFrom } from "@/lib/review/queue-view";

export const dynamic = "force-dynamic";

/** The review queue for the console's polling: signed-in users only. */
export async function GET(request: Request): Promise<Response> {
  try {
    await requireUser();
    const filters = queueFiltersFrom(Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await getQueueView(await getDb(), filters), { headers: { "cache-control": "no-store" } });
  } catch (error) {
    const { status, body } = toErrorBody(error);
    if (status >= 500) console.error("vigil: queue poll failed:", error);
    return Response.json(body, { status });
  }
}
