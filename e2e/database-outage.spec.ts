import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { postgresUnavailableReason, startTestPostgres, type TestPostgres } from "../db/testing/postgres";
import { signIn } from "./support/fixtures";
import { createDataDir, removeDataDir, startServer, type RunningServer } from "./support/server";

const unavailable = postgresUnavailableReason();

test.describe("the console while PostgreSQL is away", () => {
  test.skip(unavailable !== null, `needs PostgreSQL: ${unavailable}`);
  let pg: TestPostgres | undefined;
  let server: RunningServer | undefined;
  let dataDir: string | undefined;

  test.afterAll(async () => {
    await server?.stop();
    await pg?.stop();
    if (dataDir) await removeDataDir(dataDir);
  });

  test("a reviewer gets a page that says what happened and a Try again that works once it is back", async ({ browser }, testInfo) => {
    test.setTimeout(180_000);
    pg = await startTestPostgres();
    dataDir = await createDataDir("outage");
    const logFile = testInfo.outputPath("server.log");
    server = await startServer({
      dataDir,
      logFile,
      env: { DATABASE_URL: pg.url, VIGIL_STORAGE_KEY: randomBytes(32).toString("base64"), VIGIL_DEMO_DATA: "0", VIGIL_INFERENCE_CONCURRENCY: "1" },
    });
    // The first start on an empty database creates the admin and prints its password once.
    const password = /admin@vigil\.local\s+admin\s+(\S+)/.exec(readFileSync(logFile, "utf8"))?.[1];
    expect(password, "the first start prints the admin's password").toBeTruthy();

    const context = await browser.newContext({ baseURL: server.url });
    try {
      const page = await context.newPage();
      await signIn(page, { email: "admin@vigil.local", password: password! });

      await pg.shutdown("fast");
      await page.reload();
      await expect(page.getByRole("heading", { level: 1, name: "This page could not be loaded" })).toBeVisible();
      await expect(page.getByText(/database or another service it needs did not answer/)).toBeVisible();
      await expect(page.locator("body")).not.toContainText(/ECONNREFUSED|Failed query|at \w+ \(/);
      // Still down: trying again lands on the same page, not on a crash.
      await page.getByRole("button", { name: "Try again" }).click();
      await expect(page.getByRole("heading", { level: 1, name: "This page could not be loaded" })).toBeVisible();
      // The queue screen's poll meanwhile: the native API's 503, saying when to try again.
      const poll = await page.request.get("/api/console/queue");
      expect(poll.status()).toBe(503);
      expect(poll.headers()["retry-after"]).toBe("5");
      expect((await poll.json()).error.code).toBe("DATABASE_UNAVAILABLE");

      await pg.start();
      await page.getByRole("button", { name: "Try again" }).click();
      await expect(page.getByRole("heading", { level: 1, name: "Queue" })).toBeVisible({ timeout: 20_000 });
      expect(new URL(page.url()).pathname).toBe("/queue");
    } finally {
      await context.close();
    }
  });
});
