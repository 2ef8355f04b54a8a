import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import type { ParsedBody } from "@/lib/http/body";
import { parseInput } from "@/lib/http/native";
import type { ImageInput } from "@/lib/inference";
import type { VerificationType } from "./service";

const image = z.string().min(1, "must not be empty").describe("A JPEG, PNG or WebP image as base64 or a data: URL.");

export const createVerificationSchema = z.object({
  type: z.enum(["face_match", "selfie_liveness", "face_match_liveness", "document_liveness", "document_selfie"]).optional(),
  selfie: image.optional(),
  reference: image.optional(),
  references: z.array(image).min(1).optional(),
  /** The identity document's front side (with the portrait), and optionally its back. */
  document: image.optional(),
  documentBack: image.optional(),
  externalRef: z.string().max(200).optional(),
});

/** The query of `GET /api/v1/verifications`. */
export const verificationListQuerySchema = z.object({
  status: z.enum(["approved", "rejected", "in_review", "not_finished", "resubmission_requested"]).optional(),
  type: z.enum(["face_match", "selfie_liveness", "face_match_liveness", "document_liveness", "document_selfie"]).optional(),
  source: z.enum(["native", "verifik", "kairos", "sfx", "docliveness", "console"]).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^ver_[0-9a-z]{26}$/).optional(),
});

export type NativeVerificationRequest =
  | { kind: "face"; type: "face_match" | "selfie_liveness" | "face_match_liveness"; selfie: ImageInput; references: ImageInput[]; externalRef: string | null }
  | { kind: "document"; type: "document_liveness" | "document_selfie"; document: ImageInput; documentBack: ImageInput | null; selfie: ImageInput | null; externalRef: string | null };

const required = (field: string, what: string) => new AppError("INVALID_REQUEST", `${field}: ${what}`, { field, missing: true });

/**
 * Reads a native verification request from JSON (base64 or data URLs) or multipart (files
 * `selfie`, `reference`, repeated `references`, `document`, `documentBack`). Without a type:
 * a document makes a document verification (with the selfie matched against its portrait
 * when a selfie is given); else a reference makes face match with liveness, and a selfie
 * alone selfie liveness.
 */
export function parseVerificationRequest(body: ParsedBody): NativeVerificationRequest {
  let raw: { type?: VerificationType; selfie?: ImageInput; references: ImageInput[]; document?: ImageInput; documentBack?: ImageInput; externalRef?: string };
  if (body.kind === "json") {
    const parsed = parseInput(createVerificationSchema, body.value);
    raw = { ...parsed, references: [...(parsed.reference ? [parsed.reference] : []), ...(parsed.references ?? [])] };
  } else {
    const one = (name: string): ImageInput | undefined => body.files[name]?.[0] ?? body.fields[name];
    const type = body.fields.type ? parseInput(createVerificationSchema.shape.type, body.fields.type) : undefined;
    const references: ImageInput[] = [...(body.files.reference ?? []), ...(body.files.references ?? [])];
    if (body.fields.reference) references.push(body.fields.reference);
    raw = { type, selfie: one("selfie"), references, document: one("document"), documentBack: one("documentBack"), externalRef: body.fields.externalRef };
  }
  const externalRef = raw.externalRef ?? null;
  const wantsDocument = raw.document !== undefined || raw.type === "document_liveness" || raw.type === "document_selfie";
  if (wantsDocument) {
    if (raw.type && raw.type !== "document_liveness" && raw.type !== "document_selfie") {
      throw new AppError("INVALID_REQUEST", `type: ${raw.type} does not take a document; use document_liveness or document_selfie`, { field: "type" });
    }
    if (raw.references.length > 0) throw new AppError("INVALID_REQUEST", "reference: a document verification matches the selfie against the document's portrait, not a reference", { field: "reference" });
    if (!raw.document) throw required("document", "a photo of the document's front side is required");
    const type = raw.type ?? (raw.selfie ? "document_selfie" : "document_liveness");
    if (type === "document_selfie" && !raw.selfie) throw required("selfie", "a selfie is required for document_selfie");
    return { kind: "document", type, document: raw.document, documentBack: raw.documentBack ?? null, selfie: type === "document_selfie" ? raw.selfie! : null, externalRef };
  }
  if (!raw.selfie) throw required("selfie", "a selfie image is required");
  const max = getEnv().VIGIL_MAX_GALLERY;
  if (raw.references.length > max) throw new AppError("GALLERY_TOO_LARGE", `At most ${max} reference images per verification.`, { max });
  const type = (raw.type ?? (raw.references.length > 0 ? "face_match_liveness" : "selfie_liveness")) as "face_match" | "selfie_liveness" | "face_match_liveness";
  if (type !== "selfie_liveness" && raw.references.length === 0) {
    throw new AppError("INVALID_REQUEST", "reference: a reference photo is required for face matching", { field: "reference" });
  }
  return { kind: "face", type, selfie: raw.selfie, references: type === "selfie_liveness" ? [] : raw.references, externalRef };
}
