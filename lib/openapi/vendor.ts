import { z } from "zod";

/**
 * Request and response bodies of the vendor-shaped drop-in endpoints (lib/compat/*), as zod
 * schemas. The vendors' parsers are hand-written (their documented error order and messages,
 * case-insensitive enums, numbers sent as strings), so the request schemas here describe what
 * they accept rather than parse it; the response schemas type the presenters (`z.infer`), and
 * the compat tests validate real answers against them.
 */

const image = z.string().min(1).describe("A JPEG, PNG or WebP image as base64 or a data: URL.");
const imagePart = z.string().meta({ contentMediaType: "application/octet-stream", description: "An image file (a text field with base64 works too)." });
const searchMode = z.enum(["FAST", "ACCURATE"]).describe("Case-insensitive.");
const os = z.enum(["DESKTOP", "IOS", "ANDROID"]).describe("Case-insensitive.");
const score = (min: number, max: number, what: string) => z.number().min(min).max(max).describe(`${what} on Verifik's scale (${min}-${max}); a numeric string works too.`);
const timestamp = z.string().describe("ISO 8601 timestamp (UTC)");

export const verifikSignatureSchema = z.object({ dateTime: z.string().describe('"September 15, 2024 3:13 AM" (UTC)'), message: z.string() });

// ------------------------------------------------------------------------------ Verifik 1:1

export const verifikCompareRequestSchema = z.object({
  os: os.optional().describe("Default DESKTOP."),
  search_mode: searchMode,
  probe: image.describe("The live selfie."),
  gallery: z.array(image).min(1).describe("Photos the probe is compared with (at most VIGIL_MAX_GALLERY, 10); the best match counts."),
  compare_min_score: score(0.67, 0.95, "Minimum match score").optional().describe("Liveness runs only when the best match reaches it. Default 0.85 (the project's approve threshold)."),
  liveness_min_score: score(0.52, 1, "Minimum liveness score").optional().describe("Decides `liveness.result.passed`; default: the project's liveness approve threshold."),
});

const verifikSectionBase = { client: z.string(), status: z.literal("success"), _id: z.string(), updatedAt: timestamp, createdAt: timestamp, __v: z.literal(0) };

export const verifikCompareResponseSchema = z.object({
  data: z.object({
    comparison: z.object({
      ...verifikSectionBase,
      type: z.literal("compareLive"),
      search_mode: searchMode,
      gallery: z.array(z.string()),
      probe: z.array(z.string()),
      comparedAt: timestamp,
      result: z.object({ score: z.number() }),
    }),
    liveness: z
      .object({
        ...verifikSectionBase,
        type: z.literal("liveness"),
        search_mode: searchMode,
        os,
        liveness_min_score: z.number(),
        result: z.object({ liveness_score: z.number(), passed: z.boolean(), min_score: z.number() }),
      })
      .optional()
      .describe("Only when liveness ran."),
  }),
  signature: verifikSignatureSchema,
  id: z.string().describe("The Vigil verification id."),
});

// ------------------------------------------------------------------------------ Verifik 1:N

export const verifikCollectionSchema = z.object({
  _id: z.string(),
  code: z.string().describe("What other requests call `collection_id`."),
  name: z.string(),
  description: z.string(),
  project: z.string(),
  client: z.string(),
  deleted: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
  __v: z.literal(0),
});

export const verifikCollectionCreateSchema = z.object({ name: z.string().min(1).max(200), description: z.string().max(2000).optional() });
export const verifikCollectionUpdateSchema = verifikCollectionCreateSchema.partial();
export const verifikCollectionResponseSchema = z.object({ data: verifikCollectionSchema });
export const verifikCollectionListSchema = z.object({ data: z.array(verifikCollectionSchema) });

const thumbnailsSchema = z.array(z.object({ id: z.string(), thumbnail: z.string().describe("A signed URL that expires (not a base64 image).") }));

export const verifikPersonSchema = z.object({
  _id: z.string(),
  name: z.string(),
  gender: z.string().nullable(),
  date_of_birth: z.string().nullable(),
  nationality: z.string().nullable(),
  notes: z.string().nullable(),
  collections: z.array(z.string()).describe("Collection codes."),
  thumbnails: thumbnailsSchema,
  client: z.string(),
  deleted: z.literal(true).optional().describe("On the answer to DELETE."),
  createdAt: timestamp,
  updatedAt: timestamp,
  __v: z.literal(0),
});

