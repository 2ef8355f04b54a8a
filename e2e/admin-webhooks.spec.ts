import { expect, test, type Page } from "@playwright/test";
import { startTestReceiver, verifyVigilSignature, type TestReceiver } from "../lib/webhooks/testing/receiver";
import { screenshot, signIn, users } from "./support/fixtures";
import { addConsoleUser, createDataDir, removeDataDir, startServer, type RunningServer } from "./support/server";

/** Adds an endpoint for `url` on the page's project; returns its secret, shown once. */
async function addEndpoint(page: Page, url: string): Promise<string> {
  await page.getByLabel("Endpoint URL").fill(url);
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const secret = page.getByTestId("webhook-secret");
  await expect(secret).toHaveText(/^whsec_[A-Za-z0-9_-]{43}$/);
  return (await secret.textContent())!;
}

const signatureOf = (hit: { headers: Record<string, string | string[] | undefined> }) => String(hit.headers["vigil-signature"]);

test.describe("admin webhooks", () => {
  let receiver: TestReceiver;

  test.beforeAll(async () => {
    receiver = await startTestReceiver();
  });
  test.afterAll(async () => {
    await receiver?.close();
  });

  test("an admin adds an endpoint, sends a signed test event, redelivers it, rotates the secret, disables and deletes it", async ({ page }) => {
    page.on("dialog", (dialog) => void dialog.accept());
    await signIn(page, users.admin);
    await page.goto("/admin/webhooks");
    await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Webhooks" })).toHaveAttribute("aria-current", "page");

    const path = `/e2e-${Date.now()}`;
    const url = `${receiver.url}${path}`;
    await page.getByLabel("Endpoint URL").fill("ftp://example.com/hook");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "https:// or http://" })).toBeVisible();
    const secret = await addEndpoint(page, url);
    const row = page.getByTestId("webhook-endpoint-row").filter({ hasText: url });
    await expect(row).toContainText("verification.completed, review.decided, duplicate.decided");
    await expect(row).toContainText(secret.slice(0, 12));
    await expect(row).not.toContainText(secret);

    await row.getByRole("button", { name: "Send test event" }).click();
    await expect.poll(() => receiver.received.filter((r) => r.path === path).length, { timeout: 15_000 }).toBe(1);
    const [ping] = receiver.received.filter((r) => r.path === path);
    expect(verifyVigilSignature(signatureOf(ping), ping.rawBody, secret)).toBe(true);
    expect(ping.headers["vigil-event"]).toBe("ping");
    const body = JSON.parse(ping.rawBody);
    expect(body).toMatchObject({ id: expect.stringMatching(/^evt_/), type: "ping", data: { endpointId: expect.stringMatching(/^whk_/) } });
    const logRow = page.getByTestId("webhook-delivery-row").filter({ hasText: ping.deliveryId });
    await expect(logRow).toHaveAttribute("data-status", "delivered", { timeout: 20_000 });
    await expect(logRow).toContainText("200");
    await screenshot(page, "admin-webhooks-delivered");

    await logRow.getByRole("button", { name: "Redeliver" }).click();
    await expect.poll(() => receiver.received.filter((r) => r.path === path).length, { timeout: 15_000 }).toBe(2);
    const again = receiver.received.filter((r) => r.path === path)[1];
    expect(again.deliveryId).not.toBe(ping.deliveryId);
    expect(JSON.parse(again.rawBody).id).toBe(body.id);
    expect(verifyVigilSignature(signatureOf(again), again.rawBody, secret)).toBe(true);
    await expect(page.getByTestId("webhook-delivery-row").filter({ hasText: `redelivery of ${ping.deliveryId}` })).toHaveAttribute("data-status", "delivered", { timeout: 20_000 });

    await row.getByRole("button", { name: "Rotate secret" }).click();
    const rotated = row.getByTestId("webhook-secret");
    await expect(rotated).toHaveText(/^whsec_/);
    const newSecret = (await rotated.textContent())!;
    expect(newSecret).not.toBe(secret);
    await row.getByRole("button", { name: "Send test event" }).click();
    await expect.poll(() => receiver.received.filter((r) => r.path === path).length, { timeout: 15_000 }).toBe(3);
    const afterRotation = receiver.received.filter((r) => r.path === path)[2];
    // For a day, both the new and the old secret verify.
    expect(verifyVigilSignature(signatureOf(afterRotation), afterRotation.rawBody, newSecret)).toBe(true);
    expect(verifyVigilSignature(signatureOf(afterRotation), afterRotation.rawBody, secret)).toBe(true);

    await row.getByRole("button", { name: "Disable" }).click();
    await expect(row).toContainText("disabled");
    await expect(row.getByRole("button", { name: "Send test event" })).toBeDisabled();
    await row.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByTestId("webhook-endpoint-row").filter({ hasText: url })).toHaveCount(0);
  });

  test("a reviewer is refused /admin/webhooks with 403", async ({ page }) => {
    await signIn(page, users.reviewer1);
    const response = await page.goto("/admin/webhooks");
    expect(response?.status()).toBe(403);
  });
});

