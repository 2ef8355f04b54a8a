import { metricsRoute } from "@/lib/metrics/endpoint";

export const dynamic = "force-dynamic";

/** Prometheus metrics behind VIGIL_METRICS_TOKEN (lib/metrics/endpoint.ts). */
export const GET = metricsRoute();
