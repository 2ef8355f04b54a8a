import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { getDb } from "@/db/client";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { bearerToken } from "@/lib/http/context";
import { getModelStatus } from "@/lib/inference/status";
import { nativeRoute } from "@/lib/http/native";
import { getRetentionStats } from "@/lib/retention/job";
import { collectMetricFamilies } from "./collect";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus";

/**
 * Compares a presented token with the configured one in constant time: both are hashed first,
 * so neither the content nor the length of the secret leaks through timing.
 */
export function metricsTokenMatches(presented: string | null, expected: string): boolean {
  if (!presented) return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface MetricsRouteOptions {
  /** How many inference workers are ready; null when unknown. */
  inferenceWorkersReady?: () => Promise<number | null>;
}

/**
 * Ready inference workers, as /api/health sees them, without letting a scrape wait more than
 * a second for models that are still loading (null then).
 */
async function readyInferenceWorkers(): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((done) => {
    timer = setTimeout(() => done(null), 1000);
  });
  try {
    return await Promise.race([getModelStatus().then((s) => (s.ready ? s.workers : 0)), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /api/metrics: Prometheus text behind `Authorization: Bearer <VIGIL_METRICS_TOKEN>`.
 * Without the setting the endpoint does not exist (404 saying how to turn it on); a missing or
 * wrong token is 401. Errors have the native shape `{ error: { code, message }, requestId }`.
 */
export function metricsRoute(options: MetricsRouteOptions = {}) {
  const workersReady = options.inferenceWorkersReady ?? readyInferenceWorkers;
  return nativeRoute(async (request) => {
    const token = getEnv().VIGIL_METRICS_TOKEN;
    if (!token) {
      throw new AppError("NOT_FOUND", "Metrics are off. Set VIGIL_METRICS_TOKEN to a secret of at least 16 characters and scrape /api/metrics with the header Authorization: Bearer <token>.");
    }
    if (!metricsTokenMatches(bearerToken(request), token)) {
      throw new AppError("UNAUTHORIZED", "Send the metrics token as Authorization: Bearer <VIGIL_METRICS_TOKEN>.");
    }
    const families = await collectMetricFamilies(await getDb(), { inferenceWorkersReady: await workersReady(), retention: getRetentionStats() });
    return new Response(renderPrometheus(families), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" } });
  });
}
