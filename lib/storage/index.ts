import "server-only";
import { join } from "node:path";
import { getEnv } from "@/lib/env";
import type { Env } from "@/lib/env";
import type { ImageStore } from "./image-store";
import { LocalImageStore, SHARED_STAGING_GRACE_MS } from "./image-store";
import { getStorageKey } from "./keys";
import { createS3Client, S3ImageStore } from "./s3-store";
import { signImagePath, urlSigningKey } from "./signed-urls";

export type { ImageStore } from "./image-store";

const globalKey = Symbol.for("vigil.imageStore");
type Holder = { [globalKey]?: ImageStore };

/**
 * The process-wide image store: encrypted objects in VIGIL_S3_BUCKET when it is set, else
 * encrypted files under VIGIL_DATA_DIR/store.
 */
export function getImageStore(): ImageStore {
  const holder = globalThis as Holder;
  holder[globalKey] ??= createImageStore(getEnv());
  return holder[globalKey];
}

/** The image store `env` asks for; getImageStore keeps one per process. */
export function createImageStore(env: Env): ImageStore {
  if (!env.VIGIL_S3_BUCKET) {
    // On PostgreSQL several instances may share the directory (a shared volume), as they share a bucket.
    const stagingGraceMs = env.DATABASE_URL ? SHARED_STAGING_GRACE_MS : 0;
    return new LocalImageStore(join(env.VIGIL_DATA_DIR, "store"), getStorageKey(), { stagingGraceMs });
  }
  const client = createS3Client({
    region: env.VIGIL_S3_REGION,
    endpoint: env.VIGIL_S3_ENDPOINT,
    forcePathStyle: env.VIGIL_S3_FORCE_PATH_STYLE,
  });
  return new S3ImageStore(client, { bucket: env.VIGIL_S3_BUCKET, prefix: env.VIGIL_S3_PREFIX, storageKey: getStorageKey() });
}

/** A signed URL path to one image, valid for VIGIL_IMAGE_URL_TTL seconds, made for `actor`. */
export function imageUrlPath(imageId: string, actor: string, now = Date.now()): string {
  const expiresAt = Math.floor(now / 1000) + getEnv().VIGIL_IMAGE_URL_TTL;
  return signImagePath(urlSigningKey(getStorageKey()), { imageId, expiresAt, actor });
}

/** Makes `store` the process-wide image store (tests use a temporary directory). */
export function installImageStore(store: ImageStore): void {
  (globalThis as Holder)[globalKey] = store;
}
