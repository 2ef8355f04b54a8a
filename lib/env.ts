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
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

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
