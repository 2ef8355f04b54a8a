import { createHmac, timingSafeEqual } from "node:crypto";

/** Header names of a delivery (HTTP header names are case-insensitive). */
export const SIGNATURE_HEADER = "Vigil-Signature";
export const EVENT_HEADER = "Vigil-Event";
export const DELIVERY_HEADER = "Vigil-Delivery";

/**
 * How old a signed timestamp a receiver should still accept: the README's advice, and what
 * `verifyWebhookSignature` defaults to. Stripe documents the same five minutes.
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** hex HMAC-SHA256 keyed with the secret (its UTF-8 bytes, `whsec_` included) over `<t>.<body>`. */
export function computeSignature(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/**
 * The Vigil-Signature value: `t=<unix seconds>,v1=<hex>`, with one more `v1=` per extra
 * secret (the previous secret during the day after a rotation), so a receiver still on the
 * old secret keeps verifying.
 */
export function signatureHeader(secrets: string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${computeSignature(s, timestamp, body)}`)].join(",");
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: "MALFORMED" | "MISMATCH" | "TOO_OLD" };

/**
 * The receiver's side, as the README describes it: parse `t` and every `v1`, recompute the HMAC
 * over `<t>.<raw body>`, compare in constant time, and refuse a timestamp more than
 * `toleranceSeconds` away from now (a replayed old delivery).
 */
export function verifyWebhookSignature(
  header: string | null | undefined,
  rawBody: string,
  secret: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): SignatureCheck {
  const parts = (header ?? "").split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  const given = parts.filter(([k, v]) => k === "v1" && v).map(([, v]) => v);
  if (!Number.isInteger(t) || given.length === 0) return { ok: false, reason: "MALFORMED" };
  const expected = Buffer.from(computeSignature(secret, t, rawBody));
  const matches = given.some((v) => {
    const candidate = Buffer.from(v);
    return candidate.length === expected.length && timingSafeEqual(candidate, expected);
  });
  if (!matches) return { ok: false, reason: "MISMATCH" };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS)) return { ok: false, reason: "TOO_OLD" };
  return { ok: true, timestamp: t };
}
