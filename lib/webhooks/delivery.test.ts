import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase, openPostgresDatabase } from "@/db/client";
import { auditEvents, reviewCases, verifications, webhookDeliveries, webhookEndpoints } from "@/db/schema";
import { postgresUnavailableReason, startTestPostgres } from "@/db/testing/postgres";
import { createProject } from "@/lib/auth/api-keys";
import { toConsoleUser } from "@/lib/auth/users";
import { newId } from "@/lib/ids";
import { twoPeople } from "@/lib/inference/testing/photos";
import { claimCase, decideCase, reopenVerification } from "@/lib/review/queue";
import { LocalImageStore } from "@/lib/storage/image-store";
import { errorCodeOf } from "@/lib/testing/errors";
import { freePort } from "@/lib/testing/ports";
import type { VerificationInput } from "@/lib/verification/service";
import { hashRequest, runFaceVerification } from "@/lib/verification/service";
import type { DispatcherOptions, WebhookDispatcher } from "./dispatcher";
import { startWebhookDispatcher, WEBHOOK_USER_AGENT } from "./dispatcher";
import { createEndpoint, deleteEndpoint, listDeliveries, listEndpoints, listWebhookProjects, redeliver, rotateEndpointSecret, sendTestEvent, setEndpointEnabled } from "./endpoints";
import type { WebhookEventType } from "./events";
import { claimDueDeliveries, settleAttempt } from "./outbox";
import { webhookSecretKey } from "./secrets";
import type { TestReceiver } from "./testing/receiver";
import { startTestReceiver, verifyVigilSignature } from "./testing/receiver";

const pgReason = postgresUnavailableReason();
if (pgReason) console.warn(`PostgreSQL webhook tests skipped: ${pgReason}`);

const admin = "user:usr_admin";
const alice = toConsoleUser({ id: "usr_alice", email: "alice@test", name: "Alice", role: "reviewer" });
const bob = toConsoleUser({ id: "usr_bob", email: "bob@test", name: "Bob", role: "reviewer" });

let faceA: Buffer;
let faceB: Buffer;

beforeAll(async () => {
  [faceA, faceB] = await twoPeople();
});

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls until `check` returns something truthy; fails with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A verification (and, in the review band, its open case) written directly: the queue never reads images. */
async function seedVerification(db: DatabaseHandle["db"], projectId: string, band: "review" | "reject"): Promise<{ verificationId: string; caseId: string | null }> {
  const verificationId = newId("ver");
  await db.insert(verifications).values({
    id: verificationId,
    projectId,
    type: "face_match",
    source: "native",
    status: band === "review" ? "in_review" : "rejected",
    band,
    checks: [{ check: "face_match", status: "done", score: band === "review" ? 0.47 : 0.1, band, model: { id: "m", version: "1" }, details: {} }],
    policyVersion: 1,
    timings: {},
    requestId: "req-seed",
    requestHash: "h",
  });
  if (band === "reject") return { verificationId, caseId: null };
  const caseId = newId("case");
  await db.insert(reviewCases).values({ id: caseId, verificationId, projectId, status: "open", reasons: ["face_match"] });
  return { verificationId, caseId };
}

interface Backend {
  handle: DatabaseHandle;
  /** A second connection pool to the same database: another "instance" (PGlite: the same handle). */
  second: DatabaseHandle;
  /** The PostgreSQL URL, for a dispatcher in another process. */
  url: string | null;
  stop(): Promise<void>;
}

const backends: Array<{ name: string; skip: boolean; open: () => Promise<Backend> }> = [
  {
    name: "PGlite (in memory)",
    skip: false,
    open: async () => {
      const handle = await openMemoryDatabase();
      return { handle, second: handle, url: null, stop: async () => {} };
    },
  },
  {
    name: "PostgreSQL 15",
    skip: pgReason !== null,
    open: async () => {
      const server = await startTestPostgres();
      const handle = await openPostgresDatabase(server.url);
      const second = await openPostgresDatabase(server.url);
      return {
        handle,
        second,
        url: server.url,
        stop: async () => {
          await second.close();
          await server.stop();
        },
      };
    },
  },
];

