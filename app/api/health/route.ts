import { getModelStatus } from "@/lib/inference/status";

export const dynamic = "force-dynamic";

/** Liveness probe for load balancers: 200 when the models are loaded, 503 otherwise. */
export async function GET() {
  const status = await getModelStatus();
  return Response.json(
    { status: status.ready ? "ok" : "unavailable", workers: status.workers, error: status.error, models: status.models },
    { status: status.ready ? 200 : 503 },
  );
}
