import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import sharp from "sharp";
import { screenshot, signIn, users } from "./support/fixtures";

/**
 * Enrolling from the console: an admin creates a collection and enrolls a person into it with
 * a face photo; a photo without a face is refused with the API's code; reviewers see no forms.
 *
 * Runs after duplicates.spec.ts (files run in name order, one worker), which counts the demo
 * gallery's persons; the person and the collection made here are deleted again at the end.
 */

/**
 * The sample photos are group photos and an enrollment takes exactly one face, so the test
 * crops one: sample3.jpg's face at x 1075-1302, y 210-502 (lib/specimens/portraits.ts), with
 * half a face of margin, which stays clear of its neighbours at x 800 and x 1504.
 */
async function oneFacePhoto(): Promise<Buffer> {
  const photo = await readFile(join(__dirname, "..", "samples", "sample3.jpg"));
  const [x1, y1, x2, y2] = [1075, 210, 1302, 502];
  const margin = Math.round((x2 - x1) / 2);
  const { width = 0, height = 0 } = await sharp(photo).metadata();
  const left = Math.max(0, x1 - margin);
  const top = Math.max(0, y1 - margin);
  return sharp(photo)
    .extract({ left, top, width: Math.min(width, x2 + margin) - left, height: Math.min(height, y2 + margin) - top })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** A flat grey square: a valid PNG in which no face can be found. */
function flatPng(): Promise<Buffer> {
  return sharp({ create: { width: 400, height: 400, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
}

async function imagesLoaded(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((s) => {
    const list = [...document.querySelectorAll<HTMLImageElement>(s)];
    return list.length > 0 && list.every((img) => img.complete && img.naturalWidth > 0);
  }, selector);
}

test.describe.serial("enrolling from the console", () => {
  const suffix = Date.now().toString(36);
  const collectionName = `Watchlist ${suffix}`;
  const personName = `Dana Example ${suffix}`;
  const externalRef = `e2e-${suffix}`;

  test("an admin creates a collection and enrolls a person into it with a face photo", async ({ page }) => {
    test.setTimeout(120_000);
    await signIn(page, users.admin);
    await page.goto("/gallery");

    const collectionForm = page.getByTestId("create-collection-form");
    await collectionForm.getByLabel("Name", { exact: true }).fill(collectionName);
    await collectionForm.getByLabel("Description (optional)").fill("Made by the browser test");
    await collectionForm.getByRole("button", { name: "Create collection" }).click();
    await expect(collectionForm.getByRole("status")).toHaveText(`Created the collection ${collectionName}.`);
    const collectionRow = page.getByTestId("gallery-collection").filter({ hasText: collectionName });
    await expect(collectionRow).toHaveCount(1);
    await expect(collectionRow.getByRole("cell").first()).toHaveText("0");

    const form = page.getByTestId("enroll-person-form");
    await form.getByLabel("Name", { exact: true }).fill(personName);
    await form.getByLabel("External reference (optional)").fill(externalRef);
    await form.getByRole("checkbox", { name: collectionName }).check();
    await form.getByLabel("Face photos").setInputFiles({ name: "dana.jpg", mimeType: "image/jpeg", buffer: await oneFacePhoto() });
    await expect(form.getByTestId("enroll-photos")).toContainText("images[0]: dana.jpg");
    // The server action's POST is held back a second, so the progress it shows cannot come
    // and go between two of the assertion's polls on a fast machine.
    await page.route(/\/gallery/, async (route) => {
      if (route.request().method() === "POST") await new Promise((resolve) => setTimeout(resolve, 1000));
      await route.continue();
    });
    await form.getByRole("button", { name: "Enroll person" }).click();
    // The face analysis takes a moment: the form says so while it runs.
    await expect(form.getByTestId("enroll-progress")).toBeVisible();
    await expect(form.getByTestId("enroll-progress").getByRole("status")).toContainText("Uploading 1 photo");
    await expect(form.getByRole("button", { name: "Enrolling…" })).toBeDisabled();

    await page.waitForURL(/\/gallery\/per_[0-9a-z]+\?project=/, { timeout: 60_000 });
    await expect(page.getByTestId("person-name")).toHaveText(personName);
    await expect(page.getByText(externalRef)).toBeVisible();
    await expect(page.getByTestId("person-face")).toHaveCount(1);
    await imagesLoaded(page, 'img[data-testid="person-face"]');
    await expect(page.locator("dd").first()).toHaveText(collectionName);
    await screenshot(page, "gallery-enrolled-person");

    await page.getByRole("link", { name: /Gallery of/ }).click();
    await page.getByTestId("gallery-collection").filter({ hasText: collectionName }).getByRole("link", { name: collectionName }).click();
    await expect(page.getByRole("heading", { name: `Persons in ${collectionName}` })).toBeVisible();
    const persons = page.getByTestId("gallery-person");
    await expect(persons).toHaveCount(1);
    await expect(persons).toContainText(personName);
    await expect(persons).toContainText(externalRef);
    await imagesLoaded(page, '[data-testid="gallery-person"] img');
  });

  test("a photo without a face is refused with NO_FACE_FOUND and nothing is enrolled", async ({ page }) => {
    await signIn(page, users.admin);
    await page.goto("/gallery");
    const before = await page.getByTestId("gallery-person").count();
    const form = page.getByTestId("enroll-person-form");
    await form.getByLabel("Name", { exact: true }).fill(`Nobody ${suffix}`);
    await form.getByLabel("Face photos").setInputFiles({ name: "grey.png", mimeType: "image/png", buffer: await flatPng() });
    await form.getByRole("button", { name: "Enroll person" }).click();
    await expect(form.getByRole("alert")).toHaveText("images[0]: No face was found in the image. (NO_FACE_FOUND)");
    // The form keeps what was typed, to fix the photo and send again.
    await expect(form.getByLabel("Name", { exact: true })).toHaveValue(`Nobody ${suffix}`);
    expect(page.url()).toMatch(/\/gallery(\?|$)/);
    await page.reload();
    await expect(page.getByTestId("gallery-person")).toHaveCount(before);
    await screenshot(page, "gallery-enroll-no-face");
  });

  test("a reviewer sees the gallery without the forms", async ({ page }) => {
    await signIn(page, users.reviewer1);
    await page.goto("/gallery");
    await expect(page.getByTestId("gallery-collection").filter({ hasText: collectionName })).toHaveCount(1);
    await expect(page.getByTestId("gallery-person").filter({ hasText: personName })).toHaveCount(1);
    await expect(page.getByTestId("create-collection-form")).toHaveCount(0);
    await expect(page.getByTestId("enroll-person-form")).toHaveCount(0);
    await expect(page.getByRole("button", { name: /Enroll person|Create collection|Delete the collection/ })).toHaveCount(0);
  });

  test("the admin deletes the enrolled person and the collection again, leaving the demo gallery as it was", async ({ page }) => {
    await signIn(page, users.admin);
    await page.goto("/gallery");
    await page.getByTestId("gallery-person").filter({ hasText: personName }).getByRole("link", { name: personName }).click();
    await expect(page.getByTestId("person-name")).toHaveText(personName);
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Delete person" }).click();
    await page.waitForURL(/\/gallery\?.*deleted=1/);
    await expect(page.getByTestId("gallery-person").filter({ hasText: personName })).toHaveCount(0);

    const collectionRow = page.getByTestId("gallery-collection").filter({ hasText: collectionName });
    await expect(collectionRow.getByRole("cell").first()).toHaveText("0");
    page.once("dialog", (dialog) => {
      expect(dialog.message()).toContain(`Delete the collection ${collectionName}? It has no persons.`);
      void dialog.accept();
    });
    await collectionRow.getByRole("button", { name: `Delete the collection ${collectionName}` }).click();
    await expect(collectionRow).toHaveCount(0);
  });
});
