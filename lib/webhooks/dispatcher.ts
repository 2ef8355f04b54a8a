import "server-only";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Database } from "@/db/client";
import { describeDatabaseError } from "@/db/errors";
import type { AttemptOutcome, ClaimedDelivery } from "./outbox";
import { claimDueDeliveries, settleAttempt } from "./outbox";
import { openWebhookSecret } from "./secrets";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from "./signature";

export const WEBHOOK_USER_AGENT = "Vigil-Webhooks/1";

/** Bytes of a receiver's answer read (and thrown away) before the connection is cut. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface DispatcherOptions {
  /** Opens the endpoints' sealed secrets (getWebhookSecretKey()). */
  secretKey: Buffer;
  /** Time for one send, from connecting to the end of the answer (default 10 s). */
  timeoutMs?: number;
  /** First retry delay; later ones grow 4x (outbox.ts retryDelaySeconds). Default 10 s. */
  retryBaseSeconds?: number;
  /** Attempts before a delivery is failed for good (default 8). */
  maxAttempts?: number;
  /** How often to look for due deliveries when idle (default 1 s). */
  pollMs?: number;
  /** Sends in flight at once per process (default 8). */
  concurrency?: number;
  /**
   * How long a claimed delivery is this process's before another may take it over. It must
   * outlast a send and its bookkeeping, or a slow send could go out twice at once; the default
   * is twice the timeout plus 5 s.
   */
  leaseSeconds?: number;
  /** Where errors of the loop itself go (a database that is down), at most once a minute. */
  onError?: (message: string) => void;
}

export interface WebhookDispatcher {
  /**
   * Stops claiming, aborts the sends in flight and puts them back as due at once (the receiver
   * may or may not have had them: delivery is at least once), then resolves.
   */
  stop(): Promise<void>;
}

class SendTimeout extends Error {}

/** A short reason for a failed send: never the response body, the headers or the secret. */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof SendTimeout) return `no complete answer within ${timeoutMs} ms`;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string") return `could not connect or send (${code})`;
  return "the request failed";
}

/**
 * POSTs `body` and resolves with the answer's status once its body has been read (at most
 * 64 KiB; the rest is cut). Redirects are not followed: a signed POST goes only where the
 * admin pointed it. Rejects on a network error, SendTimeout, or the abort signal.
 */
function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(target, { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, signal });
    const timer = setTimeout(() => request.destroy(new SendTimeout()), timeoutMs);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(error);
    };
    request.on("error", fail);
    request.on("response", (response) => {
      let read = 0;
      response.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) {
          clearTimeout(timer);
          resolve(response.statusCode ?? 0);
          response.destroy();
        }
      });
      response.on("error", fail);
      response.on("end", () => {
        clearTimeout(timer);
        resolve(response.statusCode ?? 0);
      });
    });
    request.end(body);
  });
}

/** The secrets a delivery is signed with now: the endpoint's, and the previous one while it is still honoured. */
function signingSecrets(key: Buffer, delivery: ClaimedDelivery, now: Date): string[] {
  const secrets = [openWebhookSecret(key, delivery.endpointId, delivery.secretSealed)];
  if (delivery.previousSecretSealed && delivery.previousSecretExpiresAt && delivery.previousSecretExpiresAt > now) {
    secrets.push(openWebhookSecret(key, delivery.endpointId, delivery.previousSecretSealed));
  }
  return secrets;
}

/**
 * Sends one claimed delivery: the frozen payload as the body, signed over `<t>.<body>` with the
 * current unix time, and the Vigil-Event and Vigil-Delivery headers. A 2xx answer delivers it.
 */
