import { expect, test } from "@playwright/test";
import { screenshot, signIn, users } from "./support/fixtures";

/**
 * Thresholds admin page on the demo project. The spec ends by rolling back to the defaults'
 * bands, so specs after it that make new verifications meet the default bands again (a change
 * never touches stored verifications, whose cases other specs decide).
 */
test.describe.serial("admin thresholds", () => {
  test("an admin backtests a face-match change with a reason, sees the chart, saves it as v2 and rolls back", async ({ page }) => {
    await signIn(page, users.admin);
    await page.goto("/admin/thresholds");
    await expect(page.getByRole("heading", { level: 1, name: "Thresholds" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Thresholds" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByTestId("active-policy")).toContainText("active policy v1");

    const save = page.getByRole("button", { name: /Save as version 2/ });
    await expect(save).toBeDisabled();
    await page.getByLabel("Face match approve from").fill("0.5");
    await page.getByLabel(/Reason for the change/).fill("E2E: fewer manual reviews of clear face matches");
    // A reason alone is not enough: the backtest must run for these values first.
    await expect(save).toBeDisabled();
    await expect(page.getByText("Run the backtest for these values before saving.")).toBeVisible();

    await page.getByRole("button", { name: "Backtest", exact: true }).click();
    const chart = page.locator('[data-testid="backtest-chart"]').first();
    await expect(chart).toBeVisible();
    // Demo verifications have face-match scores: bars are drawn, and the summary names both policies.
    expect(await chart.locator('[data-testid="histogram-bar"]').count()).toBeGreaterThan(0);
    await expect(page.getByRole("img", { name: /Face match: histogram of \d+ scores.*Proposed bands, solid lines: review from 0\.4, approve from 0\.5\./ })).toBeVisible();
    await expect(page.getByTestId("overall-moves")).toContainText(/\d+ of \d+ verifications would end in another band/);
    await expect(page.getByTestId("band-matrix").first()).toBeVisible();
    await expect(save).toBeEnabled();
    await screenshot(page, "admin-thresholds-backtest");

    // Changing a value again makes the backtest stale.
    await page.getByLabel("Face match review from").fill("0.41");
    await expect(save).toBeDisabled();
    await page.getByLabel("Face match review from").fill("0.4");
    await expect(save).toBeEnabled();

    await save.click();
    await expect(page.getByRole("status").filter({ hasText: "Saved as v2" })).toBeVisible();
    await expect(page.getByTestId("active-policy")).toContainText("active policy v2");
    const newest = page.getByTestId("policy-version").first();
    await expect(newest).toHaveAttribute("data-version", "2");
    await expect(newest).toContainText("E2E: fewer manual reviews of clear face matches");
    await expect(newest).toContainText(users.admin.email);
    await expect(newest).toContainText("Face match: 0.4 / 0.5");
    await screenshot(page, "admin-thresholds-saved");

    // Roll back to v1: a new version v3 with v1's bands; v2 stays in the history.
    await page.getByRole("button", { name: "Roll back to v1" }).click();
    await page.getByLabel(/Why roll back to v1/).fill("E2E: back to the defaults for the other specs");
    await page.getByRole("button", { name: /Roll back to v1 as v3/ }).click();
    await expect(page.getByRole("status").filter({ hasText: "v3 has the bands of v1" })).toBeVisible();
    await expect(page.getByTestId("active-policy")).toContainText("active policy v3");
    await expect(page.getByTestId("policy-version")).toHaveCount(3);
    await expect(page.getByTestId("policy-version").first()).toContainText("= v1");
  });

  test("a reviewer is refused the thresholds page and its server actions", async ({ browser }) => {
    const [adminContext, reviewerContext] = await Promise.all([browser.newContext(), browser.newContext()]);
    try {
      const reviewer = await reviewerContext.newPage();
      await signIn(reviewer, users.reviewer1);
      const response = await reviewer.goto("/admin/thresholds");
      expect(response?.status()).toBe(403);
      await expect(reviewer.getByRole("heading", { level: 1, name: "Access denied" })).toBeVisible();
      await expect(reviewer.getByTestId("thresholds-editor")).toHaveCount(0);

      // The admin's own backtest call, replayed with the reviewer's session, is refused.
      const admin = await adminContext.newPage();
      await signIn(admin, users.admin);
      await admin.goto("/admin/thresholds");
      await admin.getByLabel("Face match approve from").fill("0.6");
      const call = admin.waitForRequest((r) => r.method() === "POST" && !!r.headers()["next-action"]);
      await admin.getByRole("button", { name: "Backtest", exact: true }).click();
      const request = await call;
      await expect(admin.getByTestId("backtest-results")).toBeVisible();
      const forged = await reviewer.request.post(request.url(), {
        headers: { "next-action": request.headers()["next-action"], "content-type": request.headers()["content-type"], accept: "text/x-component" },
        data: request.postData() ?? "",
      });
      const body = await forged.text();
      expect(body).toContain("FORBIDDEN");
      expect(body).not.toContain("histogram");
    } finally {
      await Promise.all([adminContext.close(), reviewerContext.close()]);
    }
  });
});
