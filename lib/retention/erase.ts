import "server-only";
import { and, asc, count, eq, inArray, isNull, or, sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database, Transaction } from "@/db/client";
import { images, personFaces, persons, verifications } from "@/db/schema";
import { touchGallery } from "@/lib/search/exact";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/review/audit";
import type { ImageStore } from "@/lib/storage";
import { deleteStoredFiles } from "./purge";

/**
 * Who to erase: every verification of a project with the external reference the customer gave
 * (their user or session id), or one verification by id. Exactly one of the two.
 */
export const subjectSelectorSchema = z
  .object({
    projectId: z.string().min(1).max(64),
    externalRef: z.string().trim().min(1).max(256).optional().nullable(),
    verificationId: z.string().trim().min(1).max(64).optional().nullable(),
  })
  .refine((s) => !!s.externalRef !== !!s.verificationId, { message: "Give either an external reference or a verification id, not both." });
export type SubjectSelector = z.infer<typeof subjectSelectorSchema>;

/** What an erasure found (the confirmation step) or did. */
export interface SubjectSummary {
  verifications: number;
  /** Image rows of those verifications, including any already purged by retention. */
  images: number;
  /** Of those, images whose encrypted file is still in the store. */
  storedImages: number;
  /** The first verifications, oldest first, to show before confirming. */
  sample: Array<{ id: string; createdAt: Date; status: string }>;
}

export interface ErasureResult {
  verifications: number;
  images: number;
  /** Files removed from the store now (the others were already purged by retention). */
  filesRemoved: number;
  /** Enrolled faces removed from 1:N search (persons with the subject's externalRef, faces made from their images). */
  galleryEntries: number;
  verificationIds: string[];
}

/** Faces of an erased image: no boxes or landmarks (biometric), in the shape readers expect. */
const ERASED_FACES = { faces: [], quality: null };

/** Verification ids in the audit event, at most; the count is always complete. */
const AUDITED_IDS = 100;

function subjectWhere(selector: SubjectSelector): SQL {
  return and(
    eq(verifications.projectId, selector.projectId),
    selector.verificationId ? eq(verifications.id, selector.verificationId) : eq(verifications.externalRef, selector.externalRef!),
  )!;
}

function notFound(selector: SubjectSelector): AppError {
  return new AppError(
    "NOT_FOUND",
    selector.verificationId ? `No verification ${selector.verificationId} in this project.` : "No verification in this project has that external reference.",
  );
}

/** The confirmation step: what `eraseSubject` would remove, without changing anything. NOT_FOUND when nothing matches. */
export async function findSubject(db: Database, input: SubjectSelector): Promise<SubjectSummary> {
  const selector = subjectSelectorSchema.parse(input);
  const rows = await db
    .select({ id: verifications.id, createdAt: verifications.createdAt, status: verifications.status })
    .from(verifications)
    .where(subjectWhere(selector))
    .orderBy(asc(verifications.createdAt));
  if (rows.length === 0) throw notFound(selector);
  const [counts] = await db
    .select({ images: count(), stored: sql<number>`count(*) filter (where ${images.purgedAt} is null)`.mapWith(Number) })
    .from(images)
    .where(inArray(images.verificationId, db.select({ id: verifications.id }).from(verifications).where(subjectWhere(selector))));
  return { verifications: rows.length, images: counts.images, storedImages: counts.stored, sample: rows.slice(0, 20) };
}

/**
 * The subject's 1:N search data: persons enrolled under their external reference (with every
 * face), and faces enrolled from their verification images. Files first, then rows (as for
 * images); the project's gallery version moves so cached galleries reload. Returns the number
 * of faces removed.
 */
