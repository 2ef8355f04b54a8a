import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresDatabase } from "@/db/client";
import { projects, users } from "@/db/schema";
import { postgresUnavailableReason, startTestPostgres } from "@/db/testing/postgres";
import type { TestPostgres } from "@/db/testing/postgres";
import { resetEnv } from "@/lib/env";
import { LocalImageStore } from "@/lib/storage/image-store";
import { prepareStorage } from "./startup";

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`Skipping concurrent start-up tests: ${unavailable}`);

/** The race needs both instances past "no project yet" before either inserts; a few rounds make it near certain. */
const ROUNDS = 4;

describe.skipIf(unavailable !== null)("prepareStorage of instances starting together on one empty PostgreSQL", () => {
  let pg: TestPostgres;
  let dir: string;
  const demoData = process.env.VIGIL_DEMO_DATA;

  beforeAll(async () => {
    // No demo verifications: they need the inference workers, and the race is about the project and the first users.
    process.env.VIGIL_DEMO_DATA = "0";
    resetEnv();
    pg = await startTestPostgres();
    dir = await mkdtemp(join(tmpdir(), "vigil-startup-"));
  }, 60_000);

  afterAll(async () => {
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
    if (demoData === undefined) delete process.env.VIGIL_DEMO_DATA;
    else process.env.VIGIL_DEMO_DATA = demoData;
    resetEnv();
  });

  async function emptyDatabase(round: number): Promise<string> {
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    try {
      await admin.query(`create database startup_${round}`);
    } finally {
      await admin.end();
    }
    return pg.url.replace(/\/[^/]+$/, `/startup_${round}`);
  }

  it("both come up; one creates the demo project and the first admin, the other finds them", async () => {
    const key = randomBytes(32);
    for (let round = 0; round < ROUNDS; round++) {
      const url = await emptyDatabase(round);
      const handles = await Promise.all([0, 1].map(() => openPostgresDatabase(url, 3, { searchIndex: "exact" })));
      try {
        const reports = await Promise.all(handles.map((h, i) => prepareStorage(h.db, new LocalImageStore(join(dir, `${round}-${i}`), key))));
        expect(reports.filter((r) => r.demoKey !== null)).toHaveLength(1);
        expect(reports.flatMap((r) => r.createdUsers.map((u) => u.email))).toEqual(["admin@vigil.local"]);
        const [{ n }] = await handles[0].db.select({ n: count() }).from(projects);
        expect(n).toBe(1);
        const [{ people }] = await handles[0].db.select({ people: count() }).from(users);
        expect(people).toBe(1);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
    }
  }, 120_000);
});
