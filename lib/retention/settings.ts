import "server-only";
import { asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { images, projects } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/review/audit";

/** Days images may be kept: at least one, at most ten years. */
export const retentionDaysSchema = z.number().int("Whole days only.").min(1, "Keep images at least 1 day.").max(3650, "At most 3650 days (10 years).");

export interface ProjectRetention {
  projectId: string;
  slug: string;
  name: string;
  imageRetentionDays: number;
  /** Images whose encrypted file is still in the store. */
  storedImages: number;
  purgedImages: number;
  /** When the oldest stored image was taken; null when none is stored. */
  oldestStoredAt: Date | null;
}

/** Every project's image retention with what its store holds, for the retention page. */
export async function listProjectRetention(db: Database): Promise<ProjectRetention[]> {
  const counts = db
    .select({
      projectId: images.projectId,
      stored: sql<number>`count(*) filter (where ${images.purgedAt} is null)`.as("stored"),
      purged: sql<number>`count(*) filter (where ${images.purgedAt} is not null)`.as("purged"),
      oldest: sql<string | null>`min(${images.createdAt}) filter (where ${images.purgedAt} is null)`.as("oldest"),
    })
    .from(images)
    .groupBy(images.projectId)
    .as("counts");
  const rows = await db
    .select({ p: { id: projects.id, slug: projects.slug, name: projects.name, days: projects.imageRetentionDays }, stored: counts.stored, purged: counts.purged, oldest: counts.oldest })
    .from(projects)
    .leftJoin(counts, eq(counts.projectId, projects.id))
    .orderBy(asc(projects.slug));
  return rows.map((r) => ({
    projectId: r.p.id,
    slug: r.p.slug,
    name: r.p.name,
    imageRetentionDays: r.p.days,
    storedImages: Number(r.stored ?? 0),
    purgedImages: Number(r.purged ?? 0),
    oldestStoredAt: r.oldest ? new Date(r.oldest) : null,
  }));
}

/**
 * Sets how many days a project's images are kept, with a `retention.changed` audit event
 * (before and after). Shortening it purges the older images at the retention job's next run.
 */
export async function setImageRetentionDays(db: Database, input: { projectId: string; days: number; actor: string }): Promise<{ before: number; after: number }> {
  const days = retentionDaysSchema.parse(input.days);
  return db.transaction(async (tx) => {
    const [project] = await tx.select({ days: projects.imageRetentionDays }).from(projects).where(eq(projects.id, input.projectId)).for("update").limit(1);
    if (!project) throw new AppError("NOT_FOUND", "No such project.");
    if (project.days === days) return { before: days, after: days };
    await tx.update(projects).set({ imageRetentionDays: days }).where(eq(projects.id, input.projectId));
    await appendAudit(tx, { actor: input.actor, action: "retention.changed", projectId: input.projectId, before: { imageRetentionDays: project.days }, after: { imageRetentionDays: days } });
    return { before: project.days, after: days };
  });
}