const personFields = {
  gender: z.string().max(50).optional(),
  date_of_birth: z.string().max(50).optional(),
  nationality: z.string().max(100).optional(),
  notes: z.string().max(2000).optional(),
};

export const verifikPersonCreateSchema = z.object({
  name: z.string().min(1).max(200),
  images: z.array(image).min(1).max(5),
  ...personFields,
  collections: z.array(z.string().min(1)).optional().describe("Collection codes (or ids)."),
});
export const verifikPersonUpdateSchema = verifikPersonCreateSchema.partial().describe("Fields not sent keep their values; `images` are added to the person's faces.");
export const verifikPersonResponseSchema = z.object({ data: verifikPersonSchema });
export const verifikPersonListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  collection: z.string().optional().describe("A collection code or id."),
});
export const verifikPersonListSchema = z.object({
  data: z.array(verifikPersonSchema),
  pagination: z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), pages: z.number().int() }),
});

export const verifikCreateWithLivenessSchema = z.object({
  name: z.string().min(1).max(200),
  collection_id: z.string().min(1).describe("The collection's code."),
  images: z.array(image).min(1).max(3),
  ...personFields,
  min_score: score(0.5, 1, "Duplicate threshold").optional().describe("Default 0.8."),
  search_mode: searchMode.optional(),
  liveness_min_score: z.number().min(0.5).max(1).optional().describe("Default 0.65."),
});
export const verifikCreateWithLivenessResponseSchema = z.object({ id: z.string(), data: verifikPersonSchema, signature: verifikSignatureSchema });

export const verifikMatchSchema = z.object({
  id: z.string(),
  name: z.string(),
  notes: z.string().nullable(),
  score: z.number().describe("On Verifik's scale."),
  gender: z.string().nullable(),
  thumbnails: thumbnailsSchema,
  collections: z.array(z.string()),
  create_date: timestamp,
  nationality: z.string().nullable(),
  date_of_birth: z.string().nullable(),
  modified_date: timestamp,
});

const searchBase = {
  images: z.array(image).min(1).max(3).describe("1-3 photos of one person; their mean embedding is searched."),
  search_mode: searchMode,
  collection_id: z.string().max(200).optional(),
  max_results: z.number().int().min(1).max(100).optional().describe("Default 10."),
};
export const verifikSearchRequestSchema = z.object({ ...searchBase, min_score: score(0.2, 1, "Minimum score") });
export const verifikSearchCropsRequestSchema = z.object({ ...searchBase, images: searchBase.images.describe("1-3 tight face crops."), min_score: score(0.5, 1, "Minimum score") });
export const verifikSearchResponseSchema = z.object({ id: z.string(), data: z.array(verifikMatchSchema), signature: verifikSignatureSchema });

export const verifikLiveSearchRequestSchema = z.object({
  image,
  os,
  liveness_min_score: z.number().min(0.5).max(1),
  min_score: score(0.5, 1, "Minimum score"),
  search_mode: searchMode,
  collection_id: z.string().max(200).optional(),
  max_results: z.number().int().min(1).max(100).optional(),
});
export const verifikLiveSearchResponseSchema = z.object({
  id: z.string(),
  data: z.object({ persons: z.array(verifikMatchSchema).describe("Empty when liveness fails."), liveness: z.object({ liveness_score: z.number(), min_score: z.number(), passed: z.boolean() }) }),
  signature: verifikSignatureSchema,
});

export const verifikVerifyRequestSchema = z.object({
  id: z.string().min(1).describe("The person's id."),
  images: searchBase.images,
  min_score: score(0.5, 1, "Minimum score"),
  search_mode: searchMode,
  collection_id: z.string().max(200).optional(),
});
export const verifikVerifyResponseSchema = z.object({
  id: z.string(),
  data: z.object({ match: verifikMatchSchema.nullable().describe("The person when the score reaches min_score."), score: z.number() }),
  signature: verifikSignatureSchema,
});

export const verifikErrorSchema = z.object({
  code: z.string().describe("MissingParameter, InvalidArgument, InvalidContent, InvalidCredentials, NotAuthorized, QuotaExceeded, TooManyRequests, ResourceNotFound, ..."),
  message: z.string().describe("Parameter messages end in a newline, as Verifik's do."),
});

// ------------------------------------------------------------------------------ Kairos