export async function eraseGalleryEntries(tx: Transaction, store: ImageStore, subject: { projectId: string; externalRef: string | null; imageIds: string[] }): Promise<number> {
  const byImage = subject.imageIds.length > 0 ? inArray(personFaces.sourceImageId, subject.imageIds) : undefined;
  const enrolledAs = subject.externalRef ? and(eq(persons.projectId, subject.projectId), eq(persons.externalRef, subject.externalRef)) : undefined;
  const personIds = enrolledAs ? (await tx.select({ id: persons.id }).from(persons).where(enrolledAs).for("update")).map((p) => p.id) : [];
  const byPerson = personIds.length > 0 ? inArray(personFaces.personId, personIds) : undefined;
  if (!byImage && !byPerson) return 0;
  const faces = await tx
    .select({ id: personFaces.id, storageKey: personFaces.storageKey })
    .from(personFaces)
    .where(and(eq(personFaces.projectId, subject.projectId), or(byImage, byPerson)))
    .for("update");
  await deleteStoredFiles(store, faces.flatMap((f) => (f.storageKey ? [f.storageKey] : [])));
  if (faces.length > 0) await tx.delete(personFaces).where(inArray(personFaces.id, faces.map((f) => f.id)));
  if (personIds.length > 0) await tx.delete(persons).where(inArray(persons.id, personIds));
  if (faces.length > 0 || personIds.length > 0) await touchGallery(tx, subject.projectId);
  return faces.length;
}

/**
 * Erases one subject's biometric data (a data-subject request): for each of their
 * verifications, every image's encrypted file leaves the store, its row is marked purged with
 * its faces (boxes, landmarks) cleared and its sha256 replaced (it would still tie the person to
 * other uploads of the same photo), and gallery entries made from them are removed. The
 * verifications, their scores, review cases and decisions stay, as after retention.
 *
 * One transaction holds the verification and image rows locked (a concurrent purge or
 * decision waits) and appends a `subject.erased` audit event: who, which selector, which
 * verifications, the counts; never an image or a face. Files are removed before the commit,
 * so a failure leaves rows to erase again, never a file that should be gone.
 */
export async function eraseSubject(db: Database, store: ImageStore, input: SubjectSelector & { actor: string; now?: Date }): Promise<ErasureResult> {
  const selector = subjectSelectorSchema.parse(input);
  const now = input.now ?? new Date();
  return db.transaction(async (tx) => {
    const subject = await tx.select({ id: verifications.id }).from(verifications).where(subjectWhere(selector)).orderBy(asc(verifications.createdAt)).for("update");
    if (subject.length === 0) throw notFound(selector);
    const verificationIds = subject.map((v) => v.id);
    const imageRows = await tx
      .select({ id: images.id, storageKey: images.storageKey, purgedAt: images.purgedAt })
      .from(images)
      .where(inArray(images.verificationId, verificationIds))
      .for("update");
    // Every file, even of rows retention already marked: removing a missing file is a no-op.
    await deleteStoredFiles(store, imageRows.map((i) => i.storageKey));
    // Exactly the rows locked above: an image committed since is not one whose file was removed.
    if (imageRows.length > 0) {
      const locked = inArray(images.id, imageRows.map((i) => i.id));
      await tx.update(images).set({ faces: ERASED_FACES, sha256: sql`'erased:' || ${images.id}` }).where(locked);
      // Rows retention purged earlier keep their purge time.
      await tx.update(images).set({ purgedAt: now }).where(and(locked, isNull(images.purgedAt)));
    }
    const galleryEntries = await eraseGalleryEntries(tx, store, { projectId: selector.projectId, externalRef: selector.externalRef ?? null, imageIds: imageRows.map((i) => i.id) });
    const result: ErasureResult = {
      verifications: verificationIds.length,
      images: imageRows.length,
      filesRemoved: imageRows.filter((i) => !i.purgedAt).length,
      galleryEntries,
      verificationIds,
    };
    await appendAudit(tx, {
      actor: input.actor,
      action: "subject.erased",
      projectId: selector.projectId,
      verificationId: verificationIds.length === 1 ? verificationIds[0] : null,
      after: {
        by: selector.verificationId ? "verificationId" : "externalRef",
        externalRef: selector.externalRef ?? undefined,
        verificationIds: verificationIds.slice(0, AUDITED_IDS),
        verifications: result.verifications,
        images: result.images,
        filesRemoved: result.filesRemoved,
        galleryEntries,
      },
    });
    return result;
  });
}
