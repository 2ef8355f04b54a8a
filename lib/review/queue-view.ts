import "server-only";
import type { Database } from "@/db/client";
import { projects } from "@/db/schema";
import type { QueueFilters, QueueItem, QueueSummary } from "./queue";
import { actorNames, listQueue, queueSummary } from "./queue";

/** The queue page's data, as JSON-ready values: the same for the first render and for polling. */
export interface QueueView {
  items: Array<Omit<QueueItem, "createdAt" | "claimExpiresAt"> & { createdAt: string; claimExpiresAt: string | null; claimedByName: string | null }>;
  summary: Omit<QueueSummary, "oldestSince"> & { oldestSince: string | null };
  projects: Array<{ id: string; slug: string; name: string }>;
  at: string;
}

export async function getQueueView(db: Database, filters: QueueFilters): Promise<QueueView> {
  const [items, summary, projectRows] = await Promise.all([
    listQueue(db, filters),
    queueSummary(db, filters),
    db.select({ id: projects.id, slug: projects.slug, name: projects.name }).from(projects).orderBy(projects.slug),
  ]);
  const names = await actorNames(db, items.map((i) => i.claimedBy));
  return {
    items: items.map((i) => ({
      ...i,
      createdAt: i.createdAt.toISOString(),
      claimExpiresAt: i.claimExpiresAt?.toISOString() ?? null,
      claimedByName: i.claimedBy ? (names[i.claimedBy] ?? i.claimedBy) : null,
    })),
    summary: { ...summary, oldestSince: summary.oldestSince?.toISOString() ?? null },
    projects: projectRows,
    at: new Date().toISOString(),
  };
}

/** Queue filters from URL search parameters; unknown or bad values are dropped, not errors. */
export function queueFiltersFrom(params: Record<string, string | string[] | undefined>): QueueFilters {
  const one = (key: string) => (typeof params[key] === "string" ? (params[key] as string) : undefined);
  const filters: QueueFilters = {};
  const check = one("check");
  if (check === "face_match" || check === "selfie_liveness" || check === "document_liveness" || check === "duplicate" || check === "reopened") filters.check = check;
  const band = one("band");
  if (band === "review" || band === "reject") filters.band = band;
  const project = one("project");
  if (project && /^[a-z0-9_]{1,64}$/.test(project)) filters.projectId = project;
  const age = Number(one("age"));
  if (one("age") && Number.isFinite(age) && age >= 0) filters.minAgeHours = Math.min(age, 24 * 365);
  return filters;
}
