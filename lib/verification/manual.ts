import "server-only";
import { asc } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projects } from "@/db/schema";
import { requireProjectId } from "@/lib/auth/api-keys";
import type { ConsoleUser } from "@/lib/auth/users";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import type { ImageStore } from "@/lib/storage";
import type { VerificationRecord, VerificationType } from "./service";
import { runDocumentVerification } from "./document";
import { hashRequest, runFaceVerification } from "./service";

/** A verification an operator runs from the console on files a customer sent by other means. */
export interface ManualVerificationInput {
  user: ConsoleUser;
  projectId: string;
  type: VerificationType;
  selfie: Buffer;
  /** Needed for face matching (for document_selfie: the document's front side); ignored for selfie liveness alone. */
  reference: Buffer | null;
  /** What the operator typed to find the customer again, such as their case number. */
  externalRef?: string | null;
}

/** Longest external reference kept, as the native API's `externalRef` (native-input.ts). */
export const MAX_EXTERNAL_REF = 200;

/** The projects an operator can verify for, oldest first (the first-run `demo` project leads). */
export async function listVerifyProjects(db: Database): Promise<Array<{ id: string; slug: string; name: string }>> {
  return db.select({ id: projects.id, slug: projects.slug, name: projects.name }).from(projects).orderBy(asc(projects.createdAt), asc(projects.slug));
}

/**
 * Refuses an image over VIGIL_MAX_IMAGE_BYTES with the API's IMAGE_TOO_LARGE and wording
 * (readImageHeader, prefixed with the image's name as the verification service does), so a
 * server action can refuse an upload from its declared size before reading it.
 */
export function assertImageFits(image: "selfie" | "reference[0]", bytes: number): void {
  const maxBytes = getEnv().VIGIL_MAX_IMAGE_BYTES;
  if (bytes > maxBytes) {
    throw new AppError("IMAGE_TOO_LARGE", `${image}: The image is larger than ${maxBytes} bytes.`, { maxBytes, bytes, image });
  }
}

/**
 * Runs a verification on a selfie and, for face matching, a reference photo uploaded by a
 * console operator: the same checks, policy and record as the native API, with source
 * `console` and the operator as the actor in the audit trail. A record in the review band
 * opens a review case. Image and face errors (INVALID_IMAGE, UNSUPPORTED_FORMAT,
 * NO_FACE_FOUND...) are thrown with the API's codes and messages, before anything is written.
 */
export async function runManualVerification(db: Database, store: ImageStore, input: ManualVerificationInput): Promise<VerificationRecord> {
  const needsReference = input.type !== "selfie_liveness";
  if (needsReference && !input.reference) {
    // The native API's wording for the same mistake (native-input.ts).
    if (input.type === "document_selfie") throw new AppError("INVALID_REQUEST", "document: a photo of the document's front side is required", { field: "reference" });
    throw new AppError("INVALID_REQUEST", "reference: a reference photo is required for face matching", { field: "reference" });
  }
  const externalRef = input.externalRef?.trim() || null;
  if (externalRef && externalRef.length > MAX_EXTERNAL_REF) {
    throw new AppError("INVALID_REQUEST", `externalRef: at most ${MAX_EXTERNAL_REF} characters`, { field: "externalRef" });
  }
  assertImageFits("selfie", input.selfie.length);
  const references = needsReference && input.reference ? [input.reference] : [];
  if (references.length > 0) assertImageFits("reference[0]", references[0].length);
  await requireProjectId(db, input.projectId);

  if (input.type === "document_selfie") {
    const { record } = await runDocumentVerification(db, store, {
      projectId: input.projectId,
      apiKeyId: null,
      actor: input.user.actor,
      source: "console",
      front: references[0],
      selfie: input.selfie,
      requestId: newId("req"),
      requestHash: hashRequest([input.type, input.selfie, references[0], externalRef]),
      externalRef,
    });
    return record;
  }
  const { record } = await runFaceVerification(db, store, {
    projectId: input.projectId,
    apiKeyId: null,
    actor: input.user.actor,
    source: "console",
    type: input.type,
    selfie: input.selfie,
    references,
    referenceRole: "reference",
    requestId: newId("req"),
    requestHash: hashRequest([input.type, input.selfie, ...references, externalRef]),
    externalRef,
  });
  return record;
}
