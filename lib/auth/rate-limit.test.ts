import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as listVerifications } from "@/app/api/v1/verifications/route";
import { authenticateApiKey } from "@/lib/auth/api-keys";
import { resetEnv } from "@/lib/env";
import type { ApiTestContext } from "@/lib/testing/api";
import { apiRequest, setupApiTest } from "@/lib/testing/api";
import { errorCodeOf } from "@/lib/testing/errors";

let ctx: ApiTestContext;
const LIMIT = 3;

beforeAll(async () => {
  process.env.VIGIL_API_RATE_LIMIT_PER_MINUTE = String(LIMIT);
  ctx = await setupApiTest();
});

afterAll(async () => {
  delete process.env.VIGIL_API_RATE_LIMIT_PER_MINUTE;
  resetEnv();
  await ctx?.close();
});

describe("per-key rate limit", () => {
  it("answers 429 with Retry-After past the limit, per key, and lets the key in again when the minute is over", async () => {
    for (let i = 0; i < LIMIT; i++) await authenticateApiKey(ctx.handle.db, ctx.secret);
    expect(await errorCodeOf(() => authenticateApiKey(ctx.handle.db, ctx.secret))).toBe("RATE_LIMITED");

    const res = await listVerifications(apiRequest("GET", "/api/v1/verifications", undefined, ctx.secret), undefined);
    expect(res.status).toBe(429);
    expect((await res.json()).error.code).toBe("RATE_LIMITED");
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Another key of another project has its own count.
    await authenticateApiKey(ctx.handle.db, ctx.otherSecret);

    // The window began over a minute ago: the next request opens a new one.
    await ctx.handle.db.execute(sql`update api_keys set rate_window_start = now() - interval '61 seconds'`);
    const again = await listVerifications(apiRequest("GET", "/api/v1/verifications", undefined, ctx.secret), undefined);
    expect(again.status).toBe(200);
  });

  it("tells a spent quota from a rate limit", async () => {
    await ctx.handle.db.execute(sql`update api_keys set quota = used_count, rate_window_start = now() - interval '61 seconds'`);
    expect(await errorCodeOf(() => authenticateApiKey(ctx.handle.db, ctx.otherSecret))).toBe("QUOTA_EXCEEDED");
  });
});
