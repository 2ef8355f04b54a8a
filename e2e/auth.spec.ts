import { expect, test, type Page } from "@playwright/test";
import { alertSaying, screenshot, signIn, submitSignIn, users } from "./support/fixtures";
import { addConsoleUser, createDataDir, removeDataDir, startServer, type RunningServer } from "./support/server";

const wrongCredentials = /wrong e-?mail or password|e-?mail or password (is|was) (wrong|incorrect)/i;
const rateLimited = /Too many failed sign-ins/i;

const pathname = (page: Page) => new URL(page.url()).pathname;

test.describe("signed out", () => {
  for (const path of ["/queue", "/cases/x", "/records/x", "/verify", "/admin/users"]) {
    test(`GET ${path} redirects to /login`, async ({ page }) => {
      await page.goto(path);
      expect(pathname(page)).toBe("/login");
    });
  }
});

// Failed sign-ins count per e-mail (5 per 15 min) and per client address (30 per 15 min):
// this file makes 6 (1 + 5); the rest of the suite must keep the total under 30.
test.describe("sign-in failures", () => {
  test("a wrong password says the e-mail or password is wrong", async ({ page }) => {
    await submitSignIn(page, users.reviewer2.email, "not-the-right-passphrase");
    await expect(alertSaying(page, wrongCredentials)).toBeVisible();
    expect(pathname(page)).toBe("/login");
  });

  test("the 6th failure for one e-mail within 15 minutes is refused as rate-limited", async ({ page }) => {
    // A throwaway address, so no other test's user is locked out.
    const email = `locked-${Date.now()}@e2e.test`;
    for (let attempt = 1; attempt <= 5; attempt++) {
      await submitSignIn(page, email, `wrong-passphrase-${attempt}`);
      await expect(alertSaying(page, wrongCredentials), `attempt ${attempt}`).toBeVisible();
    }
    await submitSignIn(page, email, "wrong-passphrase-6");
    await expect(alertSaying(page, rateLimited)).toBeVisible();
    await screenshot(page, "sign-in-rate-limited");
  });
});

test.describe("reviewer", () => {
  test("signs in to /queue, is refused /admin/users with 403, signs out", async ({ page }) => {
    await signIn(page, users.reviewer1);
    expect(pathname(page)).toBe("/queue");

    const admin = await page.goto("/admin/users");
    expect(admin?.status()).toBe(403);
    await expect(page.getByRole("heading", { level: 1, name: /denied|forbidden|not allowed|no access/i })).toBeVisible();
    await screenshot(page, "reviewer-admin-forbidden");

    await page.goto("/queue");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/login");

    await page.goto("/queue");
    expect(pathname(page)).toBe("/login");
  });
});

test.describe("session lifetime", () => {
  let server: RunningServer | undefined;
  let dataDir: string | undefined;

  test.afterEach(async () => {
    await server?.stop();
    if (dataDir) await removeDataDir(dataDir);
    server = undefined;
    dataDir = undefined;
  });

  test("a lapsed session sends the reviewer back to /login", async ({ browser }, testInfo) => {
    // Its own server: the user made with the CLI before the first start, 5-second sessions,
    // no demo data to seed.
    test.setTimeout(180_000);
    dataDir = await createDataDir("lapsed");
    await addConsoleUser(dataDir, users.reviewer1);
    server = await startServer({
      dataDir,
      env: { VIGIL_SESSION_MAX_AGE_SECONDS: "5", VIGIL_DEMO_DATA: "0", VIGIL_INFERENCE_CONCURRENCY: "1" },
      logFile: testInfo.outputPath("server.log"),
    });

    const context = await browser.newContext({ baseURL: server.url });
    try {
      const page = await context.newPage();
      await signIn(page, users.reviewer1);
      await page.waitForTimeout(6_000);
      await page.reload();
      expect(pathname(page)).toBe("/login");
    } finally {
      await context.close();
    }
  });
});
