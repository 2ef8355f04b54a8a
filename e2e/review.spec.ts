import { expect, test, type Page } from "@playwright/test";
import { screenshot, signIn, users } from "./support/fixtures";

const pathname = (page: Page) => new URL(page.url()).pathname;

/** Waits until the queue's keyboard shortcuts listen. */
async function queueReady(page: Page): Promise<void> {
  await expect(page.getByTestId("queue-screen")).toHaveAttribute("data-keys-ready", "true");
}

/** Waits until every case image has loaded with real pixels and the shortcuts listen; returns the natural widths. */
async function imagesRendered(page: Page): Promise<number[]> {
  await expect(page.getByTestId("decision-panel")).toHaveAttribute("data-keys-ready", "true");
  const images = page.locator('img[data-testid="case-image"]');
  await expect(images.first()).toBeVisible();
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('img[data-testid="case-image"]')].every((img) => img.complete && img.naturalWidth > 0));
  return images.evaluateAll((list) => (list as HTMLImageElement[]).map((img) => img.naturalWidth));
}

/** The verification id a case page links to. */
async function recordIdOf(page: Page): Promise<string> {
  const href = await page.locator('a[href^="/records/ver_"]').first().getAttribute("href");
  expect(href).toBeTruthy();
  return href!.split("/").pop()!;
}

