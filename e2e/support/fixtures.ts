/**
 * What browser tests share: the console users the global setup creates, signing in through
 * the real /login form, and named screenshots.
 */
import { join } from "node:path";
import { test, type Locator, type Page } from "@playwright/test";
import type { ConsoleUserSpec } from "./server";

/**
 * Created with the CLI before the shared server's first start (e2e/global-setup.ts). The
 * passwords meet the console's 10-character minimum (lib/auth/users.ts).
 */
export const users = {
  admin: { email: "admin@e2e.test", password: "e2e-admin-passphrase", role: "admin", name: "E2E Admin" },
  reviewer1: { email: "reviewer1@e2e.test", password: "e2e-reviewer1-passphrase", role: "reviewer", name: "E2E Reviewer One" },
  reviewer2: { email: "reviewer2@e2e.test", password: "e2e-reviewer2-passphrase", role: "reviewer", name: "E2E Reviewer Two" },
} as const satisfies Record<string, ConsoleUserSpec>;

export type E2eUser = (typeof users)[keyof typeof users];

/** Opens /login, fills the form and presses "Sign in"; does not wait for the outcome. */
export async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * The sign-in form's alert saying `text`. Filtered by its text because Next.js also renders
 * a role="alert" route announcer, which holds the page title after a client navigation.
 */
export function alertSaying(page: Page, text: RegExp): Locator {
  return page.getByRole("alert").filter({ hasText: text });
}

/**
 * Signs `user` in through the /login form. Resolves once the browser is on /queue, where a
 * successful sign-in lands; fails with the page's alerts in the message when it does not.
 */
export async function signIn(page: Page, user: Pick<ConsoleUserSpec, "email" | "password">): Promise<void> {
  await submitSignIn(page, user.email, user.password);
  try {
    await page.waitForURL((url) => url.pathname === "/queue");
  } catch (error) {
    const alerts = (await page.getByRole("alert").allTextContents().catch(() => [])).filter((text) => text.trim());
    throw new Error(`sign-in as ${user.email} did not reach /queue (at ${page.url()}${alerts.length ? `, alert: ${alerts.join(" | ")}` : ""})`, { cause: error });
  }
}

/** Saves a full-page screenshot to test-results/e2e/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(test.info().project.outputDir, "screenshots", `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
