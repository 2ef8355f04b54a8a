import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresUnavailableReason, startTestPostgres, type TestPostgres } from "./postgres";

const unavailable = postgresUnavailableReason();
if (unavailable) console.warn(`Skipping PostgreSQL tests: ${unavailable}`);

describe.skipIf(unavailable !== null)("startTestPostgres", () => {
  let pg: TestPostgres;
  let client: Client;

  beforeAll(async () => {
    pg = await startTestPostgres();
    client = new Client({ connectionString: pg.url });
    await client.connect();
  }, 30_000);

  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await pg?.stop();
  });

  it("hands out a URL for the vigil_test database on 127.0.0.1", () => {
    expect(pg.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/vigil_test$/);
  });

  it("runs queries on PostgreSQL 15", async () => {
    const two = await client.query<{ two: number }>("select 1 + 1 as two");
    expect(two.rows[0].two).toBe(2);
    const version = await client.query<{ version: string }>("select version()");
    expect(version.rows[0].version).toMatch(/^PostgreSQL 15\./);
  });

  it("creates a table, inserts a row and reads it back", async () => {
    await client.query("create table things (id serial primary key, name text not null)");
    await client.query("insert into things (name) values ($1)", ["widget"]);
    const { rows } = await client.query<{ id: number; name: string }>("select id, name from things");
    expect(rows).toEqual([{ id: 1, name: "widget" }]);
  });

  it("stops the server so new connections fail, and stop() can be called again", async () => {
    await client.end();
    await pg.stop();
    await pg.stop();
    const late = new Client({ connectionString: pg.url, connectionTimeoutMillis: 2_000 });
    await expect(late.connect()).rejects.toThrow();
  });
});
