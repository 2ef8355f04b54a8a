import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import type { ParsedBody } from "@/lib/http/body";
import { parseInput } from "@/lib/http/native";
import type { ImageInput } from "@/lib/inference";
import type { VerificationType } from "./service";

const image = z.string().min(1, "must not be empty");

export const createVerificationSchema = z.object({
  type: z.enum(["face_match", "selfie_liveness", "face_match_liveness"]).optional(),
  selfie: image,
  reference: image.optional(),
  references: z.array(image).min(1).optional(),
  externalRef: z.string().max(200).optional(),
});

export interface NativeVerificationRequest {
  type: VerificationType;
  selfie: ImageInput;
  references: ImageInput[];
  externalRef: string | null;
}

/**
 * Reads a native verification request from JSON (base64 or data URLs) or multipart (files
 * `selfie`, `reference`, repeated `references`). The type defaults to face match with
 * liveness when a reference is given, and to selfie liveness alone otherwise.
 */
export function parseVerificationRequest(body: ParsedBody): NativeVerificationRequest {
  let raw: { type?: VerificationType; selfie: ImageInput; references: ImageInput[]; externalRef?: string };
  if (body.kind === "json") {
    const parsed = parseInput(createVerificationSchema, body.value);
    raw = { type: parsed.type, selfie: parsed.selfie, references: [...(parsed.reference ? [parsed.reference] : []), ...(parsed.references ?? [])], externalRef: parsed.externalRef };
  } else {
    const selfie = body.files.selfie?.[0] ?? body.fields.selfie;
    if (!selfie) throw new AppError("INVALID_REQUEST", "selfie: a selfie image is required", { field: "selfie" });
    const type = body.fields.type ? parseInput(createVerificationSchema.shape.type, body.fields.type) : undefined;
    const references: ImageInput[] = [...(body.files.reference ?? []), ...(body.files.references ?? [])];
    if (body.fields.reference) references.push(body.fields.reference);
    raw = { type, selfie, references, externalRef: body.fields.externalRef };
  }
  const max = getEnv().VIGIL_MAX_GALLERY;
  if (raw.references.length > max) throw new AppError("GALLERY_TOO_LARGE", `At most ${max} reference images per verification.`, { max });
  const type = raw.type ?? (raw.references.length > 0 ? "face_match_liveness" : "selfie_liveness");
  if (type !== "selfie_liveness" && raw.references.length === 0) {
    throw new AppError("INVALID_REQUEST", "reference: a reference photo is required for face matching", { field: "reference" });
  }
  return { type, selfie: raw.selfie, references: type === "selfie_liveness" ? [] : raw.references, externalRef: raw.externalRef ?? null };
}
