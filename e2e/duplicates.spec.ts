import { expect, test, type Page } from "@playwright/test";
import { screenshot, signIn, users } from "./support/fixtures";

/**
 * The duplicate check at onboarding, on the demo data: three customers are enrolled in a
 * "Customers" collection (Ana Ferreira first), and the last demo verification is a selfie of
 * Ana under a new applicant reference, waiting in the queue as a possible duplicate.
 */
const ENROLLED = "Ana Ferreira";

/** Waits until every image matched by `selector` has loaded with real pixels. */
async function imagesLoaded(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((s) => {
    const list = [...document.querySelectorAll<HTMLImageElement>(s)];
    return list.length > 0 && list.every((img) => img.complete && img.naturalWidth > 0);
  }, selector);
}

test.describe.serial("possible duplicates", () => {
  test("a reviewer compares the selfie with the enrolled face, marks the same person with M, then decides the case", async ({ page }) => {
    await signIn(page, users.reviewer1);
    await page.goto("/queue?check=duplicate");
    const row = page.getByTestId("queue-row");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Possible duplicate");
    await expect(page.getByTestId("queue-screen")).toHaveAttribute("data-keys-ready", "true");
    await page.keyboard.press("n");
    await page.waitForURL(/\/cases\/case_/);
    const caseUrl = page.url();

    const panel = page.getByTestId("duplicate-panel");
    await expect(panel).toHaveAttribute("data-keys-ready", "true");
    await expect(page.getByTestId("decision-panel")).toHaveAttribute("data-keys-ready", "true");
    const candidate = panel.getByTestId("duplicate-candidate");
    await expect(candidate).toHaveCount(1);
    await expect(candidate.getByTestId("duplicate-name")).toHaveText(ENROLLED);
    await expect(candidate.getByTestId("duplicate-ref")).toHaveText("customer-1001");

    // The selfie and the enrolled face, both drawn, side by side at the same size.
    const images = candidate.locator('img[data-testid="duplicate-image"]');
    await expect(images).toHaveCount(2);
    await expect(images.nth(0)).toHaveAttribute("data-role", "selfie");
    await expect(images.nth(1)).toHaveAttribute("data-role", "gallery");
    await imagesLoaded(page, 'img[data-testid="duplicate-image"]');
    const viewports = candidate.getByRole("group");
    const [left, right] = await Promise.all([viewports.nth(0).boundingBox(), viewports.nth(1).boundingBox()]);
    expect(left && right).toBeTruthy();
    expect(Math.abs(left!.width - right!.width)).toBeLessThanOrEqual(1);
    expect(Math.abs(left!.height - right!.height)).toBeLessThanOrEqual(1);
    expect(right!.x).toBeGreaterThan(left!.x + left!.width - 1);

    // The similarity on the face-match bands: at least the review limit, or it would not be a candidate.
    const similarity = candidate.getByRole("meter", { name: "Similarity" });
    await expect(similarity).toHaveAttribute("aria-valuetext", /^0\.\d{3}, (possible|strong) match band \(review from 0\.\d+, approve from 0\.\d+\)$/);
    await screenshot(page, "duplicate-case");

    // The keys are in the shortcut help.
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await expect(help).toContainText("Possible duplicate: same person");
    await expect(help).toContainText("Possible duplicate: different person");
    await page.keyboard.press("Escape");
    await expect(help).toHaveCount(0);

    await page.keyboard.press("m");
    const verdict = candidate.getByTestId("duplicate-verdict");
    await expect(verdict).toContainText("Same person");
    await expect(verdict).toContainText(users.reviewer1.email);
    await expect(candidate.getByRole("button", { name: /Same person/ })).toHaveCount(0);
    await expect(page.getByTestId("enrolled-hint")).toContainText(`Already enrolled as ${ENROLLED}`);
    // The verdict is not the decision: the case is still held and in review.
    await expect(page.getByTestId("record-status")).toHaveText("In review");
    expect(page.url()).toBe(caseUrl);
    await screenshot(page, "duplicate-verdict");

    const href = await page.locator('a[href^="/records/ver_"]').first().getAttribute("href");
    await page.keyboard.press("a");
    await page.waitForURL((url) => url.href !== caseUrl);

    await page.goto(href!);
    await expect(page.getByTestId("record-status")).toHaveText("Approved");
    const readOnly = page.getByTestId("duplicate-candidate");
    await expect(readOnly.getByTestId("duplicate-verdict")).toContainText("Same person");
    await expect(readOnly.getByRole("button", { name: /Same person|Different person/ })).toHaveCount(0);
    const trail = page.getByTestId("audit-trail");
    await expect(trail).toContainText("Possible duplicate: verdict");
    await expect(trail).toContainText("verdict: same");
  });

  test("the gallery lists the enrolled customers; only an admin may delete one", async ({ browser }) => {
    const [reviewerContext, adminContext] = await Promise.all([browser.newContext(), browser.newContext()]);
    try {
      const reviewer = await reviewerContext.newPage();
      await signIn(reviewer, users.reviewer2);
      await reviewer.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Gallery" }).click();
      await reviewer.waitForURL(/\/gallery/);
      // Other specs may add collections (gallery-enroll.spec.ts does): look for this one by name.
      await expect(reviewer.getByTestId("gallery-collection").filter({ hasText: "Customers" })).toHaveCount(1);
      const persons = reviewer.getByTestId("gallery-person");
      await expect(persons).toHaveCount(3);
      await expect(persons.filter({ hasText: ENROLLED })).toContainText("customer-1001");
      await imagesLoaded(reviewer, '[data-testid="gallery-person"] img');
      await screenshot(reviewer, "gallery");
      await persons.filter({ hasText: ENROLLED }).getByRole("link", { name: ENROLLED }).click();
      await expect(reviewer.getByTestId("person-name")).toHaveText(ENROLLED);
      await expect(reviewer.getByTestId("person-face")).toHaveCount(1);
      await expect(reviewer.getByRole("button", { name: "Delete person" })).toHaveCount(0);

      const admin = await adminContext.newPage();
      await signIn(admin, users.admin);
      await admin.goto("/gallery");
      const other = admin.getByTestId("gallery-person").filter({ hasNotText: ENROLLED }).first();
      const name = (await other.getByRole("link").textContent())!.trim();
      await other.getByRole("link").click();
      await expect(admin.getByTestId("person-name")).toHaveText(name);
      admin.once("dialog", (dialog) => dialog.accept());
      await admin.getByRole("button", { name: "Delete person" }).click();
      await admin.waitForURL(/\/gallery\?.*deleted=1/);
      await expect(admin.getByRole("status").filter({ hasText: "The person was deleted" })).toBeVisible();
      await expect(admin.getByTestId("gallery-person")).toHaveCount(2);
      await expect(admin.getByTestId("gallery-person").filter({ hasText: name })).toHaveCount(0);
    } finally {
      await Promise.all([reviewerContext.close(), adminContext.close()]);
    }
  });
});