export async function sendDelivery(key: Buffer, delivery: ClaimedDelivery, options: { timeoutMs: number; signal: AbortSignal }): Promise<AttemptOutcome> {
  let headers: Record<string, string>;
  const body = JSON.stringify(delivery.payload);
  try {
    const now = new Date();
    headers = {
      "content-type": "application/json",
      "user-agent": WEBHOOK_USER_AGENT,
      [EVENT_HEADER]: delivery.type,
      [DELIVERY_HEADER]: delivery.id,
      [SIGNATURE_HEADER]: signatureHeader(signingSecrets(key, delivery, now), Math.floor(now.getTime() / 1000), body),
    };
  } catch {
    // The storage key changed since the secret was sealed: retried, in case the right key comes back.
    return { kind: "failed", statusCode: null, error: "could not open the endpoint's secret (was the storage key changed?)" };
  }
  try {
    const status = await post(delivery.url, headers, body, options.timeoutMs, options.signal);
    if (status >= 200 && status < 300) return { kind: "delivered", statusCode: status };
    const error = status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`;
    return { kind: "failed", statusCode: status, error };
  } catch (error) {
    if (options.signal.aborted) return { kind: "interrupted" };
    return { kind: "failed", statusCode: null, error: describeFailure(error, options.timeoutMs) };
  }
}

/**
 * Starts this process's delivery loop: every `pollMs` (and at once while there is more work)
 * it claims due deliveries up to its free concurrency, sends each, and settles it (delivered,
 * retry later, or failed). Claims are leased and fenced (outbox.ts), so any number of
 * processes may run a dispatcher on one database; one that dies mid-send leaves its deliveries
 * to be claimed again when their lease lapses. Timers are unref'd: the loop never keeps a
 * process alive.
 */
export function startWebhookDispatcher(db: Database, options: DispatcherOptions): WebhookDispatcher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const policy = { retryBaseSeconds: options.retryBaseSeconds ?? 10, maxAttempts: options.maxAttempts ?? 8 };
  const pollMs = options.pollMs ?? 1_000;
  const concurrency = options.concurrency ?? 8;
  const leaseSeconds = options.leaseSeconds ?? (2 * timeoutMs) / 1000 + 5;
  const onError = options.onError ?? ((message: string) => console.error(`vigil: webhooks: ${message}`));

  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> | null = null;
  let rerun = false;
  let lastErrorAt = 0;
  let stopped: Promise<void> | null = null;

  const report = (what: string, error: unknown) => {
    if (Date.now() - lastErrorAt < 60_000) return;
    lastErrorAt = Date.now();
    onError(`${what}: ${describeDatabaseError(error)}`);
  };

  const schedule = (ms: number) => {
    if (stopping.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(runTick, ms);
    timer.unref();
  };

  const deliver = async (delivery: ClaimedDelivery) => {
    // A claim that came back after stop() was called is handed back unsent: stop() may have
    // been called while the claim's query ran, and the delivery it finds may be one stop() has
    // just put back.
    const outcome = stopping.signal.aborted ? ({ kind: "released" } as const) : await sendDelivery(options.secretKey, delivery, { timeoutMs, signal: stopping.signal });
    try {
      await settleAttempt(db, delivery, outcome, policy);
    } catch (error) {
      // Unsettled, the delivery is claimed again when its lease lapses.
      report("could not record a delivery attempt", error);
    }
  };

  /** Claims as many due deliveries as there are free slots and starts sending them; true when it filled every slot. */
  const claimAndSend = async (): Promise<boolean> => {
    const free = concurrency - inFlight.size;
    if (free <= 0) return false;
    const claimed = await claimDueDeliveries(db, { limit: free, leaseSeconds });
    for (const delivery of claimed) {
      const work: Promise<void> = deliver(delivery).finally(() => {
        inFlight.delete(work);
        runTick();
      });
      inFlight.add(work);
    }
    return claimed.length === free;
  };

  const runTick = (): void => {
    if (stopping.signal.aborted) return;
    if (tick) {
      // A send finished during this claim: look again as soon as it is done.
      rerun = true;
      return;
    }
    rerun = false;
    // `.then` callbacks run in a later microtask, so `tick` is always set before it is cleared.
    tick = claimAndSend()
      .catch((error: unknown) => {
        report("could not claim deliveries", error);
        return false;
      })
      .then((more) => {
        tick = null;
        schedule(more || rerun ? 0 : pollMs);
      });
  };

  schedule(0);
  return {
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        clearTimeout(timer);
        await tick;
        await Promise.allSettled([...inFlight]);
      })();
      return stopped;
    },
  };
}
