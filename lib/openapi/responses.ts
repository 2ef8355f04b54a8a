import { z } from "zod";
import { API_ERROR_CODES } from "@/lib/errors";

/**
 * The native API's response bodies as zod schemas. The presenters and route handlers that build
 * these bodies are typed with `z.infer` of them (a field added to a presenter but not here, or
 * the other way round, fails `tsc`); the OpenAPI description (./document.ts) is generated from
 * them; the typed client (lib/client) validates answers against them. No `server-only` and no
 * database imports: the client ships this module.
 */

export const bandSchema = z.enum(["approve", "review", "reject"]).describe("Where a score falls in the project's threshold policy.");

/** An ISO 8601 timestamp in UTC, as `Date.toISOString()` writes it. */
const timestamp = z.string().describe("ISO 8601 timestamp (UTC)");

export const boxSchema = z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number() }).describe("Face box in pixels of the oriented image, to 0.1 px.");

export const faceSchema = z
  .object({
    box: boxSchema,
    score: z.number().describe("Detector score, 4 decimals; 1 for a face crop."),
    landmarks: z.array(z.array(z.number()).length(2)).describe("Eye centres, nose tip, mouth corners as [x, y] pixels."),
  })
  .describe("A face found in an image.");

export const qualityFlagSchema = z.enum(["SMALL_FACE", "BLURRY", "UNDEREXPOSED", "OVEREXPOSED", "POSE"]);

export const faceQualitySchema = z
  .object({
    faceSizePx: z.number(),
    sharpness: z.number().describe("Variance of the Laplacian of the aligned face; below ~40 looks blurred."),
    brightness: z.number().describe("Mean luma 0-255 of the aligned face."),
    clipped: z.number().describe("Share of clipped pixels."),
    yaw: z.number(),
    pitch: z.number(),
    roll: z.number(),
    flags: z.array(qualityFlagSchema),
  })
  .describe("Quality of the subject face.");

export const modelRefSchema = z.object({ id: z.string(), version: z.string() });

export const imageInfoSchema = z.object({
  width: z.number().int(),
  height: z.number().int(),
  format: z.enum(["jpeg", "png", "webp"]),
  bytes: z.number().int(),
  greyscale: z.boolean(),
});

const subjectFaceFields = { ...faceSchema.shape, quality: faceQualitySchema };

export const subjectFaceSchema = z.object({ ...subjectFaceFields, liveness: z.number().nullable().describe("Probability the face is live; null when not run.") }).describe("The face the checks are about, with its quality.");

const analysisFields = {
  image: imageInfoSchema,
  faces: z.array(faceSchema).describe("Every face found, highest score first."),
  otherConfidentFaces: z.number().int().describe("Faces other than the subject with a score of at least 0.9."),
  models: z.record(z.string(), modelRefSchema),
  timingsMs: z.object({ queue: z.number(), decode: z.number(), detect: z.number(), landmarks: z.number(), embed: z.number(), liveness: z.number(), total: z.number() }),
};

export const faceAnalysisSchema = z.object({ ...analysisFields, subject: subjectFaceSchema }).describe("One image's analysis, without the embedding.");

// ------------------------------------------------------------------------------ stateless faces

export const detectFacesResponseSchema = z.object({ ...analysisFields, subject: z.object(subjectFaceFields) });

export const compareFacesResponseSchema = z.object({
  similarity: z.number().describe("Cosine similarity of the two subjects, 4 decimals."),
  band: bandSchema,
  policyVersion: z.number().int(),
  image1: faceAnalysisSchema,
  image2: faceAnalysisSchema,
});

export const faceLivenessResponseSchema = z.object({
  liveness: z.number().describe("Probability the subject is live, 4 decimals."),
  band: bandSchema,
  policyVersion: z.number().int(),
  face: subjectFaceSchema,
});

// ------------------------------------------------------------------------------ verifications

export const verificationTypeSchema = z.enum(["face_match", "selfie_liveness", "face_match_liveness", "document_liveness", "document_selfie"]);
export const verificationStatusSchema = z.enum(["approved", "rejected", "in_review", "not_finished", "resubmission_requested"]);
export const verificationSourceSchema = z.enum(["native", "verifik", "kairos", "sfx", "docliveness", "console"]);

export const checkResultSchema = z
  .object({
    check: z.enum(["face_match", "selfie_liveness", "document_liveness", "duplicate"]),
    status: z.enum(["done", "skipped"]),
    score: z.number().nullable(),
    band: bandSchema.nullable(),
    model: modelRefSchema,
    details: z.record(z.string(), z.unknown()).describe("Check-specific: quality, cues, skipped reason, duplicate candidates..."),
  })
  .describe("One check of a verification, banded by the policy it was decided under.");

export const verificationImageSchema = z.object({
  id: z.string(),
  role: z.enum(["selfie", "document", "portrait", "reference", "gallery"]),
  position: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  format: z.string(),
  faces: z.array(faceSchema),
  quality: faceQualitySchema.nullable(),
  url: z.string().describe("Signed URL of the image; expires after VIGIL_IMAGE_URL_TTL (15 minutes)."),
});

export const verificationSchema = z
  .object({
    id: z.string().describe("ver_..."),
    object: z.literal("verification"),
    projectId: z.string(),
    type: verificationTypeSchema,
    source: verificationSourceSchema,
    status: verificationStatusSchema,
    band: bandSchema.nullable(),
    checks: z.array(checkResultSchema),
    policyVersion: z.number().int(),
    reviewCaseId: z.string().nullable(),
    images: z.array(verificationImageSchema),
    requestId: z.string(),
    idempotencyKey: z.string().nullable(),
    externalRef: z.string().nullable(),
    timings: z.record(z.string(), z.union([z.number(), z.array(z.number())])).describe("Milliseconds per stage; `referencesMs` lists one per reference image."),
    createdAt: timestamp,
    decidedAt: timestamp.nullable(),
  })
  .describe("A verification record with its checks, decision and signed image URLs.");

