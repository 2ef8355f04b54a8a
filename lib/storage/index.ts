import "server-only";
import { join } from "node:path";
import { getEnv } from "@/lib/env";
import type { ImageStore } from "./image-store";
import { LocalImageStore } from "./image-store";
import { getStorageKey } from "./keys";
import { signImagePath, urlSigningKey } from "./signed-urls";

export type { ImageStore } from "./image-store";

const globalKey = Symbol.for("vigil.imageStore");
type Holder = { [globalKey]?: ImageStore };

/** The process-wide image store: encrypted files under VIGIL_DATA_DIR/store. */
export function getImageStore(): ImageStore {
  const holder = globalThis as Holder;
  holder[globalKey] ??= new LocalImageStore(join(getEnv().VIGIL_DATA_DIR, "store"), getStorageKey());
  return holder[globalKey];
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
