/**
 * PostgreSQL restarted under load (issue #7), in process: the route handlers run against a
 * throwaway PostgreSQL 15 cluster while a few clients keep sending verifications; the server
 * is shut down (fast, then immediate: crash-style) and started again on the same port. The
 * app must answer clean 503 DATABASE_UNAVAILABLE in each endpoint's shape while it is down,
 * recover by itself, keep every acknowledged record whole, leave no staged or orphan image,
 * and its background loops (webhook dispatcher, retention) must resume.
 *
 * In process rather than against `next start`: a production build takes minutes, and here an
 * unhandled 'error' event of a dropped connection would end the test process (Next.js's own
 * server logs uncaught exceptions instead), so a crash cannot go unnoticed.
 * `npm run bench:pg-restart` does the same to the production server and prints figures.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { POST as documentLiveness } from "@/app/api/v1/document/liveness/route";
import { GET as listVerifications, POST as createVerification } from "@/app/api/v1/verifications/route";
import { POST as sfxVerify } from "@/app/sfx-verify/v3/id-service/route";
import { POST as kairosVerify } from "@/app/v0.1/biometric-verification/route";
import { POST as verifikCompare } from "@/app/v2/face-recognition/compare-with-liveness/route";
import type { DatabaseHandle } from "@/db/client";
import { installDatabase, openPostgresDatabase } from "@/db/client";
import { images, verifications } from "@/db/schema";
import type { TestPostgres } from "@/db/testing/postgres";
import { postgresUnavailableReason, startTestPostgres } from "@/db/testing/postgres";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
import { resetEnv } from "@/lib/env";
import { twoPeople } from "@/lib/inference/testing/photos";
import type { RetentionJob } from "@/lib/retention/job";
import { startRetentionJob } from "@/lib/retention/job";
import { installImageStore } from "@/lib/storage";
import { LocalImageStore } from "@/lib/storage/image-store";
import type { WebhookDispatcher } from "@/lib/webhooks/dispatcher";
import { startWebhookDispatcher } from "@/lib/webhooks/dispatcher";
import { createEndpoint } from "@/lib/webhooks/endpoints";
import { webhookSecretKey } from "@/lib/webhooks/secrets";
import type { TestReceiver } from "@/lib/webhooks/testing/receiver";
import { startTestReceiver } from "@/lib/webhooks/testing/receiver";
import { pendingStagedImages, settleStagedImagesNow } from "./staged-images";

const pgReason = postgresUnavailableReason();
if (pgReason) console.warn(`PostgreSQL restart tests skipped: ${pgReason}`);

/** Clients sending verifications at once, back to back (2 cores: enough to have transactions in flight at the stop). */
const CLIENTS = 3;
/** Verifications answered 2xx before the stop, so that the clients are warm and transactions are in flight. */
const SUCCESSES_BEFORE = 6;
const OUTAGE_MS = 1_500;
/** Bound on the first success after PostgreSQL is back, and on the webhooks of every acknowledged record. */
const RECOVERY_BOUND_MS = 15_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Answer {
  kind: "native" | "verifik";
  status: number;
  /** ms since the load began, when the answer came. */
  at: number;
  verificationId: string | null;
  /** The error code in the endpoint's shape, or null on 2xx. */
  code: string | null;
  retryAfter: string | null;
}

let pg: TestPostgres;
let handle: DatabaseHandle;
let storeDir: string;
let dataDir: string;
let store: LocalImageStore;
let secret: string;
let receiver: TestReceiver;
let dispatcher: WebhookDispatcher;
let retention: RetentionJob;
let faceA: Buffer;
let faceB: Buffer;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

async function send(kind: Answer["kind"], i: number, started: number): Promise<Answer> {
  const [selfie, reference] = i % 2 === 0 ? [faceA, faceA] : [faceA, faceB];
  const request =
    kind === "native"
      ? new Request("http://vigil.test/api/v1/verifications", {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: JSON.stringify({ selfie: selfie.toString("base64"), reference: reference.toString("base64") }),
        })
      : new Request("http://vigil.test/v2/face-recognition/compare-with-liveness", {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: JSON.stringify({ os: "DESKTOP", probe: selfie.toString("base64"), gallery: [reference.toString("base64")], search_mode: "FAST" }),
        });
  const response = kind === "native" ? await createVerification(request, undefined) : await verifikCompare(request);
  const body = await response.json();
  const ok = response.status >= 200 && response.status < 300;
  return {
    kind,
    status: response.status,
    at: performance.now() - started,
    verificationId: ok ? (response.headers.get("x-verification-id") ?? body.id ?? null) : null,
    code: ok ? null : kind === "native" ? (body.error?.code ?? "?") : (body.code ?? "?"),
    retryAfter: response.headers.get("retry-after"),
  };
}

