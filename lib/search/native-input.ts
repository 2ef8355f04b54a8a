import "server-only";
import { z } from "zod";
import { MAX_IMAGES_PER_REQUEST } from "./persons";
import { MAX_SEARCH_RESULTS } from "./search";

/** Request bodies and queries of the native gallery and search routes. */

const image = z.string().min(1, "must not be empty").describe("A JPEG, PNG or WebP image as base64 or a data: URL.");
const images = z.array(image).min(1, "at least one image is required").max(MAX_IMAGES_PER_REQUEST, `at most ${MAX_IMAGES_PER_REQUEST} images per request`);
const collectionRefs = z.array(z.string().min(1).max(200)).max(100);
const text = (max: number) => z.string().trim().max(max);

export const collectionCreateSchema = z.object({
  name: text(200).min(1, "must not be empty"),
  description: text(2000).optional(),
});

export const collectionUpdateSchema = z
  .object({ name: text(200).min(1, "must not be empty").optional(), description: text(2000).optional() })
  .refine((v) => v.name !== undefined || v.description !== undefined, { message: "nothing to change: send name or description" });

export const personMetadataSchema = z
  .object({
    gender: text(50).optional(),
    dateOfBirth: text(50).optional(),
    nationality: text(100).optional(),
    notes: text(2000).optional(),
    emails: z.array(text(320)).max(20).optional(),
    phones: z.array(text(50)).max(20).optional(),
  })
  .strict();

export const personCreateSchema = z.object({
  name: text(200).min(1, "must not be empty"),
  externalRef: text(200).nullable().optional(),
  metadata: personMetadataSchema.optional(),
  collections: collectionRefs.optional(),
  images,
  /** Selfie-liveness score every image must reach; null or absent: liveness is not checked. */
  livenessMin: z.number().min(0).max(1).nullable().optional(),
  /** Refuse with DUPLICATE_PERSON when someone enrolled matches at this cosine similarity or above. */
  duplicateCheck: z.object({ minSimilarity: z.number().min(0).max(1), collections: collectionRefs.optional() }).optional(),
});

export const personUpdateSchema = z
  .object({
    name: text(200).min(1, "must not be empty").optional(),
    externalRef: text(200).nullable().optional(),
    metadata: personMetadataSchema.optional(),
    collections: collectionRefs.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change: send name, externalRef, metadata or collections" });

export const personListSchema = z.object({
  collection: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: z.string().regex(/^per_[0-9a-z]{26}$/, "must be a person id").optional(),
});

export const addFacesSchema = z.object({ images });

export const verifyPersonSchema = z.object({ image });

export const searchSchema = z.object({
  image,
  collections: collectionRefs.optional(),
  limit: z.number().int().min(1).max(MAX_SEARCH_RESULTS).default(5),
  mode: z.enum(["FAST", "ACCURATE"]).default("FAST"),
  /** Cosine similarity; default: the project's face-match review threshold. */
  minSimilarity: z.number().min(-1).max(1).optional(),
  liveness: z.boolean().default(false),
  faceCrop: z.boolean().default(false),
});
