/**
 * A separate process running only a webhook dispatcher against PostgreSQL, for the test that
 * kills a sender with SIGKILL in the middle of a delivery (delivery.test.ts). Settings come
 * from the environment: TEST_DATABASE_URL, TEST_WEBHOOK_KEY (base64), TEST_LEASE_SECONDS.
 * Prints "ready" once the loop runs.
 */
import { openPostgresDatabase } from "@/db/client";
import { startWebhookDispatcher } from "../dispatcher";

async function main(): Promise<void> {
  const handle = await openPostgresDatabase(process.env.TEST_DATABASE_URL!, 2);
  startWebhookDispatcher(handle.db, {
    secretKey: Buffer.from(process.env.TEST_WEBHOOK_KEY!, "base64"),
    pollMs: 20,
    timeoutMs: 60_000,
    leaseSeconds: Number(process.env.TEST_LEASE_SECONDS ?? 2),
  });
  process.stdout.write("ready\n");
  // The dispatcher's timers are unref'd; this keeps the process alive until it is killed.
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