/** Clients sending back to back until `stop()`; each alternates the native and the Verifik endpoint. */
function startLoad() {
  const started = performance.now();
  const answers: Answer[] = [];
  let stopping = false;
  let sent = 0;
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let n = 0; !stopping; n++) {
      const i = sent++;
      answers.push(await send((client + n) % 2 === 0 ? "native" : "verifik", i, started));
    }
  });
  return {
    answers,
    now: () => performance.now() - started,
    stop: async () => {
      stopping = true;
      await Promise.all(clients);
    },
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** One request to each vendor shape while the database is down: each answers its own 503. */
async function vendorShapesWhileDown(): Promise<void> {
  const native = await listVerifications(new Request("http://vigil.test/api/v1/verifications", { headers: { authorization: `Bearer ${secret}` } }), undefined);
  expect(native.status).toBe(503);
  expect(native.headers.get("retry-after")).toBe("5");
  const nativeBody = await native.json();
  expect(nativeBody.error.code).toBe("DATABASE_UNAVAILABLE");
  expect(JSON.stringify(nativeBody)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|select |insert |stack|at /i);

  const sfx = await sfxVerify(
    new Request("http://vigil.test/sfx-verify/v3/id-service", {
      method: "POST",
      headers: { userid: "acme", apikey: secret, "content-type": "application/json" },
      body: JSON.stringify({ verificationType: "PASSIVE-LIVELINESS-VERIFICATION", selfie: faceA.toString("base64"), transactionReference: "outage-1" }),
    }),
  );
  expect(sfx.status).toBe(503);
  expect(sfx.headers.get("retry-after")).toBe("5");
  expect(await sfx.json()).toMatchObject({ responseCode: "99", transactionStatus: "FAILED" });

  const kairos = await kairosVerify(
    new Request("http://vigil.test/v0.1/biometric-verification", {
      method: "POST",
      headers: { app_id: "acme", app_key: secret, "content-type": "application/json" },
      body: JSON.stringify({ selfie: faceA.toString("base64"), image: faceB.toString("base64") }),
    }),
  );
  expect(kairos.status).toBe(503);
  expect((await kairos.json()).errors[0].code).toBe("DATABASE_UNAVAILABLE");

  const document = await documentLiveness(
    new Request("http://vigil.test/api/v1/document/liveness", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`acme:${secret}`).toString("base64")}` },
      body: JSON.stringify({ sessionId: "outage-1", frontSideImageBase: faceA.toString("base64") }),
    }),
  );
  expect(document.status).toBe(503);
  expect(await document.json()).toMatchObject({ hasError: true, error: "DATABASE_UNAVAILABLE" });

  const down = await health();
  expect(down.status).toBe(503);
  expect((await down.json()).database.status).toBe("down");
}

/** Every record whole, every acknowledged one stored, no orphan or staged image file. */
async function checkStore(acknowledged: string[]): Promise<void> {
  const records = await handle.db.select({ id: verifications.id }).from(verifications);
  const rows = await handle.db.select({ verificationId: images.verificationId, storageKey: images.storageKey }).from(images);
  const ids = new Set(records.map((r) => r.id));
  for (const id of acknowledged) expect(ids.has(id), `acknowledged ${id} stored`).toBe(true);
  const perRecord = new Map<string, number>();
  for (const row of rows) perRecord.set(row.verificationId, (perRecord.get(row.verificationId) ?? 0) + 1);
  // Both endpoints store a selfie (probe) and one reference: a record with fewer is half-written.
  const half = records.filter((r) => perRecord.get(r.id) !== 2).map((r) => r.id);
  expect(half, "records without both image rows").toEqual([]);
  const files = filesUnder(join(storeDir, "images")).sort();
  expect(files, "image files are exactly the image rows'").toEqual(rows.map((r) => `${r.storageKey}.enc`).sort());
  for (const row of rows.slice(-20)) expect((await store.get(row.storageKey)).byteLength).toBeGreaterThan(0);
  expect(filesUnder(join(storeDir, "staging")), "staging empty").toEqual([]);
}

describe.skipIf(pgReason !== null)("PostgreSQL restarted under load", () => {
  beforeAll(async () => {
    process.on("uncaughtException", onUncaught);
    pg = await startTestPostgres({ durableCommits: true });
    dataDir = mkdtempSync(join(tmpdir(), "vigil-data-"));
    process.env.VIGIL_DATA_DIR = dataDir;
    process.env.VIGIL_STORAGE_KEY = randomBytes(32).toString("base64");
    process.env.VIGIL_API_RATE_LIMIT_PER_MINUTE = "100000";
    resetEnv();
    handle = await openPostgresDatabase(pg.url, 10);
    installDatabase(handle);
    storeDir = mkdtempSync(join(tmpdir(), "vigil-store-"));
    store = new LocalImageStore(storeDir, randomBytes(32));
    installImageStore(store);
    const project = await createProject(handle.db, { slug: "acme", name: "Acme Bank" });
    ({ secret } = await createApiKey(handle.db, { projectId: project.id, name: "load" }));
    receiver = await startTestReceiver();
    const secretKey = webhookSecretKey(randomBytes(32));
    await createEndpoint(handle.db, secretKey, { projectId: project.id, url: `${receiver.url}/hook`, events: ["verification.completed"], actor: "user:usr_admin" });
    dispatcher = startWebhookDispatcher(handle.db, { secretKey, pollMs: 200, timeoutMs: 2_000, onError: () => undefined });
    retention = startRetentionJob(handle.db, store, { firstRunDelayMs: 3_600_000, onError: () => undefined });
    [faceA, faceB] = await twoPeople();
    // The first request of each endpoint warms its code paths; the load starts warm.
    for (const kind of ["native", "verifik"] as const) expect((await send(kind, 0, performance.now())).status).toBeLessThan(300);
  }, 180_000);

  afterAll(async () => {
    process.off("uncaughtException", onUncaught);
    await dispatcher?.stop();
    await retention?.stop();
    await receiver?.close();
    await handle?.close().catch(() => undefined);
    await pg?.stop();
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const acknowledged: string[] = [];

  for (const mode of ["fast", "immediate"] as const) {
    it(`answers 503 DATABASE_UNAVAILABLE while it is down (${mode} shutdown), recovers by itself and loses or half-writes nothing`, async () => {
      const load = startLoad();
      while (load.answers.filter((a) => a.status < 300).length < SUCCESSES_BEFORE && load.now() < 30_000) await sleep(20);
      await pg.shutdown(mode);
      const downAt = load.now();
      await sleep(OUTAGE_MS / 3);
      await vendorShapesWhileDown();
      expect(await retention.runNow(), "retention run while down").toBeNull();
      await sleep(OUTAGE_MS / 3);
      await pg.start();
      const upAt = load.now();
      // Load goes on until the first success after the restart, plus a little.
      for (;;) {
        if (load.answers.some((a) => a.at > upAt && a.status < 300)) break;
        if (load.now() - upAt > RECOVERY_BOUND_MS) break;
        await sleep(50);
      }
      await sleep(500);
      await load.stop();
      const { answers } = load;

      // Only 2xx, or the clean 503 in the endpoint's shape with Retry-After.
      const unexpected = answers.filter((a) => a.status >= 300 && !(a.status === 503 && a.code === (a.kind === "native" ? "DATABASE_UNAVAILABLE" : "ServiceUnavailable") && a.retryAfter === "5"));
      expect(unexpected, "answers other than 2xx or the clean 503").toEqual([]);
      expect(answers.filter((a) => a.status === 503).length, "the outage was met").toBeGreaterThan(0);
      expect(answers.filter((a) => a.at < downAt && a.status < 300).length, "successes before the stop").toBeGreaterThan(0);
      const firstSuccess = answers.find((a) => a.at > upAt && a.status < 300);
      expect(firstSuccess, `a success within ${RECOVERY_BOUND_MS} ms of the restart`).toBeDefined();
      expect(uncaught, "uncaught exceptions").toEqual([]);

      const up = await health();
      expect(up.status).toBe(200);
      expect((await up.json()).database.status).toBe("up");
      expect(await retention.runNow(), "retention run after the restart").not.toBeNull();

      // Images of transactions cut by the stop are settled once the database answers.
      const settled = await settleStagedImagesNow({ minAgeMs: 0 });
      expect(settled.pending).toBe(0);
      expect(pendingStagedImages()).toBe(0);
      acknowledged.push(...answers.flatMap((a) => (a.verificationId ? [a.verificationId] : [])));
      expect(answers.filter((a) => a.status < 300 && !a.verificationId), "2xx without a verification id").toEqual([]);
      await checkStore(acknowledged);

      // The dispatcher met the outage too, and delivers every acknowledged record's event.
      const deadline = Date.now() + RECOVERY_BOUND_MS;
      const undelivered = () => {
        const seen = new Set(receiver.received.map((r) => (JSON.parse(r.rawBody) as { data: { verificationId: string } }).data.verificationId));
        return acknowledged.filter((id) => !seen.has(id));
      };
      while (undelivered().length > 0 && Date.now() < deadline) await sleep(100);
      expect(undelivered(), "acknowledged records whose webhook never came").toEqual([]);

      // No connection is left checked out for good: a transaction whose BEGIN met the dead
      // connection used to keep its client (db/client.ts, releaseDeadClients), and the pool
      // shrank by one for every such request.
      const pool = (handle.db as unknown as { $client: { totalCount: number; idleCount: number } }).$client;
      const settleBy = Date.now() + 5_000;
      while (pool.totalCount - pool.idleCount > 0 && Date.now() < settleBy) await sleep(50);
      expect(pool.totalCount - pool.idleCount, "connections still checked out once the load is over").toBe(0);
    }, 90_000);
  }
});
