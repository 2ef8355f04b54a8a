import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresDatabase } from "./client";
import { rowsOf } from "./rows";
import type { DatabaseHandle } from "./client";
import { resetEnv } from "@/lib/env";
import { LocalImageStore } from "@/lib/storage/image-store";
import { prepareStorage } from "@/lib/verification/startup";
import { postgresUnavailableReason, startTestPostgres, type TestPostgres } from "./testing/postgres";

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`Skipping PostgreSQL migration tests: ${unavailable}`);

describe.skipIf(unavailable !== null)("migrations on a shared PostgreSQL", () => {
  let pg: TestPostgres;
  const handles: DatabaseHandle[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
    await pg?.stop();
  });

  it("lets several instances start at once on an empty database: one migrates, the others wait and find it done", async () => {
    const opened = await Promise.allSettled([1, 2, 3, 4].map(() => openPostgresDatabase(pg.url, 3)));
    for (const result of opened) if (result.status === "fulfilled") handles.push(result.value);
    expect(opened.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual(["ok", "ok", "ok", "ok"]);
    const applied = await handles[0].db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    const rows = rowsOf<{ n: number }>(applied);
    const files = readdirSync("db/migrations").filter((f) => f.endsWith(".sql"));
    expect(rows[0].n).toBe(files.length);
  }, 60_000);

  it("lets several instances run their first start-up at once: one demo project, one set of first users", async () => {
    const previous = process.env.VIGIL_DEMO_DATA;
    process.env.VIGIL_DEMO_DATA = "0";
    resetEnv();
    try {
      const store = new LocalImageStore(await mkdtemp(join(tmpdir(), "vigil-startup-")), randomBytes(32));
      const reports = await Promise.all(handles.map((h) => prepareStorage(h.db, store)));
      expect(reports.filter((r) => r.demoKey !== null)).toHaveLength(1);
      expect(reports.flatMap((r) => r.createdUsers.map((u) => u.email)).sort()).toEqual(["admin@vigil.local"]);
      const projectRows = rowsOf<{ n: number }>(await handles[0].db.execute(sql`select count(*)::int as n from projects`));
      expect(projectRows[0].n).toBe(1);
    } finally {
      if (previous === undefined) delete process.env.VIGIL_DEMO_DATA;
      else process.env.VIGIL_DEMO_DATA = previous;
      resetEnv();
    }
  }, 60_000);
});
