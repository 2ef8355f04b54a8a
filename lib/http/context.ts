import "server-only";
import { randomUUID } from "node:crypto";
import { getDb } from "@/db/client";
import { getEnv } from "@/lib/env";
import type { Database } from "@/db/client";
import { getImageStore } from "@/lib/storage";
import type { ImageStore } from "@/lib/storage";

/** A request id: the caller's X-Request-Id when it is sane, else a new one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}

/**
 * The Idempotency-Key header, at most 200 characters of it, or null. The native API and every
 * vendor-shaped endpoint that stores a verification take it: repeating a request with the same
 * key and body answers the first record, another body is IDEMPOTENCY_KEY_REUSED.
 */
export function idempotencyKeyOf(request: Request): string | null {
  return request.headers.get("idempotency-key")?.slice(0, 200) || null;
}

/** Headers of an answer that stored (or, `replayed`, found) a verification. */
export function verificationHeaders(record: { id: string }, replayed: boolean): Record<string, string> {
  return replayed ? { "x-verification-id": record.id, "idempotent-replayed": "true" } : { "x-verification-id": record.id };
}

/** Database and image store for a route handler. */
export async function getServices(): Promise<{ db: Database; store: ImageStore }> {
  return { db: await getDb(), store: getImageStore() };
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1] : null;
}

/** Logs an unexpected error with the request id; the caller answers a generic 500. */
export function logUnexpected(requestId: string, error: unknown): void {
  console.error(`vigil: request ${requestId} failed:`, error);
}

/** Origin for absolute links: VIGIL_PUBLIC_URL when set, else the request's own. */
export function originOf(request: Request): string {
  return getEnv().VIGIL_PUBLIC_URL ?? new URL(request.url).origin;
}

/** The API key of a native request: `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function apiKeyOf(request: Request): string | null {
  return bearerToken(request) ?? request.headers.get("x-api-key");
}
