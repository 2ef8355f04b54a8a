import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { POST as create } from "@/app/api/v1/verifications/route";
import type { Database, DatabaseHandle } from "@/db/client";
import { installDatabase } from "@/db/client";
import { images, verifications } from "@/db/schema";
import { twoPeople } from "@/lib/inference/testing/photos";
import type { ApiTestContext } from "@/lib/testing/api";
import { setupApiTest } from "@/lib/testing/api";
import { pendingStagedImages, settleStagedImagesNow } from "./staged-images";

let ctx: ApiTestContext;
let faceA: Buffer;
let faceB: Buffer;

/** What node-postgres throws when the server goes away mid-query. */
const connectionLost = () => new Error("Connection terminated unexpectedly");

/**
 * The test database with its connection "lost" around the transaction that writes a
 * verification: after its COMMIT went through (`after`: the answer never came back) or
 * instead of it (`before`: nothing was written). Other transactions (API key bookkeeping) pass.
 */
function losingConnection(handle: DatabaseHandle, when: "before" | "after", state = { down: false }): Database {
  const db = handle.db;
  return new Proxy(db, {
    get(target, prop, receiver) {
      // While `state.down`, reads fail as they would with the server away.
      if (prop === "select" && state.down) return () => { throw connectionLost(); };
      if (prop !== "transaction") return Reflect.get(target, prop, receiver);
      return async (work: (tx: unknown) => Promise<unknown>, config?: unknown) => {
        let writesVerification = false;
        const result = await target.transaction(async (tx) => {
          const watched = new Proxy(tx, {
            get(t, p, r) {
              if (p !== "insert") return Reflect.get(t, p, r);
              return (table: unknown) => {
                if (table === verifications) {
                  writesVerification = true;
                  if (when === "before") throw connectionLost();
                }
                return t.insert(table as typeof verifications);
              };
            },
          });
          return work(watched);
        }, config as never);
        if (writesVerification && when === "after") throw connectionLost();
        return result;
      };
    },
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

function post() {
  return create(
    new Request("http://vigil.test/api/v1/verifications", {
      method: "POST",
      headers: { authorization: `Bearer ${ctx.secret}`, "content-type": "application/json" },
      body: JSON.stringify({ selfie: faceA.toString("base64"), reference: faceB.toString("base64") }),
    }),
    undefined,
  );
}

beforeAll(async () => {
  ctx = await setupApiTest();
  [faceA, faceB] = await twoPeople();
});

afterEach(() => installDatabase(ctx.handle));
afterAll(async () => ctx?.close());

describe("a verification whose database connection drops mid-write", () => {
  it("keeps its images staged while the commit is in doubt, then publishes them when the rows did commit", async () => {
    const before = (await ctx.handle.db.select({ id: verifications.id }).from(verifications)).length;
    installDatabase({ ...ctx.handle, db: losingConnection(ctx.handle, "after") });
    const res = await post();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect((await res.json()).error.code).toBe("DATABASE_UNAVAILABLE");

    // The rows committed; their images wait in staging, neither discarded nor published yet.
    const rows = await ctx.handle.db.select({ id: verifications.id }).from(verifications);
    expect(rows.length).toBe(before + 1);
    const stored = await ctx.handle.db.select({ key: images.storageKey }).from(images).where(eq(images.verificationId, rows.at(-1)!.id));
    expect(stored).toHaveLength(2);
    expect(filesUnder(join(ctx.storeDir, "staging"))).toHaveLength(2);
    expect(pendingStagedImages()).toBe(2);

    const settled = await settleStagedImagesNow({ minAgeMs: 0 });
    expect(settled).toEqual({ published: 2, discarded: 0, pending: 0 });
    expect(filesUnder(join(ctx.storeDir, "staging"))).toEqual([]);
    for (const { key } of stored) expect((await ctx.store.get(key)).byteLength).toBeGreaterThan(0);
  });

  it("discards the staged images of a transaction that never committed", async () => {
    const before = (await ctx.handle.db.select({ id: verifications.id }).from(verifications)).length;
    installDatabase({ ...ctx.handle, db: losingConnection(ctx.handle, "before") });
    const res = await post();
    expect(res.status).toBe(503);
    expect((await ctx.handle.db.select({ id: verifications.id }).from(verifications)).length).toBe(before);
    expect(filesUnder(join(ctx.storeDir, "staging"))).toHaveLength(2);

    expect(await settleStagedImagesNow({ minAgeMs: 0 })).toEqual({ published: 0, discarded: 2, pending: 0 });
    expect(filesUnder(join(ctx.storeDir, "staging"))).toEqual([]);
  });

  it("leaves them staged while the database does not answer, and settles them when it does", async () => {
    const state = { down: false };
    installDatabase({ ...ctx.handle, db: losingConnection(ctx.handle, "after", state) });
    expect((await post()).status).toBe(503);
    expect(await settleStagedImagesNow({ minAgeMs: 60_000 }), "too young to settle").toEqual({ published: 0, discarded: 0, pending: 2 });
    state.down = true;
    expect(await settleStagedImagesNow({ minAgeMs: 0 }), "database still away").toEqual({ published: 0, discarded: 0, pending: 2 });
    expect(filesUnder(join(ctx.storeDir, "staging"))).toHaveLength(2);
    state.down = false;
    expect(await settleStagedImagesNow({ minAgeMs: 0 })).toEqual({ published: 2, discarded: 0, pending: 0 });
    expect(filesUnder(join(ctx.storeDir, "staging"))).toEqual([]);
  });
});