describe.each(backends)("webhooks on $name", ({ open, skip }) => {
  let backend: Backend;
  let db: DatabaseHandle["db"];
  let receiver: TestReceiver;
  let storeDir: string;
  let store: LocalImageStore;
  let projectId: string;
  const secretKey = webhookSecretKey(randomBytes(32));
  const running: WebhookDispatcher[] = [];

  /** A dispatcher with test timings: polls every 20 ms, retries after a twentieth of a second. */
  const dispatch = (options: Partial<DispatcherOptions> = {}, on: DatabaseHandle["db"] = db): WebhookDispatcher => {
    const dispatcher = startWebhookDispatcher(on, { secretKey, pollMs: 20, retryBaseSeconds: 0.05, timeoutMs: 3_000, ...options });
    running.push(dispatcher);
    return dispatcher;
  };

  const endpoint = (path: string, events: WebhookEventType[] = ["verification.completed", "review.decided"]) =>
    createEndpoint(db, secretKey, { projectId, url: `${receiver.url}${path}`, events, actor: admin });

  const delivery = async (id: string) => (await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)))[0];
  const deliveredRow = (id: string) => waitFor(`delivery ${id} delivered`, async () => ((await delivery(id)).status === "delivered" ? delivery(id) : null));

  const input = (over: Partial<VerificationInput> = {}): VerificationInput => ({
    projectId,
    apiKeyId: null,
    actor: "system",
    source: "native",
    type: "face_match",
    selfie: faceA,
    references: [faceB],
    referenceRole: "reference",
    requestId: "req-webhooks",
    requestHash: hashRequest([faceA, faceB]),
    ...over,
  });

  beforeAll(async () => {
    if (skip) return;
    backend = await open();
    db = backend.handle.db;
    receiver = await startTestReceiver();
    storeDir = mkdtempSync(join(tmpdir(), "vigil-store-"));
    store = new LocalImageStore(storeDir, randomBytes(32));
    projectId = (await createProject(db, { slug: "hooks", name: "Hooks" })).id;
  }, 120_000);

  afterEach(async () => {
    if (skip) return;
    await Promise.all(running.splice(0).map((d) => d.stop()));
    // Each test works with its own endpoints: what an earlier one left queued stays put.
    await db.update(webhookEndpoints).set({ enabled: false });
    receiver.answer = () => 200;
    receiver.delayMs = 0;
  });

  afterAll(async () => {
    if (skip) return;
    await receiver?.close();
    await backend?.handle.close();
    await backend?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it.skipIf(skip)("a verification puts verification.completed in the outbox in its transaction; the receiver gets exactly that payload, signed", async () => {
    const { endpoint: wanted, secret } = await endpoint("/verifications", ["verification.completed"]);
    await endpoint("/decisions-only", ["review.decided"]);
    const { record } = await runFaceVerification(db, store, input({ externalRef: "signup-42" }));

    const rows = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, wanted.id));
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ status: "pending", attempts: 0, type: "verification.completed", projectId });
    const expected = {
      id: row.eventId,
      type: "verification.completed",
      createdAt: row.createdAt.toISOString(),
      data: {
        verificationId: record.id,
        projectId,
        type: "face_match",
        status: record.status,
        band: record.band,
        checks: record.checks.map((c) => ({ check: c.check, status: c.status, score: c.score, band: c.band, model: c.model })),
        policyVersion: record.policyVersion,
        reviewCaseId: record.reviewCaseId,
        externalRef: "signup-42",
        createdAt: record.createdAt.toISOString(),
      },
    };
    expect(row.payload).toEqual(expected);

    dispatch();
    const done = await deliveredRow(row.id);
    expect(done).toMatchObject({ attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null, leaseUntil: null });
    expect(done.deliveredAt).toBeInstanceOf(Date);

    const hits = receiver.hitsOf(row.id);
    expect(hits).toHaveLength(1);
    const [hit] = hits;
    expect(hit.path).toBe("/verifications");
    expect(verifyVigilSignature(String(hit.headers["vigil-signature"]), hit.rawBody, secret)).toBe(true);
    expect(verifyVigilSignature(String(hit.headers["vigil-signature"]), hit.rawBody, "whsec_not-this-one")).toBe(false);
    expect(hit.headers).toMatchObject({ "vigil-event": "verification.completed", "vigil-delivery": row.id, "content-type": "application/json", "user-agent": WEBHOOK_USER_AGENT });
    expect(JSON.parse(hit.rawBody)).toEqual(expected);
    // No images, image links, faces or embeddings leave in a webhook.
    expect(hit.rawBody).not.toMatch(/url|image|embedding|landmark|"faces"/i);
    await sleep(100);
    expect(receiver.received.filter((r) => r.path === "/decisions-only")).toEqual([]);
  });

  it.skipIf(skip)("writes no delivery when the verification's transaction fails after the event was queued", async () => {
    await endpoint("/rolled-back", ["verification.completed"]);
    // Fails the verification's audit event, which is written after the outbox row.
    await db.execute(sql.raw("create or replace function vigil_test_fail_audit() returns trigger language plpgsql as $$ begin raise exception 'audit store down'; end $$"));
    await db.execute(sql.raw("create trigger vigil_test_fail_audit before insert on audit_events for each row when (new.actor = 'test:fail') execute function vigil_test_fail_audit()"));
    try {
      const [before] = await db.select({ n: count() }).from(webhookDeliveries);
      const [verificationsBefore] = await db.select({ n: count() }).from(verifications);
      const error = await runFaceVerification(db, store, input({ actor: "test:fail" })).catch((e: unknown) => e);
      expect(String((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message)).toMatch(/audit store down/);
      expect((await db.select({ n: count() }).from(webhookDeliveries))[0].n).toBe(before.n);
      expect((await db.select({ n: count() }).from(verifications))[0].n).toBe(verificationsBefore.n);
      // The same request without the failure queues the event.
      await runFaceVerification(db, store, input());
      expect((await db.select({ n: count() }).from(webhookDeliveries))[0].n).toBe(before.n + 1);
    } finally {
      await db.execute(sql.raw("drop trigger vigil_test_fail_audit on audit_events"));
    }
  });

  it.skipIf(skip)("a final decision sends review.decided; with four eyes only the confirmation does, naming both reviewers", async () => {
    const { endpoint: hook, secret } = await endpoint("/decisions", ["review.decided"]);
    const events = async () => (await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, hook.id))).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());

    const first = await seedVerification(db, projectId, "review");
    await claimCase(db, { user: alice, caseId: first.caseId!, leaseSeconds: 600 });
    await decideCase(db, { user: alice, caseId: first.caseId!, decision: "reject", reasonCode: "spoof_screen", note: "moire" });
    const [decided] = await db.select().from(reviewCases).where(eq(reviewCases.id, first.caseId!));
    expect((await events()).map((e) => e.payload)).toEqual([
      {
        id: expect.stringMatching(/^evt_/),
        type: "review.decided",
        createdAt: expect.any(String),
        data: { caseId: first.caseId, verificationId: first.verificationId, projectId, decision: "reject", reasonCode: "spoof_screen", status: "rejected", decidedBy: "usr_alice", confirmedBy: null, decidedAt: decided.decidedAt!.toISOString() },
      },
    ]);

    const second = await seedVerification(db, projectId, "reject");
    const caseId = await reopenVerification(db, { user: alice, verificationId: second.verificationId, note: "appeal" });
    await claimCase(db, { user: alice, caseId, leaseSeconds: 600 });
    expect((await decideCase(db, { user: alice, caseId, decision: "approve" })).outcome).toBe("awaiting_confirmation");
    expect(await events()).toHaveLength(1);
    await claimCase(db, { user: bob, caseId, leaseSeconds: 600 });
    expect((await decideCase(db, { user: bob, caseId, decision: "approve" })).outcome).toBe("decided");
    const all = await events();
    expect(all).toHaveLength(2);
    expect(all[1].payload).toMatchObject({ type: "review.decided", data: { caseId, verificationId: second.verificationId, decision: "approve", status: "approved", decidedBy: "usr_alice", confirmedBy: "usr_bob" } });

    dispatch();
    for (const e of all) {
      await deliveredRow(e.id);
      const [hit] = receiver.hitsOf(e.id);
      expect(verifyVigilSignature(String(hit.headers["vigil-signature"]), hit.rawBody, secret)).toBe(true);
      expect(JSON.parse(hit.rawBody)).toEqual(e.payload);
    }
  });

  it.skipIf(skip)("retries a receiver that answers 500 with backoff, the same delivery and body, until it answers 200", async () => {
    const { endpoint: hook, secret } = await endpoint("/flaky");
    receiver.answer = (path, nth) => (path === "/flaky" && nth === 0 ? 500 : 200);
    const { deliveryId } = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    dispatch({ retryBaseSeconds: 0.5 });
    const retrying = await waitFor("the first attempt to fail", async () => {
      const row = await delivery(deliveryId);
      return row.attempts === 1 && row.status === "pending" ? row : null;
    });
    expect(retrying).toMatchObject({ lastStatusCode: 500, lastError: "HTTP 500", leaseUntil: null });
    // Half a second, +-20%, after the failed attempt ended. lastAttemptAt is when it began, so
    // the gap also holds the send itself, which a loaded machine stretches (the exact jitter
    // bounds are unit-tested in signature.test.ts).
    const wait = retrying.nextAttemptAt!.getTime() - retrying.lastAttemptAt!.getTime();
    expect(wait).toBeGreaterThanOrEqual(390);
    expect(wait).toBeLessThanOrEqual(610 + 1_500);

    const done = await deliveredRow(deliveryId);
    expect(done).toMatchObject({ attempts: 2, lastStatusCode: 200, lastError: null });
    const hits = receiver.hitsOf(deliveryId);
    expect(hits).toHaveLength(2);
    expect(hits[1].receivedAt - hits[0].receivedAt).toBeGreaterThanOrEqual(390);
    expect(hits[1].rawBody).toBe(hits[0].rawBody);
    for (const hit of hits) expect(verifyVigilSignature(String(hit.headers["vigil-signature"]), hit.rawBody, secret)).toBe(true);
    expect(JSON.parse(hits[0].rawBody)).toMatchObject({ type: "ping", data: { endpointId: hook.id } });
  });

  it.skipIf(skip)("fails a delivery after the last attempt; a manual redelivery sends the same event under a new delivery id", async () => {
    const { endpoint: hook, secret } = await endpoint("/down");
    receiver.answer = (path) => (path === "/down" ? 503 : 200);
    const { deliveryId, eventId } = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    dispatch({ maxAttempts: 3 });
    const failed = await waitFor("the delivery to fail", async () => ((await delivery(deliveryId)).status === "failed" ? delivery(deliveryId) : null));
    expect(failed).toMatchObject({ attempts: 3, lastStatusCode: 503, lastError: "HTTP 503", nextAttemptAt: null, deliveredAt: null });
    const hits = receiver.hitsOf(deliveryId);
    expect(hits).toHaveLength(3);
    // Exponential: the second wait (about 4 x 50 ms) is longer than the first (about 50 ms).
    expect(hits[2].receivedAt - hits[1].receivedAt).toBeGreaterThan(hits[1].receivedAt - hits[0].receivedAt);
    await sleep(300);
    expect(receiver.hitsOf(deliveryId)).toHaveLength(3);

    receiver.answer = () => 200;
    const again = await redeliver(db, { deliveryId, actor: admin });
    expect(again.deliveryId).not.toBe(deliveryId);
    const redelivered = await deliveredRow(again.deliveryId);
    expect(redelivered).toMatchObject({ eventId, redeliveryOf: deliveryId, attempts: 1, lastStatusCode: 200 });
    const [hit] = receiver.hitsOf(again.deliveryId);
    expect(verifyVigilSignature(String(hit.headers["vigil-signature"]), hit.rawBody, secret)).toBe(true);
    expect(hit.rawBody).toBe(hits[0].rawBody);
    expect((await delivery(deliveryId)).status).toBe("failed");
  });

  it.skipIf(skip)("records why a send failed: refused connection, no answer in time, a redirect", async () => {
    const refused = await createEndpoint(db, secretKey, { projectId, url: `http://127.0.0.1:${await freePort()}/gone`, events: ["review.decided"], actor: admin });
    const { endpoint: slow } = await endpoint("/slow");
    const { endpoint: moved } = await endpoint("/moved");
    receiver.answer = (path) => (path === "/slow" ? "hang" : path === "/moved" ? 302 : 200);
    const ids = await Promise.all([refused.endpoint, slow, moved].map(async (e) => (await sendTestEvent(db, { endpointId: e.id, actor: admin })).deliveryId));
    dispatch({ maxAttempts: 1, timeoutMs: 300 });
    const rows = await Promise.all(ids.map((id) => waitFor(`${id} failed`, async () => ((await delivery(id)).status === "failed" ? delivery(id) : null))));
    expect(rows.map((r) => [r.lastStatusCode, r.lastError])).toEqual([
      [null, "could not connect or send (ECONNREFUSED)"],
      [null, "no complete answer within 300 ms"],
      [302, "HTTP 302: redirects are not followed"],
    ]);
  });

  it.skipIf(skip)("a disabled endpoint gets no new events and its queued deliveries wait until it is enabled again", async () => {
    const { endpoint: hook } = await endpoint("/paused");
    const { deliveryId } = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    await setEndpointEnabled(db, { endpointId: hook.id, enabled: false, actor: admin });
    dispatch();
    const { caseId } = await seedVerification(db, projectId, "review");
    await claimCase(db, { user: alice, caseId: caseId!, leaseSeconds: 600 });
    await decideCase(db, { user: alice, caseId: caseId!, decision: "approve" });
    await sleep(300);
    expect(receiver.received.filter((r) => r.path === "/paused")).toEqual([]);
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, hook.id))).toHaveLength(1);
    await setEndpointEnabled(db, { endpointId: hook.id, enabled: true, actor: admin });
    await deliveredRow(deliveryId);
  });

  it.skipIf(skip)("restart: a delivery claimed by a sender that died is sent by the next one once the lease lapses", async () => {
    const { endpoint: hook, secret } = await endpoint("/after-crash");
    const { deliveryId } = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    // The dying process: it claims, then never sends nor settles.
    const claimed = await claimDueDeliveries(db, { limit: 10, leaseSeconds: 1 });
    expect(claimed.map((c) => c.id)).toEqual([deliveryId]);
    expect(await delivery(deliveryId)).toMatchObject({ status: "delivering", attempts: 1 });

    const claimedAt = Date.now();
    dispatch();
    await sleep(400);
    // The lease still holds: nobody else sends it meanwhile.
    expect(receiver.hitsOf(deliveryId)).toEqual([]);
    const done = await deliveredRow(deliveryId);
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(900);
    expect(done).toMatchObject({ attempts: 2, lastStatusCode: 200 });
    const [hit] = receiver.hitsOf(deliveryId);
    expect(verifyVigilSignature(String(hit.headers["vigil-signature"]), hit.rawBody, secret)).toBe(true);
    // Had the first sender come back late, its outcome would change nothing: the claim is fenced.
    expect(await settleAttempt(db, claimed[0], { kind: "failed", statusCode: 500, error: "HTTP 500" }, { retryBaseSeconds: 1, maxAttempts: 8 })).toBeNull();
    expect((await delivery(deliveryId)).status).toBe("delivered");
  });

  it.skipIf(skip)("restart: a dispatcher stopped mid-send puts the delivery back at once, and the next one delivers it", async () => {
    const { endpoint: hook } = await endpoint("/stopped");
    receiver.answer = (path, nth) => (path === "/stopped" && nth === 0 ? "hang" : 200);
    const { deliveryId } = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    const first = dispatch({ timeoutMs: 60_000 });
    await waitFor("the first send to reach the receiver", () => receiver.hitsOf(deliveryId).length === 1);
    await first.stop();
    expect(await delivery(deliveryId)).toMatchObject({ status: "pending", attempts: 1, leaseUntil: null, lastError: "interrupted: the dispatcher stopped during the send" });
    dispatch();
    expect(await deliveredRow(deliveryId)).toMatchObject({ attempts: 2, lastStatusCode: 200 });
    expect(receiver.hitsOf(deliveryId)).toHaveLength(2);
  });

  it.skipIf(skip)("restart: a claim that comes back after stop() is handed back unsent, its attempt not counted", async () => {
    // What a dispatcher does when stop() is called while its claim's query runs (the claim can
    // find the very delivery stop() has just put back): it settles it as released.
    const { endpoint: hook } = await endpoint("/released");
    const { deliveryId } = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    const [claim] = await claimDueDeliveries(db, { limit: 10, leaseSeconds: 600 });
    expect(claim.id).toBe(deliveryId);
    expect(await settleAttempt(db, claim, { kind: "released" }, { retryBaseSeconds: 1, maxAttempts: 8 })).toBe("pending");
    expect(await delivery(deliveryId)).toMatchObject({ status: "pending", attempts: 0, leaseUntil: null });
    expect(receiver.hitsOf(deliveryId)).toEqual([]);
    dispatch();
    expect(await deliveredRow(deliveryId)).toMatchObject({ attempts: 1, lastStatusCode: 200 });
  });

  it.skipIf(skip)("two dispatchers on one database never send a delivery twice", async () => {
    const { endpoint: hook, secret } = await endpoint("/many");
    receiver.delayMs = 15;
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await sendTestEvent(db, { endpointId: hook.id, actor: admin })).deliveryId);
    dispatch({ pollMs: 5 });
    dispatch({ pollMs: 5 }, backend.second.db);
    await waitFor("all 60 delivered", async () => {
      const [{ n }] = await db.select({ n: count() }).from(webhookDeliveries).where(sql`${webhookDeliveries.endpointId} = ${hook.id} and ${webhookDeliveries.status} = 'delivered'`);
      return n === 60;
    }, 30_000);
    for (const id of ids) {
      const hits = receiver.hitsOf(id);
      expect(hits, id).toHaveLength(1);
      expect(verifyVigilSignature(String(hits[0].headers["vigil-signature"]), hits[0].rawBody, secret)).toBe(true);
    }
    expect(receiver.maxConcurrentPerDelivery()).toBe(1);
    const attempts = await db.select({ attempts: webhookDeliveries.attempts }).from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, hook.id));
    expect(attempts.every((a) => a.attempts === 1)).toBe(true);
  });

  it.skipIf(skip)("admin: lists endpoints without secrets, rotates with a day of overlap, deletes an endpoint with its log, audits all of it", async () => {
    const { endpoint: hook, secret } = await endpoint("/admin");
    expect((await listWebhookProjects(db)).find((p) => p.id === projectId)?.endpoints).toBeGreaterThanOrEqual(1);
    const listed = (await listEndpoints(db, projectId)).find((e) => e.id === hook.id)!;
    expect(listed).toMatchObject({ url: `${receiver.url}/admin`, secretPrefix: secret.slice(0, 12), enabled: true });
    expect(JSON.stringify(listed)).not.toContain(secret.slice(12));

    const { secret: rotated } = await rotateEndpointSecret(db, secretKey, { endpointId: hook.id, actor: admin });
    expect(rotated).not.toBe(secret);
    const first = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    dispatch();
    await deliveredRow(first.deliveryId);
    const [during] = receiver.hitsOf(first.deliveryId);
    expect(String(during.headers["vigil-signature"]).match(/v1=/g)).toHaveLength(2);
    expect(verifyVigilSignature(String(during.headers["vigil-signature"]), during.rawBody, rotated)).toBe(true);
    expect(verifyVigilSignature(String(during.headers["vigil-signature"]), during.rawBody, secret)).toBe(true);

    // Once the overlap is over, only the new secret signs.
    await db.update(webhookEndpoints).set({ previousSecretExpiresAt: new Date(Date.now() - 1000) }).where(eq(webhookEndpoints.id, hook.id));
    const second = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    await deliveredRow(second.deliveryId);
    const [after] = receiver.hitsOf(second.deliveryId);
    expect(verifyVigilSignature(String(after.headers["vigil-signature"]), after.rawBody, rotated)).toBe(true);
    expect(verifyVigilSignature(String(after.headers["vigil-signature"]), after.rawBody, secret)).toBe(false);

    const log = await listDeliveries(db, { projectId, endpointId: hook.id });
    expect(log.map((d) => [d.id, d.status, d.attempts, d.lastStatusCode])).toEqual([
      [second.deliveryId, "delivered", 1, 200],
      [first.deliveryId, "delivered", 1, 200],
    ]);
    await deleteEndpoint(db, { endpointId: hook.id, actor: admin });
    expect(await listDeliveries(db, { projectId, endpointId: hook.id })).toEqual([]);
    expect((await listEndpoints(db, projectId)).some((e) => e.id === hook.id)).toBe(false);
    expect(await errorCodeOf(() => redeliver(db, { deliveryId: first.deliveryId, actor: admin }))).toBe("NOT_FOUND");

    const trail = (await db.select().from(auditEvents).where(eq(auditEvents.actor, admin)).orderBy(auditEvents.seq)).filter((e) => JSON.stringify([e.before, e.after]).includes(hook.id));
    expect(trail.map((e) => e.action)).toEqual(["webhook.endpoint_created", "webhook.secret_rotated", "webhook.test_sent", "webhook.test_sent", "webhook.endpoint_deleted"]);
    for (const e of trail) expect(JSON.stringify([e.before, e.after])).not.toMatch(new RegExp(`${secret.slice(12)}|${rotated.slice(12)}`));
  });

  it.skipIf(skip)("concurrent claims from two connection pools never return the same delivery", async () => {
    const { endpoint: hook } = await endpoint("/claims");
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add((await sendTestEvent(db, { endpointId: hook.id, actor: admin })).deliveryId);
    const claimers = Array.from({ length: 10 }, async (_, n) => {
      const mine: string[] = [];
      for (;;) {
        const claimed = await claimDueDeliveries(n % 2 ? backend.second.db : db, { limit: 3, leaseSeconds: 600 });
        if (claimed.length === 0) return mine;
        mine.push(...claimed.map((c) => c.id));
      }
    });
    const all = (await Promise.all(claimers)).flat();
    expect(all).toHaveLength(40);
    expect(new Set(all)).toEqual(ids);
  });

  it.skipIf(skip)("restart: a sender process killed with SIGKILL mid-delivery loses nothing (PostgreSQL)", async () => {
    if (!backend.url) return; // One PGlite database cannot be shared with another process.
    const { endpoint: hook, secret } = await endpoint("/killed");
    receiver.answer = (path, nth) => (path === "/killed" && nth === 0 ? "hang" : 200);
    const { deliveryId } = await sendTestEvent(db, { endpointId: hook.id, actor: admin });
    // Only this delivery is enabled now; the child process is the only dispatcher running.
    const child = spawn(process.execPath, [join(process.cwd(), "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=react-server", "lib/webhooks/testing/dispatcher-process.ts"], {
      env: { ...process.env, TEST_DATABASE_URL: backend.url, TEST_WEBHOOK_KEY: secretKey.toString("base64"), TEST_LEASE_SECONDS: "2" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise((done) => child.on("exit", done));
    try {
      await waitFor(`the child's send to reach the receiver (child output: ${output})`, () => receiver.hitsOf(deliveryId).length === 1, 60_000);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    expect(await delivery(deliveryId)).toMatchObject({ status: "delivering", attempts: 1 });
    dispatch();
    expect(await deliveredRow(deliveryId)).toMatchObject({ status: "delivered", attempts: 2, lastStatusCode: 200 });
    const hits = receiver.hitsOf(deliveryId);
    expect(hits).toHaveLength(2);
    for (const hit of hits) expect(verifyVigilSignature(String(hit.headers["vigil-signature"]), hit.rawBody, secret)).toBe(true);
  }, 90_000);
});
