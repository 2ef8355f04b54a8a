import { z } from "zod";

/**
 * The one place Vigil reads process.env. Every setting has a default that works on a
 * laptop; production deployments override them through the environment.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Folder holding the .onnx files listed in models/manifest.json. */
  VIGIL_MODELS_DIR: z.string().optional(),
  /** Largest encoded image accepted, in bytes (15 MiB covers a 48 MP phone JPEG). */
  VIGIL_MAX_IMAGE_BYTES: z.coerce.number().int().positive().default(15 * 1024 * 1024),
  /** Largest decoded image accepted, in pixels: the guard against decompression bombs. */
  VIGIL_MAX_IMAGE_PIXELS: z.coerce.number().int().positive().default(50_000_000),
  /** How many inference jobs run at once; defaults to the number of cores. */
  VIGIL_INFERENCE_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /** PostgreSQL connection string; without it Vigil uses embedded PGlite under VIGIL_DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /**
   * 1:N search index: "auto" uses pgvector's HNSW index where the extension can be created
   * (always in the embedded PGlite) and an exact scan elsewhere; "exact" always scans.
   */
  VIGIL_SEARCH_INDEX: z.enum(["auto", "exact"]).default("auto"),
  /**
   * Requests one API key may make per minute, counted in the database (so across instances);
   * above it the API answers 429 with Retry-After. 0 turns the limit off.
   */
  VIGIL_API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  /** Where PGlite, the image store and the generated development keys live. */
  VIGIL_DATA_DIR: z.string().default("data"),
  /**
   * 32-byte key (base64) encrypting images at rest with AES-256-GCM, and signing image URLs.
   * In development a key is generated into VIGIL_DATA_DIR on first start; set your own in
   * production, where losing it makes every stored image unreadable.
   */
  VIGIL_STORAGE_KEY: z.string().optional(),
  /**
   * S3 bucket for the image store (AWS S3 or any S3-compatible server). Unset, images are files
   * under VIGIL_DATA_DIR/store. Credentials come from the AWS SDK's default chain:
   * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or an instance or task role.
   */
  VIGIL_S3_BUCKET: z.string().min(3).optional(),
  /** Endpoint of an S3-compatible server (http://minio:9000); unset means AWS S3. */
  VIGIL_S3_ENDPOINT: z.string().url().optional(),
  VIGIL_S3_REGION: z.string().min(1).default("us-east-1"),
  /** Folder inside the bucket (`vigil/prod`), so one bucket can serve several deployments. */
  VIGIL_S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_\-./]*$/, "VIGIL_S3_PREFIX may hold letters, digits, _ - . and /")
    .refine((p) => !p.split("/").includes(".."), "VIGIL_S3_PREFIX may not hold ..")
    .default(""),
  /** Path-style URLs (http://host/bucket/key), which most self-hosted servers need; default: on when VIGIL_S3_ENDPOINT is set. */
  VIGIL_S3_FORCE_PATH_STYLE: z.stringbool().optional(),
  /** Lifetime of signed image URLs, in seconds (default 15 minutes). */
  VIGIL_IMAGE_URL_TTL: z.coerce.number().int().positive().default(900),
  /** Largest request body accepted by the API, in bytes. */
  VIGIL_MAX_BODY_BYTES: z.coerce.number().int().positive().default(40 * 1024 * 1024),
  /** Images in one Verifik-style gallery, at most. */
  VIGIL_MAX_GALLERY: z.coerce.number().int().positive().default(10),
  /**
   * Lifetime of a console sign-in, in seconds (default 10 hours: a working day). Sessions are
   * not extended by activity; a reviewer signs in again the next day.
   */
  VIGIL_SESSION_MAX_AGE_SECONDS: z.coerce.number().int().positive().default(10 * 3600),
  /** How long a reviewer's claim on a case lasts without renewal, in seconds (default 10 minutes). */
  VIGIL_CLAIM_LEASE_SECONDS: z.coerce.number().int().positive().default(600),
  /**
   * On the very first start, seed the demo project with about a dozen verifications of the
   * sample photos (some in review) and create a reviewer besides the first admin. Set to 0
   * in production: the demo project, its API key and the first admin are still created.
   */
  VIGIL_DEMO_DATA: z.stringbool().default(true),
  /**
   * Accept images given as https URLs (document liveness' frontSideImageBase may be a link).
   * Off by default: when on, private, loopback and link-local addresses are still refused.
   */
  VIGIL_REMOTE_IMAGES: z.stringbool().default(false),
  /** Time limit for fetching one image URL, in milliseconds. */
  VIGIL_REMOTE_IMAGE_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** Public base URL used in signed image links (default: the request's own origin). */
  VIGIL_PUBLIC_URL: z.string().url().optional(),
  /**
   * Bearer token for GET /api/metrics (Prometheus text). Unset, the endpoint answers 404. At
   * least 16 characters: it guards figures about every project (openssl rand -hex 32).
   */
  VIGIL_METRICS_TOKEN: z.string().min(16, "VIGIL_METRICS_TOKEN needs at least 16 characters (openssl rand -hex 32)").optional(),
  /** Time for one webhook delivery, from connecting to the end of the answer, in milliseconds. */
  VIGIL_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /**
   * Delay before the first webhook retry, in seconds; each later one is 4 times longer (10 s,
   * 40 s, 2.7 min... about 15 hours over 8 attempts). Fractions are allowed, for tests.
   */
  VIGIL_WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().positive().default(10),
  /** Attempts before a webhook delivery is marked failed (it can still be redelivered by hand). */
  VIGIL_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
}).refine((env) => env.VIGIL_S3_BUCKET !== undefined || (env.VIGIL_S3_ENDPOINT === undefined && env.VIGIL_S3_PREFIX === ""), {
  // Without this a typo in the bucket's name would quietly put images on local disk instead.
  message: "VIGIL_S3_ENDPOINT or VIGIL_S3_PREFIX is set but VIGIL_S3_BUCKET is not",
  path: ["VIGIL_S3_BUCKET"],
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** Forgets the parsed environment; tests that change process.env call it. */
export function resetEnv(): void {
  cached = undefined;
}

export function getEnv(): Env {
  if (!cached) {
    const parsed = envSchema.safeParse(process.env);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      throw new Error(`Invalid environment: ${issues}`);
    }
    cached = parsed.data;
  }
  return cached;
}