export const verificationListSchema = z.object({ object: z.literal("list"), data: z.array(verificationSchema), nextCursor: z.string().nullable() });

const reportStatusSchema = z.enum(["Approved", "Rejected", "In Review", "Not Finished"]);

export const faceReportSchema = z
  .object({
    face: z.object({
      status: reportStatusSchema,
      face_match_status: reportStatusSchema,
      liveness_status: reportStatusSchema,
      face_match_similarity: z.number().nullable().describe("0-100"),
      liveness_confidence: z.number().nullable().describe("0-100"),
      source_image: z.string().nullable(),
      target_image: z.string().nullable(),
      video_url: z.null(),
    }),
  })
  .describe("Facial similarity report of a verification (vendor-shaped).");

// ------------------------------------------------------------------------------ gallery and search

export const collectionSchema = z
  .object({
    id: z.string().describe("col_..."),
    object: z.literal("collection"),
    code: z.string().describe("A UUID; also accepted wherever a collection id is."),
    name: z.string(),
    description: z.string(),
    personCount: z.number().int().optional().describe("In lists only."),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .describe("A named set of enrolled persons.");

export const collectionListSchema = z.object({ object: z.literal("list"), data: z.array(collectionSchema) });

export const collectionRefSchema = z.object({ id: z.string(), code: z.string(), name: z.string() });

export const personMetadataViewSchema = z.object({
  gender: z.string().optional(),
  dateOfBirth: z.string().optional(),
  nationality: z.string().optional(),
  notes: z.string().optional(),
  emails: z.array(z.string()).optional(),
  phones: z.array(z.string()).optional(),
});

export const enrolledFaceSchema = z.object({
  id: z.string().describe("face_..."),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  liveness: z.number().nullable(),
  createdAt: timestamp,
  imageUrl: z.string().nullable().describe("Signed, expiring URL of the face image; null for a face imported as an embedding."),
});

export const personSchema = z
  .object({
    id: z.string().describe("per_..."),
    object: z.literal("person"),
    name: z.string(),
    externalRef: z.string().nullable(),
    metadata: personMetadataViewSchema,
    collections: z.array(collectionRefSchema),
    faces: z.array(enrolledFaceSchema),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .describe("An enrolled person and their faces.");

export const personListSchema = z.object({ object: z.literal("list"), data: z.array(personSchema), nextCursor: z.string().nullable().describe("Pass as `before` for the next page.") });

const probeFaceSchema = z.object({ face: faceSchema, quality: faceQualitySchema });

export const verifyPersonResponseSchema = z.object({
  personId: z.string(),
  similarity: z.number().describe("Cosine similarity with the person's best-matching face."),
  band: bandSchema,
  faceId: z.string(),
  policyVersion: z.number().int(),
  probe: probeFaceSchema,
});

export const searchCandidateSchema = z.object({
  person: z.object({ id: z.string(), name: z.string(), externalRef: z.string().nullable(), collections: z.array(collectionRefSchema) }),
  similarity: z.number(),
  band: bandSchema,
  faceId: z.string(),
  imageUrl: z.string().nullable(),
});

export const searchResponseSchema = z.object({
  candidates: z.array(searchCandidateSchema).describe("Best first, at or above minSimilarity."),
  probe: probeFaceSchema.extend({ liveness: z.object({ score: z.number(), band: bandSchema }).optional().describe("With `liveness: true` only.") }),
  mode: z.enum(["FAST", "ACCURATE"]),
  index: z.enum(["hnsw", "exact"]).describe("What served the search."),
  policyVersion: z.number().int(),
  timingsMs: z.object({ analyze: z.number(), search: z.number() }),
});

// ------------------------------------------------------------------------------ errors

export const apiErrorCodeSchema = z.enum(API_ERROR_CODES);

export const errorBodySchema = z
  .object({
    error: z.object({
      code: apiErrorCodeSchema,
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional().describe("Machine-readable specifics, e.g. `field`, `retryAfterSeconds`, `personId`."),
    }),
    requestId: z.string(),
  })
  .describe("Every native error: a stable code, a message for people, and the request id.");

export type Verification = z.infer<typeof verificationSchema>;
export type VerificationList = z.infer<typeof verificationListSchema>;
export type FaceAnalysisView = z.infer<typeof faceAnalysisSchema>;
export type DetectFacesResponse = z.infer<typeof detectFacesResponseSchema>;
export type CompareFacesResponse = z.infer<typeof compareFacesResponseSchema>;
export type FaceLivenessResponse = z.infer<typeof faceLivenessResponseSchema>;
export type FaceReportView = z.infer<typeof faceReportSchema>;
export type CollectionView = z.infer<typeof collectionSchema>;
export type CollectionList = z.infer<typeof collectionListSchema>;
export type PersonView = z.infer<typeof personSchema>;
export type PersonList = z.infer<typeof personListSchema>;
export type VerifyPersonResponse = z.infer<typeof verifyPersonResponseSchema>;
export type SearchCandidateView = z.infer<typeof searchCandidateSchema>;
export type SearchResponse = z.infer<typeof searchResponseSchema>;
export type ErrorBody = z.infer<typeof errorBodySchema>;
