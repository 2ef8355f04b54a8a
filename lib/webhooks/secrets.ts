import "server-only";
import { hkdfSync, randomBytes } from "node:crypto";
import { decryptImage, encryptImage } from "@/lib/storage/image-store";
import { getStorageKey } from "@/lib/storage/keys";

const SECRET_PREFIX = "whsec_";

/**
 * The key sealing webhook signing secrets, derived from the storage key (HKDF, its own info
 * string) as the image and URL-signing keys are: one key to back up, separate keys per use.
 */
export function webhookSecretKey(storageKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", storageKey, Buffer.alloc(0), "vigil webhook secrets v1", 32));
}

/** The process's sealing key, from VIGIL_STORAGE_KEY or the generated ./data/storage.key. */
export function getWebhookSecretKey(): Buffer {
  return webhookSecretKey(getStorageKey());
}

/** `whsec_` and 32 random bytes in base64url: used as given (UTF-8) as the HMAC key. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** What the console shows of a secret after it was shown once. */
export function secretPrefixOf(secret: string): string {
  return secret.slice(0, SECRET_PREFIX.length + 6);
}

/** Associated data binding a sealed secret to its endpoint: a row copied onto another endpoint fails to open. */
function boundTo(endpointId: string): string {
  return `webhook-endpoint/${endpointId}`;
}

/** AES-256-GCM with the image store's sealing format (iv | tag | ciphertext), base64. */
export function sealWebhookSecret(key: Buffer, endpointId: string, secret: string): string {
  return encryptImage(key, boundTo(endpointId), Buffer.from(secret, "utf8")).toString("base64");
}

export function openWebhookSecret(key: Buffer, endpointId: string, sealed: string): string {
  return decryptImage(key, boundTo(endpointId), Buffer.from(sealed, "base64")).toString("utf8");
}
