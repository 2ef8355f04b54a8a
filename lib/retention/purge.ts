import "server-only";
import { and, asc, eq, inArray, isNull, lt } from "drizzle-orm";
import type { Database } from "@/db/client";
import { images, projects } from "@/db/schema";
import { appendAudit } from "@/lib/review/audit";
import type { ImageStore } from "@/lib/storage";

const DAY_MS = 86_400_000;

/** Image rows claimed per transaction: small enough to keep row locks and the audit lock short. */
export const PURGE_BATCH_SIZE = 200;

/** Files removed from the store at once within a batch (a remote store pays a round trip each). */
const DELETE_CONCURRENCY = 16;

export interface PurgeReport {
  /** Projects looked at. */
  projects: number;
  /** Transactions that purged something, one `images.purged` audit event each. */
  batches: number;
  /** Images whose files were removed and rows marked purged. */
  images: number;
}

/** Removes the files of `keys` from the store, a few at a time; a missing file is not an error. */
export async function deleteStoredFiles(store: ImageStore, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
    await Promise.all(keys.slice(i, i + DELETE_CONCURRENCY).map((key) => store.delete(key)));
  }
}

/**
 * Purges images past their project's retention (`projects.imageRetentionDays`, default 30):
 * the encrypted file leaves the store and the row gets `purgedAt`; the verification, its
 * scores, its review case and its decision stay (the record and case pages then say the images
 * were purged).
 *
 * Work goes in batches of `batchSize` rows per project, each one transaction that claims its
 * rows with FOR UPDATE SKIP LOCKED, so several instances running the job at once never take the
 * same rows, and each batch appends one `images.purged` audit event (counts, no image data).
 * Files are removed before the rows are marked: if the transaction then fails, the rows are
 * still unpurged and the next run removes the (already missing) files again and marks them, so
 * a crash can leave an image row without its file for a while, never a file past its retention.
 */
export async function purgeExpiredImages(db: Database, store: ImageStore, now: Date = new Date(), options: { batchSize?: number } = {}): Promise<PurgeReport> {
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const projectRows = await db.select({ id: projects.id, retentionDays: projects.imageRetentionDays }).from(projects).orderBy(asc(projects.id));
  const report: PurgeReport = { projects: projectRows.length, batches: 0, images: 0 };
  for (const project of projectRows) {
    const olderThan = new Date(now.getTime() - project.retentionDays * DAY_MS);
    for (;;) {
      const purged = await db.transaction(async (tx) => {
        const rows = await tx
          .select({ id: images.id, storageKey: images.storageKey, verificationId: images.verificationId })
          .from(images)
          .where(and(eq(images.projectId, project.id), isNull(images.purgedAt), lt(images.createdAt, olderThan)))
          .orderBy(asc(images.createdAt))
          .limit(batchSize)
          .for("update", { skipLocked: true });
        if (rows.length === 0) return 0;
        await deleteStoredFiles(store, rows.map((r) => r.storageKey));
        await tx.update(images).set({ purgedAt: now }).where(inArray(images.id, rows.map((r) => r.id)));
        await appendAudit(tx, {
          actor: "system",
          action: "images.purged",
          projectId: project.id,
          after: { images: rows.length, verifications: new Set(rows.map((r) => r.verificationId)).size, retentionDays: project.retentionDays, olderThan: olderThan.toISOString() },
        });
        return rows.length;
      });
      if (purged > 0) {
        report.batches++;
        report.images += purged;
      }
      // A short batch means nothing is left, or what is left is locked by another instance's batch.
      if (purged < batchSize) break;
    }
  }
  return report;
}
