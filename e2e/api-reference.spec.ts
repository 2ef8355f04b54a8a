import { expect, test } from "@playwright/test";

// The API reference describes endpoints and holds no data: a developer reads it signed out.
test("a signed-out developer browses the API reference and follows an operation to its schema", async ({ page, request }) => {
  const spec = await request.get("/api/openapi.json");
  expect(spec.status()).toBe(200);
  const doc = (await spec.json()) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toMatch(/^3\.1\./);
  expect(Object.keys(doc.paths)).toContain("/api/v1/verifications");

  await page.goto("/docs/api");
  expect(new URL(page.url()).pathname).toBe("/docs/api");
  await expect(page.getByRole("heading", { level: 1, name: "API reference" })).toBeVisible();
  const toc = page.getByRole("navigation", { name: "Operations" });
  await toc.getByRole("link", { name: /POST \/api\/v1\/verifications$/ }).click();
  await expect(page).toHaveURL(/#createVerification$/);
  const operation = page.locator("section#createVerification");
  await expect(operation).toContainText("POST");
  await expect(operation).toContainText("Idempotency-Key");
  await expect(operation).toContainText("NO_FACE_FOUND");
  await expect(operation).toContainText("curl");
});
