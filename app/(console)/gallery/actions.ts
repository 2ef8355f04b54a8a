"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { getDb } from "@/db/client";
import { requireProjectId } from "@/lib/auth/api-keys";
import { requireUser } from "@/lib/auth/guard";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import type { ActionResult } from "@/lib/http/action";
import { runAction } from "@/lib/http/action";
import { createCollection, deleteCollection } from "@/lib/search/collections";
import { checkEnrollPhotos, enrollUploadBytes } from "@/lib/search/enroll-photos";
import { collectionCreateSchema, personCreateSchema } from "@/lib/search/native-input";
import { MAX_IMAGES_PER_REQUEST, createPerson, deletePerson } from "@/lib/search/persons";
import { getImageStore } from "@/lib/storage";

/*
 * Who may change the gallery from the console: admins. The API gates the same work behind an
 * API key with the `search` scope, and only admins can create keys, so a reviewer, who may look
 * at the gallery, cannot enroll or delete through either path.
 */

const projectId = z.string().min(1).max(64);

const deletePersonSchema = z.object({ projectId, personId: z.string().min(1).max(64) });

const deleteCollectionSchema = z.object({ projectId, collectionId: z.string().min(1).max(64) });

/** The API's body (native-input.ts) plus the project, which the API takes from the key. */
const createCollectionSchema = collectionCreateSchema.extend({ projectId });

/**
 * The API's person fields the form offers; the photos are checked apart (checkEnrollPhotos)
 * because they arrive as files, not base64.
 */
const enrollPersonSchema = personCreateSchema.pick({ name: true, externalRef: true, collections: true }).extend({ projectId });

/** An empty file input still posts a nameless, empty File: that is "no file". */
function photosOf(formData: FormData): File[] {
  return formData.getAll("photos").filter((v): v is File => v instanceof File && (v.size > 0 || v.name !== ""));
}

function text(formData: FormData, name: string): string | undefined {
  const value = formData.get(name);
  return typeof value === "string" ? value : undefined;
}

/** Admins only: removes an enrolled person, their faces and images (audited `person.deleted`). */
export async function deletePersonAction(input: unknown): Promise<ActionResult<{ personId: string }>> {
  return runAction("deletePerson", async () => {
    const admin = await requireUser("admin");
    const { projectId, personId } = deletePersonSchema.parse(input);
    const person = await deletePerson(await getDb(), getImageStore(), { projectId, personId, actor: admin.actor });
    revalidatePath("/gallery");
    return { personId: person.id };
  });
}

/** Admins only: a new collection in the project, as POST /api/v1/collections (audited `collection.created`). */
export async function createCollectionAction(input: unknown): Promise<ActionResult<{ collectionId: string; name: string }>> {
  return runAction("createCollection", async () => {
    const admin = await requireUser("admin");
    const { projectId, name, description } = createCollectionSchema.parse(input);
    await requireProjectId(await getDb(), projectId);
    const collection = await createCollection(await getDb(), { projectId, name, description, actor: admin.actor });
    revalidatePath("/gallery");
    return { collectionId: collection.id, name: collection.name };
  });
}

/**
 * Admins only: deletes a collection, as DELETE /api/v1/collections/:id (audited
 * `collection.deleted`); its persons stay enrolled.
 */
export async function deleteCollectionAction(input: unknown): Promise<ActionResult<{ collectionId: string }>> {
  return runAction("deleteCollection", async () => {
    const admin = await requireUser("admin");
    const { projectId, collectionId } = deleteCollectionSchema.parse(input);
    const collection = await deleteCollection(await getDb(), { projectId, idOrCode: collectionId, actor: admin.actor });
    revalidatePath("/gallery");
    return { collectionId: collection.id };
  });
}

/**
 * Admins only: enrolls a person with the face photos uploaded in the form, as POST
 * /api/v1/persons without liveness or duplicate checks (audited `person.created`). The photos
 * are refused on their declared sizes and types before one is read; face errors
 * (NO_FACE_FOUND, MULTIPLE_FACES, FACES_DO_NOT_MATCH...) come from the enrollment, named
 * `images[i]` as the API names them, and nothing is written when one is refused.
 */
export async function enrollPersonAction(formData: FormData): Promise<ActionResult<{ personId: string }>> {
  return runAction("enrollPerson", async () => {
    const admin = await requireUser("admin");
    if (!(formData instanceof FormData)) throw new AppError("INVALID_REQUEST", "Send the form's fields and photos.");
    const input = enrollPersonSchema.parse({
      projectId: text(formData, "projectId"),
      name: text(formData, "name"),
      externalRef: text(formData, "externalRef") || null,
      collections: formData.getAll("collections").filter((v): v is string => typeof v === "string"),
    });
    const photos = photosOf(formData);
    const env = getEnv();
    const problem = checkEnrollPhotos(photos, { maxImages: MAX_IMAGES_PER_REQUEST, maxImageBytes: env.VIGIL_MAX_IMAGE_BYTES, maxTotalBytes: enrollUploadBytes(env.VIGIL_MAX_BODY_BYTES) });
    if (problem) throw new AppError(problem.code, problem.message, problem.index === null ? { field: "images" } : { image: `images[${problem.index}]` });
    await requireProjectId(await getDb(), input.projectId);
    const images = await Promise.all(photos.map(async (photo) => Buffer.from(await photo.arrayBuffer())));
    const person = await createPerson(await getDb(), getImageStore(), {
      projectId: input.projectId,
      actor: admin.actor,
      name: input.name,
      externalRef: input.externalRef,
      collections: input.collections,
      images,
    });
    revalidatePath("/gallery");
    return { personId: person.id };
  });
}