test.describe("webhooks across a server restart", () => {
  let server: RunningServer | undefined;
  let dataDir: string | undefined;
  let receiver: TestReceiver | undefined;

  test.afterEach(async () => {
    await server?.stop();
    await receiver?.close();
    if (dataDir) await removeDataDir(dataDir);
    server = undefined;
    dataDir = undefined;
    receiver = undefined;
  });

  test("a server killed with SIGKILL in the middle of a delivery sends it after the restart", async ({ browser }, testInfo) => {
    test.setTimeout(240_000);
    dataDir = await createDataDir("webhooks");
    await addConsoleUser(dataDir, users.admin);
    // A 2 s send timeout makes the lease 9 s, so the restarted server takes the delivery over soon.
    const env = { VIGIL_DEMO_DATA: "0", VIGIL_INFERENCE_CONCURRENCY: "1", VIGIL_WEBHOOK_TIMEOUT_MS: "2000" };
    server = await startServer({ dataDir, env, logFile: testInfo.outputPath("server-1.log") });
    receiver = await startTestReceiver();
    const rx = receiver;
    // The first send is never answered: the server is killed while it waits.
    rx.answer = (_path, nth) => (nth === 0 ? "hang" : 200);

    let context = await browser.newContext({ baseURL: server.url });
    let secret: string;
    let deliveryId: string;
    try {
      const page = await context.newPage();
      await signIn(page, users.admin);
      await page.goto("/admin/webhooks");
      secret = await addEndpoint(page, `${rx.url}/restart`);
      await page.getByTestId("webhook-endpoint-row").getByRole("button", { name: "Send test event" }).click();
      await expect.poll(() => rx.received.length, { timeout: 15_000 }).toBe(1);
      deliveryId = rx.received[0].deliveryId;
    } finally {
      await context.close();
    }

    process.kill(-server.pid, "SIGKILL");
    await server.stop();
    server = await startServer({ dataDir, env, logFile: testInfo.outputPath("server-2.log") });

    await expect.poll(() => rx.hitsOf(deliveryId).length, { timeout: 60_000 }).toBe(2);
    const [first, second] = rx.hitsOf(deliveryId);
    expect(second.rawBody).toBe(first.rawBody);
    expect(verifyVigilSignature(signatureOf(second), second.rawBody, secret)).toBe(true);

    context = await browser.newContext({ baseURL: server.url });
    try {
      const page = await context.newPage();
      await signIn(page, users.admin);
      await page.goto("/admin/webhooks");
      const logRow = page.getByTestId("webhook-delivery-row").filter({ hasText: deliveryId });
      await expect(logRow).toHaveAttribute("data-status", "delivered");
      await expect(logRow.locator("td").nth(6)).toHaveText("2");
      await screenshot(page, "admin-webhooks-after-restart");
    } finally {
      await context.close();
    }
  });
});
