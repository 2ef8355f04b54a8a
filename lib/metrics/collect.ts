import "server-only";
import { asc, count, eq, isNull, min, ne, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { apiKeys, images, projects, reviewCases, verifications } from "@/db/schema";
import type { RetentionStats } from "@/lib/retention/job";
import type { MetricFamily } from "./prometheus";

export interface ProcessFacts {
  /** Inference workers with their models loaded; null when unknown (still starting). */
  inferenceWorkersReady: number | null;
  retention: RetentionStats;
  now?: Date;
}

const gauge = (name: string, help: string, samples: MetricFamily["samples"]): MetricFamily => ({ name, help, type: "gauge", samples });
const counter = (name: string, help: string, samples: MetricFamily["samples"]): MetricFamily => ({ name, help, type: "counter", samples });

/**
 * The metric families /api/metrics exposes: database-wide figures (every instance reports the
 * same; aggregate them with max, not sum) and this process's own (retention runs, memory, CPU).
 * Seven aggregate queries, no per-row work in JavaScript.
 */
export async function collectMetricFamilies(db: Database, facts: ProcessFacts): Promise<MetricFamily[]> {
  const now = facts.now ?? new Date();
  const projectRows = await db.select({ id: projects.id, slug: projects.slug, retentionDays: projects.imageRetentionDays }).from(projects).orderBy(asc(projects.slug));
  const slug = new Map(projectRows.map((p) => [p.id, p.slug]));
  const project = (id: string) => slug.get(id) ?? id;

  const byBand = await db
    .select({ projectId: verifications.projectId, band: verifications.band, n: count() })
    .from(verifications)
    .groupBy(verifications.projectId, verifications.band);
  const byStatus = await db
    .select({ projectId: verifications.projectId, status: verifications.status, n: count() })
    .from(verifications)
    .groupBy(verifications.projectId, verifications.status);
  const waiting = await db
    .select({ projectId: reviewCases.projectId, n: count(), oldest: min(reviewCases.createdAt) })
    .from(reviewCases)
    .where(ne(reviewCases.status, "decided"))
    .groupBy(reviewCases.projectId);
  const decisions = await db
    .select({ projectId: reviewCases.projectId, decision: reviewCases.decision, n: count() })
    .from(reviewCases)
    .where(eq(reviewCases.status, "decided"))
    .groupBy(reviewCases.projectId, reviewCases.decision);
  const keys = await db.select({ projectId: apiKeys.projectId, n: count() }).from(apiKeys).where(isNull(apiKeys.revokedAt)).groupBy(apiKeys.projectId);
  // Past retention: stored images older than their project's retention, which the hourly job
  // should have purged. A figure that stays above 0 means the job is not running or failing.
  const stored = await db
    .select({
      projectId: images.projectId,
      stored: count(),
      pastRetention: sql<number>`count(*) filter (where ${images.createdAt} < ${now.toISOString()}::timestamptz - make_interval(days => ${projects.imageRetentionDays}))`.mapWith(Number),
    })
    .from(images)
    .innerJoin(projects, eq(projects.id, images.projectId))
    .where(isNull(images.purgedAt))
    .groupBy(images.projectId, projects.imageRetentionDays);

  const waitingOf = new Map(waiting.map((w) => [w.projectId, w]));
  const keysOf = new Map(keys.map((k) => [k.projectId, k.n]));
  const storedOf = new Map(stored.map((s) => [s.projectId, s]));
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const retention = facts.retention;

  return [
    counter(
      "vigil_verifications_total",
      "Verifications created, by project and automatic band (none: not finished). The band never changes, so this only grows.",
      byBand.map((r) => ({ labels: { project: project(r.projectId), band: r.band ?? "none" }, value: r.n })),
    ),
    gauge(
      "vigil_verifications",
      "Verifications by project and current status (in_review moves to approved, rejected or resubmission_requested when a reviewer decides).",
      byStatus.map((r) => ({ labels: { project: project(r.projectId), status: r.status }, value: r.n })),
    ),
    gauge(
      "vigil_review_cases_waiting",
      "Review cases not decided yet (open, claimed or awaiting a second reviewer), by project.",
      projectRows.map((p) => ({ labels: { project: p.slug }, value: waitingOf.get(p.id)?.n ?? 0 })),
    ),
    gauge(
      "vigil_review_oldest_waiting_seconds",
      "Age of the oldest undecided review case, by project; 0 when none waits.",
      projectRows.map((p) => {
        const oldest = waitingOf.get(p.id)?.oldest;
        return { labels: { project: p.slug }, value: oldest ? Math.max(0, Math.round((now.getTime() - new Date(oldest).getTime()) / 1000)) : 0 };
      }),
    ),
    counter(
      "vigil_review_decisions_total",
      "Final reviewer decisions on review cases, by project and decision (approve, reject, resubmit). Reopening a case takes its earlier decision out.",
      decisions.filter((r) => r.decision).map((r) => ({ labels: { project: project(r.projectId), decision: r.decision! }, value: r.n })),
    ),
    gauge(
      "vigil_api_keys_active",
      "API keys not revoked, by project.",
      projectRows.map((p) => ({ labels: { project: p.slug }, value: keysOf.get(p.id) ?? 0 })),
    ),
    gauge(
      "vigil_images_stored",
      "Images whose encrypted file is in the store, by project.",
      projectRows.map((p) => ({ labels: { project: p.slug }, value: storedOf.get(p.id)?.stored ?? 0 })),
    ),
    gauge(
      "vigil_images_past_retention",
      "Stored images older than their project's retention days, waiting for the hourly purge; above 0 for more than an hour means the purge is not running.",
      projectRows.map((p) => ({ labels: { project: p.slug }, value: storedOf.get(p.id)?.pastRetention ?? 0 })),
    ),
    gauge("vigil_image_retention_days", "Days a project keeps images before they are purged.", projectRows.map((p) => ({ labels: { project: p.slug }, value: p.retentionDays }))),
    gauge(
      "vigil_inference_workers_ready",
      "Inference worker threads of this process with their models loaded (0 while starting or when the models are missing).",
      [{ value: facts.inferenceWorkersReady ?? 0 }],
    ),
    counter("vigil_retention_runs_total", "Retention purge runs of this process.", [{ value: retention.runs }]),
    counter("vigil_retention_failed_runs_total", "Retention purge runs of this process that failed (the error is in the server log).", [{ value: retention.failedRuns }]),
    counter("vigil_retention_images_purged_total", "Images this process purged for retention.", [{ value: retention.imagesPurged }]),
    gauge(
      "vigil_retention_last_success_timestamp_seconds",
      "Unix time of this process's last retention run that finished without error; 0 before the first.",
      [{ value: retention.lastSuccessAt ? Math.floor(retention.lastSuccessAt / 1000) : 0 }],
    ),
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [{ value: memory.rss }]),
    gauge("nodejs_heap_used_bytes", "V8 heap in use, bytes.", [{ value: memory.heapUsed }]),
    counter("process_cpu_seconds_total", "User and system CPU time spent, seconds.", [{ value: (cpu.user + cpu.system) / 1e6 }]),
    gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, seconds.", [{ value: Math.floor((Date.now() - process.uptime() * 1000) / 1000) }]),
  ];
}
