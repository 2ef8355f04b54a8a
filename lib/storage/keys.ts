import "server-only";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getEnv } from "@/lib/env";

let cached: Buffer | undefined;

/**
 * The 32-byte storage key: VIGIL_STORAGE_KEY (base64) when set. On the embedded default (one
 * machine, PGlite) a key is generated once into VIGIL_DATA_DIR/storage.key, beside the data it
 * protects, so `npm start` works on a fresh clone. With DATABASE_URL (several instances that
 * must share one key) an explicit key is required.
 */
export function getStorageKey(): Buffer {
  if (cached) return cached;
  const env = getEnv();
  if (env.VIGIL_STORAGE_KEY) {
    const key = Buffer.from(env.VIGIL_STORAGE_KEY, "base64");
    if (key.length !== 32) throw new Error("VIGIL_STORAGE_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32).");
    cached = key;
    return key;
  }
  if (env.DATABASE_URL) {
    throw new Error("VIGIL_STORAGE_KEY is not set. Every instance needs the same key: generate one with `openssl rand -base64 32` and keep it safe, it encrypts every stored image.");
  }
  const file = join(env.VIGIL_DATA_DIR, "storage.key");
  if (!existsSync(file)) {
    mkdirSync(env.VIGIL_DATA_DIR, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    console.warn(`vigil: generated a storage key in ${file}. Back it up with the data, or set VIGIL_STORAGE_KEY: without it the stored images cannot be read.`);
  }
  cached = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  return cached;
}
