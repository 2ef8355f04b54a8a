import { defineConfig } from "@playwright/test";

/**
 * Browser tests against the production build (`next start`), driven by Debian's Chromium:
 * CI never downloads Playwright's browsers. e2e/global-setup.ts builds when needed, starts the
 * server on a free port and sets E2E_BASE_URL before the workers start (workers load this
 * file again, so baseURL is set there).
 */
export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/e2e",
  // Two cores: one browser at a time beside the server and its inference workers.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
  globalSetup: "./e2e/global-setup.ts",
  globalTeardown: "./e2e/global-teardown.ts",
  use: {
    browserName: "chromium",
    baseURL: process.env.E2E_BASE_URL,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
    screenshot: "only-on-failure",
    trace: "off",
  },
});