test.describe.serial("review queue", () => {
  test("claim with N, both images drawn, approve with A: the record is approved and the next case opens", async ({ page }) => {
    await signIn(page, users.reviewer1);
    // Face-match cases have a selfie and a reference to compare.
    await page.goto("/queue?check=face_match");
    await expect(page.getByTestId("queue-row").first()).toBeVisible();
    await queueReady(page);
    await screenshot(page, "queue");

    await page.keyboard.press("n");
    await page.waitForURL(/\/cases\/case_/);
    const caseUrl = page.url();
    const widths = await imagesRendered(page);
    expect(widths.length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...widths)).toBeGreaterThan(0);
    await expect(page.getByText("You hold this case")).toBeVisible();
    await expect(page.getByTestId("score-band").first()).toBeVisible();
    await screenshot(page, "case");

    const recordId = await recordIdOf(page);
    await page.keyboard.press("a");
    await page.waitForURL((url) => url.href !== caseUrl);

    await page.goto(`/records/${recordId}`);
    await expect(page.getByTestId("record-status")).toHaveText("Approved");
    await expect(page.getByTestId("review-outcome")).toContainText("approve");
    await expect(page.getByTestId("audit-trail")).toContainText("Case claimed");
    await expect(page.getByTestId("audit-trail")).toContainText("Image viewed");
    await screenshot(page, "record-approved");
  });

  test("R needs a reason: a digit picks one, then R rejects", async ({ page }) => {
    await signIn(page, users.reviewer1);
    await page.goto("/queue");
    await queueReady(page);
    await page.keyboard.press("n");
    await page.waitForURL(/\/cases\/case_/);
    await imagesRendered(page);
    const caseUrl = page.url();
    const recordId = await recordIdOf(page);

    await page.keyboard.press("r");
    await expect(page.getByRole("alert").filter({ hasText: /choose a reason/i })).toBeVisible();
    expect(page.url()).toBe(caseUrl);
    // Focus went to the reason list; leave it so the shortcuts apply again.
    await page.locator("body").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("2");
    await page.keyboard.press("r");
    await page.waitForURL((url) => url.href !== caseUrl);

    await page.goto(`/records/${recordId}`);
    await expect(page.getByTestId("record-status")).toHaveText("Rejected");
    await expect(page.getByTestId("review-outcome")).toContainText("Spoof - screen");
  });

  test("two reviewers pressing Next case at the same moment get different cases", async ({ browser }) => {
    const [a, b] = await Promise.all([browser.newContext(), browser.newContext()]);
    try {
      const [pageA, pageB] = await Promise.all([a.newPage(), b.newPage()]);
      await signIn(pageA, users.reviewer1);
      await signIn(pageB, users.reviewer2);
      await Promise.all([pageA.goto("/queue"), pageB.goto("/queue")]);
      await Promise.all([pageA.getByRole("button", { name: /Next case/ }).click(), pageB.getByRole("button", { name: /Next case/ }).click()]);
      await Promise.all([pageA.waitForURL(/\/cases\/case_/), pageB.waitForURL(/\/cases\/case_/)]);
      expect(pathname(pageA)).not.toBe(pathname(pageB));
      await expect(pageA.getByText("You hold this case")).toBeVisible();
      await expect(pageB.getByText("You hold this case")).toBeVisible();

      // Reviewer 2 opening reviewer 1's case sees it read-only, claimed by reviewer 1.
      await pageB.goto(pageA.url());
      await expect(pageB.getByText(`Claimed by ${users.reviewer1.email}`)).toBeVisible();
      await expect(pageB.getByRole("button", { name: /Approve/ })).toHaveCount(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("four eyes: a reopened automatic reject approved by one reviewer waits for a second", async ({ browser }) => {
    const [a, b] = await Promise.all([browser.newContext(), browser.newContext()]);
    try {
      const [pageA, pageB] = await Promise.all([a.newPage(), b.newPage()]);
      await signIn(pageA, users.reviewer1);
      await pageA.goto("/records?status=rejected");
      // A verification the checks rejected (not one a reviewer rejected above): no review outcome.
      const rows = pageA.getByTestId("record-row");
      const count = await rows.count();
      let opened = false;
      for (let i = 0; i < count && !opened; i++) {
        await pageA.goto("/records?status=rejected");
        await pageA.getByTestId("record-row").nth(i).getByRole("link").click();
        await pageA.waitForURL(/\/records\/ver_/);
        opened = (await pageA.getByTestId("review-outcome").count()) === 0;
      }
      expect(opened).toBe(true);
      await pageA.getByLabel(/Reopen for review/).fill("Applicant appealed with a clearer photo");
      await pageA.getByRole("button", { name: "Reopen" }).click();
      await pageA.waitForURL(/\/cases\/case_/);
      const caseUrl = pageA.url();
      await expect(pageA.getByText(/approving it will need a second reviewer/i)).toBeVisible();
      // The text is server-rendered: wait for the shortcuts to listen before pressing one.
      await expect(pageA.getByTestId("decision-panel")).toHaveAttribute("data-keys-ready", "true");
      await pageA.keyboard.press("a");
      await pageA.waitForURL((url) => url.href !== caseUrl);

      // The proposer sees it waiting; the verification is still in review.
      await pageA.goto(caseUrl);
      await expect(pageA.getByTestId("proposal")).toContainText("A different reviewer must confirm it");
      await expect(pageA.getByTestId("record-status")).toHaveText("In review");

      await signIn(pageB, users.reviewer2);
      await pageB.goto(caseUrl);
      await expect(pageB.getByTestId("proposal")).toContainText(users.reviewer1.email);
      await pageB.getByRole("button", { name: /Confirm approval/ }).click();
      await pageB.waitForURL((url) => url.href !== caseUrl);
      await pageB.goto(caseUrl);
      await expect(pageB.getByTestId("record-status")).toHaveText("Approved");
      await expect(pageB.getByTestId("audit-trail")).toContainText("Approval confirmed");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("a reviewer calling an admin server action directly is refused", async ({ browser }) => {
    const [adminContext, reviewerContext] = await Promise.all([browser.newContext(), browser.newContext()]);
    try {
      const admin = await adminContext.newPage();
      await signIn(admin, users.admin);
      await admin.goto("/admin/users");
      // Record the admin's own "Add user" server-action call, to replay it as the reviewer.
      const call = admin.waitForRequest((r) => r.method() === "POST" && !!r.headers()["next-action"]);
      await admin.getByLabel("E-mail").fill(`made-by-admin-${Date.now()}@e2e.test`);
      await admin.getByRole("button", { name: "Add user" }).click();
      const request = await call;
      await expect(admin.getByRole("status").filter({ hasText: /Password \(shown once\)/ })).toBeVisible();

      const reviewer = await reviewerContext.newPage();
      await signIn(reviewer, users.reviewer1);
      const forged = `forged-by-reviewer-${Date.now()}@e2e.test`;
      const body = request.postData()!.replace(/made-by-admin-\d+@e2e\.test/, forged);
      const response = await reviewer.request.post(request.url(), {
        headers: { "next-action": request.headers()["next-action"], "content-type": request.headers()["content-type"], accept: "text/x-component" },
        data: body,
      });
      expect(await response.text()).toContain("FORBIDDEN");
      await admin.reload();
      await expect(admin.getByRole("cell", { name: forged })).toHaveCount(0);
    } finally {
      await Promise.all([adminContext.close(), reviewerContext.close()]);
    }
  });
});
