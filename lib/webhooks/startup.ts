import "server-only";
import type { Database } from "@/db/client";
import { getEnv } from "@/lib/env";
import type { WebhookDispatcher } from "./dispatcher";
import { startWebhookDispatcher } from "./dispatcher";
import { getWebhookSecretKey } from "./secrets";

const globalKey = Symbol.for("vigil.webhookDispatcher");
type Holder = { [globalKey]?: WebhookDispatcher };

/**
 * Starts the server process's webhook dispatcher (once per process) with the VIGIL_WEBHOOK_*
 * settings, and stops it on SIGTERM or SIGINT so sends in flight are put back for the next
 * process at once instead of after their lease. When nothing else handles the signal, it is
 * raised again after the stop, so the process still ends as it would have.
 */
export function startWebhooks(db: Database): WebhookDispatcher {
  const holder = globalThis as Holder;
  if (holder[globalKey]) return holder[globalKey];
  const env = getEnv();
  const dispatcher = startWebhookDispatcher(db, {
    secretKey: getWebhookSecretKey(),
    timeoutMs: env.VIGIL_WEBHOOK_TIMEOUT_MS,
    retryBaseSeconds: env.VIGIL_WEBHOOK_RETRY_BASE_SECONDS,
    maxAttempts: env.VIGIL_WEBHOOK_MAX_ATTEMPTS,
  });
  holder[globalKey] = dispatcher;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void dispatcher.stop().finally(() => {
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    });
  }
  return dispatcher;
}
