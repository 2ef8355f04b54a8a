import "server-only";
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * Signed, expiring image URLs: /api/v1/images/<imageId>?exp=<unix s>&by=<actor>&sig=<hmac>.
 * The signature covers the image, the expiry and the actor the link was made for, so every
 * view can be attributed in the audit log, and a link cannot be stretched or re-targeted.
 */
export interface ImageGrant {
  imageId: string;
  expiresAt: number;
  actor: string;
}

export function urlSigningKey(storageKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", storageKey, Buffer.alloc(0), "vigil image url signing v1", 32));
}

function signature(key: Buffer, grant: ImageGrant): string {
  return createHmac("sha256", key).update(`${grant.imageId}\n${grant.expiresAt}\n${grant.actor}`).digest("base64url");
}

export function signImagePath(key: Buffer, grant: ImageGrant): string {
  const query = new URLSearchParams({ exp: String(grant.expiresAt), by: grant.actor, sig: signature(key, grant) });
  return `/api/v1/images/${encodeURIComponent(grant.imageId)}?${query}`;
}

export type GrantCheck = { ok: true; grant: ImageGrant } | { ok: false; reason: "INVALID_SIGNATURE" | "URL_EXPIRED" };

export function verifyImageGrant(key: Buffer, imageId: string, params: URLSearchParams, now = Date.now()): GrantCheck {
  const exp = Number(params.get("exp"));
  const actor = params.get("by") ?? "";
  const sig = params.get("sig") ?? "";
  if (!Number.isInteger(exp) || !actor || !sig) return { ok: false, reason: "INVALID_SIGNATURE" };
  const grant = { imageId, expiresAt: exp, actor };
  const expected = Buffer.from(signature(key, grant));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: "INVALID_SIGNATURE" };
  if (exp * 1000 < now) return { ok: false, reason: "URL_EXPIRED" };
  return { ok: true, grant };
}
