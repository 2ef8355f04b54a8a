import { expect, test } from "@playwright/test";
import { signIn, users } from "./support/fixtures";

/** API keys page: an admin makes a key (its secret shown once) and revokes it after confirming. */
test("an admin creates an API key and revokes it", async ({ page }) => {
  const name = `e2e key ${Date.now().toString(36)}`;
  await signIn(page, users.admin);
  await page.goto("/admin/keys");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("status")).toContainText("New key (shown once, copy it now): ");
  const row = page.getByTestId("key-row").filter({ hasText: name });
  await expect(row).toHaveCount(1);
  const prefix = (await row.locator("code").textContent())!.replace("…", "");
  page.once("dialog", (dialog) => {
    expect(dialog.message()).toBe(`Revoke ${prefix}…? Requests with it will fail from now on.`);
    void dialog.accept();
  });
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  await expect(row.getByRole("button", { name: "Revoke" })).toHaveCount(0);
});