export const kairosFormSchema = z.object({ selfie: imagePart.describe("The live selfie."), image: imagePart.describe("The reference photo (ID photo).") });

const kairosImageSchema = z.object({
  faces_predicted: z.array(z.object({ confidence: z.number(), delta: z.object({ x: z.number(), y: z.number() }), top_left: z.object({ x: z.number(), y: z.number() }) })),
  img: z.object({ height: z.number().int(), width: z.number().int() }),
});

export const kairosResponseSchema = z.object({
  api_req_uid: z.string(),
  processed_at: z.string(),
  requested_at: z.string(),
  response_code: z.literal(1),
  response_data: z.object({
    biometric: z.object({
      face_match_confidence: z.number(),
      image: kairosImageSchema,
      selfie: kairosImageSchema.extend({ faces_liveness: z.number() }),
    }),
    decision: z.object({
      details: z.array(z.object({ code: z.string(), confidence: z.number(), decision: z.enum(["review", "reject"]), description: z.string() })),
      reject_score: z.number().int(),
      review_score: z.number().int(),
      warning_score: z.number().int(),
    }),
  }),
});

export const kairosErrorSchema = z.object({ response_code: z.literal(0), errors: z.array(z.object({ code: z.string().describe("Vigil's error code."), message: z.string() })) });

// ------------------------------------------------------------------------------ verified.africa (sfx)

export const sfxRequestSchema = z.object({
  verificationType: z.literal("PASSIVE-LIVELINESS-VERIFICATION"),
  selfie: image.describe("Also accepted as `Selfie`."),
  transactionReference: z.string().max(200).optional().describe("Generated when absent."),
});

const sfxCommon = { searchParameter: z.null(), callBackUrl: z.null(), paymentRef: z.null(), faceMatch: z.null(), transactionDate: z.string().describe("Unix milliseconds as a string.") };

export const sfxResponseSchema = z.object({
  responseCode: z.literal("00"),
  description: z.string(),
  verificationType: z.literal("PASSIVE-LIVELINESS-VERIFICATION"),
  verificationStatus: z.enum(["VERIFIED", "NOT VERIFIED", "PENDING"]),
  transactionStatus: z.literal("SUCCESSFUL"),
  transactionReference: z.string(),
  livenessScore: z.number(),
  response: z.object({ pop_score: z.number(), live_score: z.number() }),
  ...sfxCommon,
});

export const sfxErrorSchema = z.object({
  responseCode: z.string().describe("01 invalid request, 02 invalid image, 03 no or several faces, 04 bad credentials, 05 another project, 06 quota or rate limit, 99 system error."),
  description: z.string(),
  verificationType: z.string().nullable(),
  verificationStatus: z.literal("PENDING"),
  transactionStatus: z.literal("FAILED"),
  transactionReference: z.string().nullable(),
  livenessScore: z.null(),
  response: z.null(),
  ...sfxCommon,
});

// ------------------------------------------------------------------------------ document liveness

export const documentLivenessRequestSchema = z.object({
  sessionId: z.string().max(200).optional(),
  frontSideImageBase: z.string().optional().describe("The front side as base64, or an https URL when VIGIL_REMOTE_IMAGES=1. Required unless documentImageBase is sent."),
  documentImageBase: z.string().optional().describe("Alias of frontSideImageBase."),
  backSideImageBase: z.string().optional().describe("Optional back side; the score is the lower of the two."),
});

export const documentLivenessResponseSchema = z.object({ sessionId: z.string().nullable(), score: z.number().describe("0-1, high for a genuine document photographed directly."), hasError: z.literal(false) });

export const documentLivenessErrorSchema = z.object({
  sessionId: z.string().nullable(),
  hasError: z.literal(true),
  error: z.string().describe("Vigil's code: DOCUMENT_NOT_FOUND ... (HTTP 200) or a request error (4xx)."),
  message: z.string(),
});

export type VerifikCompareResponse = z.infer<typeof verifikCompareResponseSchema>;
export type VerifikCollectionView = z.infer<typeof verifikCollectionSchema>;
export type VerifikPersonView = z.infer<typeof verifikPersonSchema>;
export type VerifikMatchView = z.infer<typeof verifikMatchSchema>;
export type KairosResponse = z.infer<typeof kairosResponseSchema>;
export type SfxResponse = z.infer<typeof sfxResponseSchema>;
