import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { webhookUrlSchema } from "./endpoints";
import { retryDelaySeconds } from "./outbox";
import { generateWebhookSecret, openWebhookSecret, sealWebhookSecret, secretPrefixOf, webhookSecretKey } from "./secrets";
import { computeSignature, signatureHeader, verifyWebhookSignature } from "./signature";
import { verifyVigilSignature } from "./testing/receiver";

const secret = "whsec_test-secret";
const body = '{"id":"evt_1","type":"ping","createdAt":"2026-01-01T00:00:00.000Z","data":{}}';

describe("Vigil-Signature", () => {
  it("is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>", () => {
    const expected = createHmac("sha256", secret).update(`1767225600.${body}`).digest("hex");
    expect(signatureHeader([secret], 1767225600, body)).toBe(`t=1767225600,v1=${expected}`);
    expect(computeSignature(secret, 1767225600, body)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("verifies a fresh signature and refuses a changed body, another secret, an old timestamp, a malformed header", () => {
    const now = Math.floor(Date.now() / 1000);
    const header = signatureHeader([secret], now, body);
    expect(verifyWebhookSignature(header, body, secret)).toEqual({ ok: true, timestamp: now });
    expect(verifyVigilSignature(header, body, secret)).toBe(true);
    expect(verifyWebhookSignature(header, body.replace("ping", "pong"), secret)).toEqual({ ok: false, reason: "MISMATCH" });
    expect(verifyVigilSignature(header, body.replace("ping", "pong"), secret)).toBe(false);
    expect(verifyWebhookSignature(header, body, "whsec_other")).toEqual({ ok: false, reason: "MISMATCH" });
    expect(verifyVigilSignature(header, body, "whsec_other")).toBe(false);
    const old = signatureHeader([secret], now - 301, body);
    expect(verifyWebhookSignature(old, body, secret)).toEqual({ ok: false, reason: "TOO_OLD" });
    expect(verifyVigilSignature(old, body, secret)).toBe(false);
    // A timestamp changed by an attacker breaks the HMAC, so a replay cannot be freshened.
    expect(verifyVigilSignature(header.replace(`t=${now}`, `t=${now + 1}`), body, secret)).toBe(false);
    for (const bad of ["", "v1=abc", `t=${now}`, "t=x,v1=00", `t=${now},v1=${"zz".repeat(32)}`]) {
      expect(verifyVigilSignature(bad, body, secret)).toBe(false);
      expect(verifyWebhookSignature(bad, body, secret).ok).toBe(false);
    }
  });

  it("carries one v1 per secret while a rotated secret is honoured: either secret verifies", () => {
    const now = Math.floor(Date.now() / 1000);
    const header = signatureHeader(["whsec_new", "whsec_old"], now, body);
    expect(header.split(",").filter((p) => p.startsWith("v1="))).toHaveLength(2);
    expect(verifyVigilSignature(header, body, "whsec_new")).toBe(true);
    expect(verifyVigilSignature(header, body, "whsec_old")).toBe(true);
    expect(verifyVigilSignature(header, body, "whsec_neither")).toBe(false);
  });
});

describe("retry schedule", () => {
  it("grows 4x from the base: 10 s, 40 s, 160 s ... 8 attempts over about 15 hours", () => {
    const nominal = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelaySeconds(n, 10, 0.5));
    expect(nominal).toEqual([10, 40, 160, 640, 2560, 10240, 40960]);
    const hours = nominal.reduce((a, b) => a + b, 0) / 3600;
    expect(hours).toBeGreaterThan(15);
    expect(hours).toBeLessThan(15.5);
  });

  it("spreads each delay by +-20% and caps one delay at 12 hours", () => {
    expect(retryDelaySeconds(2, 10, 0)).toBeCloseTo(32);
    expect(retryDelaySeconds(2, 10, 1)).toBeCloseTo(48);
    expect(retryDelaySeconds(12, 10, 0.5)).toBe(12 * 3600);
  });
});

describe("endpoint URLs", () => {
  it("accepts absolute http(s) URLs, localhost included", () => {
    for (const url of ["https://hooks.acme.test/vigil", "http://127.0.0.1:8123/hook?x=1", "http://localhost:9/"]) {
      expect(webhookUrlSchema.safeParse(url).success, url).toBe(true);
    }
  });

  it("refuses other schemes, relative URLs, credentials and fragments", () => {
    for (const url of ["ftp://acme.test/x", "file:///etc/passwd", "javascript:alert(1)", "/hooks", "acme.test/hook", "https://user:pw@acme.test/", "https://acme.test/#frag", `https://acme.test/${"a".repeat(2100)}`]) {
      expect(webhookUrlSchema.safeParse(url).success, url).toBe(false);
    }
  });
});

describe("endpoint secrets", () => {
  it("are whsec_ and 256 random bits, sealed bound to their endpoint under a key derived from the storage key", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
    expect(secretPrefixOf(a)).toBe(a.slice(0, 12));
    const storageKey = randomBytes(32);
    const key = webhookSecretKey(storageKey);
    expect(key.equals(storageKey)).toBe(false);
    const sealed = sealWebhookSecret(key, "whk_1", a);
    expect(sealed).not.toContain(a.slice(6));
    expect(openWebhookSecret(key, "whk_1", sealed)).toBe(a);
    expect(() => openWebhookSecret(key, "whk_2", sealed)).toThrow();
    expect(() => openWebhookSecret(webhookSecretKey(randomBytes(32)), "whk_1", sealed)).toThrow();
  });
});
