/**
 * Two production instances on one PostgreSQL, sharing object storage (s3rver), behind nginx:
 * what must stay correct when requests of one deployment land on different processes.
 * Concurrent clients go through nginx, and every test checks from nginx's X-Vigil-Upstream
 * header that both instances served. Skipped, with the reason printed, where PostgreSQL 15 or
 * nginx cannot be had (`npm test` installs nginx with apt when it runs as root).
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewCases, verifications, webhookDeliveries } from "@/db/schema";
import { postgresUnavailableReason } from "@/db/testing/postgres";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";
import { savePolicy } from "@/lib/thresholds/policies";
import { DEFAULT_BANDS } from "@/lib/verification/policy";
import { createEndpoint } from "@/lib/webhooks/endpoints";
import { webhookSecretKey } from "@/lib/webhooks/secrets";
import { startTestReceiver, verifyVigilSignature } from "@/lib/webhooks/testing/receiver";
import type { TestReceiver } from "@/lib/webhooks/testing/receiver";
import { ensureCurrentBuild } from "./build";
import { servedBy, startCluster } from "./cluster";
import type { Cluster } from "./cluster";
import { claimNextCaseOverHttp, serverActionId, signInConsole } from "./console-client";
import type { ConsoleSession } from "./console-client";
import { nginxUnavailableReason } from "./nginx";

// As root, `npm test` installs nginx: a missing one then fails the test instead of skipping it.
const skipReason = postgresUnavailableReason() ?? (process.getuid?.() === 0 ? null : nginxUnavailableReason());
if (skipReason) console.warn(`cluster tests skipped: ${skipReason}`);

/** Short, so the test can wait one out; the console renews it while a case is open. */
const LEASE_SECONDS = 6;
const root = process.cwd();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Posted {
  status: number;
  id: string | null;
  instance: number | null;
  replayed: boolean;
  body: { id?: string; status?: string; images?: Array<{ id: string; url: string }>; error?: { code: string } };
}

describe.skipIf(skipReason !== null)("two instances behind nginx on one PostgreSQL", () => {
  let cluster: Cluster;
  let receiver: TestReceiver;
  let webhookSecret: string;
  let selfie: string;
  let claimNextId: string;

  async function post(body: object, idempotencyKey?: string): Promise<Posted> {
    const response = await fetch(`${cluster.url}/api/v1/verifications`, {
      method: "POST",
      headers: { authorization: `Bearer ${cluster.apiKey}`, "content-type": "application/json", ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let parsed: Posted["body"];
    try {
      parsed = JSON.parse(text) as Posted["body"];
    } catch {
      // nginx's own error pages are HTML.
      parsed = { error: { code: `not JSON: ${text.slice(0, 80)}` } };
    }
    return {
      status: response.status,
      id: parsed.id ?? null,
      instance: servedBy(cluster, response.headers.get("x-vigil-upstream")),
      replayed: response.headers.get("idempotent-replayed") === "true",
      body: parsed,
    };
  }

  const verify = (idempotencyKey?: string) => post({ type: "selfie_liveness", selfie }, idempotencyKey);

  async function signInReviewers(prefix: string, n: number): Promise<ConsoleSession[]> {
    const users = await Promise.all(Array.from({ length: n }, (_, i) => cluster.addUser(`${prefix}-${i}@cluster.test`, "reviewer")));
    return Promise.all(users.map((u) => signInConsole(cluster.url, u.email, u.password)));
  }

  /** Waits until every verification of the project has its verification.completed delivered. */
  async function allEventsDelivered(timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ids = (await cluster.database.db.select({ id: verifications.id }).from(verifications).where(eq(verifications.projectId, cluster.project.id))).map((r) => r.id);
      const delivered = new Set(receiver.received.map((r) => (JSON.parse(r.rawBody) as { data: { verificationId: string } }).data.verificationId));
      if (ids.every((id) => delivered.has(id)) || Date.now() > deadline) return ids;
      await sleep(250);
    }
  }

  beforeAll(async () => {
    ensureCurrentBuild(root, "cluster test");
    claimNextId = serverActionId(root, "app/(console)/queue/actions.ts", "claimNextAction");
    receiver = await startTestReceiver();
    cluster = await startCluster({ env: { VIGIL_CLAIM_LEASE_SECONDS: String(LEASE_SECONDS), VIGIL_WEBHOOK_TIMEOUT_MS: "3000" }, log: console.log });
    const { db } = cluster.database;
    // Every verification goes to review (a liveness score is never 1.0000 on these crops): open cases to claim.
    await savePolicy(db, {
      projectId: cluster.project.id,
      bands: { ...DEFAULT_BANDS, face_match: { approve: 1, review: 0 }, selfie_liveness: { approve: 1, review: 0 } },
      reason: "cluster test: everything to review",
      author: "system",
    });
    const created = await createEndpoint(db, webhookSecretKey(Buffer.from(cluster.instanceEnv.VIGIL_STORAGE_KEY, "base64")), {
      projectId: cluster.project.id,
      url: `${receiver.url}/hooks`,
      events: ["verification.completed"],
      actor: "system",
    });
    webhookSecret = created.secret;
    // A selfie-like crop around the first face of a sample photo, boxed by the cluster itself.
    const photo = samplePhoto("sample6.jpg");
    const detect = await fetch(`${cluster.url}/api/v1/faces/detect`, {
      method: "POST",
      headers: { authorization: `Bearer ${cluster.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ image: photo.toString("base64") }),
    });
    const { faces } = (await detect.json()) as { faces: Array<{ box: { x1: number; y1: number; x2: number; y2: number } }> };
    const leftmost = [...faces].sort((a, b) => a.box.x1 - b.box.x1)[0];
    selfie = (await cropAround(photo, leftmost.box, 0.8)).toString("base64");
  }, 15 * 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await receiver?.close();
  });

  it("stores one record for concurrent requests with the same Idempotency-Key and answers each with it", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => verify("cluster-idem-1")));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.filter((a) => a.replayed)).toHaveLength(7);
    expect(new Set(answers.map((a) => a.instance))).toEqual(new Set([0, 1]));
    const rows = await cluster.database.db.select({ id: verifications.id }).from(verifications).where(and(eq(verifications.projectId, cluster.project.id), eq(verifications.idempotencyKey, "cluster-idem-1")));
    expect(rows.map((r) => r.id)).toEqual([answers[0].id]);
    // The same key with another body is refused on either instance.
    const reused = await Promise.all([0, 1].map(() => post({ type: "selfie_liveness", selfie, externalRef: "someone-else" }, "cluster-idem-1")));
    expect(reused.map((r) => [r.status, r.body.error?.code])).toEqual([
      [409, "IDEMPOTENCY_KEY_REUSED"],
      [409, "IDEMPOTENCY_KEY_REUSED"],
    ]);
    // Its image, stored by one instance in the shared bucket, is served by both.
    const image = answers[0].body.images![0];
    const served = await Promise.all([0, 1].map(async () => {
      const response = await fetch(image.url.replace(/^https?:\/\/[^/]+/, cluster.url));
      await response.arrayBuffer();
      return [response.status, servedBy(cluster, response.headers.get("x-vigil-upstream"))];
    }));
    expect(served.map(([status]) => status)).toEqual([200, 200]);
    expect(new Set(served.map(([, instance]) => instance))).toEqual(new Set([0, 1]));
  });

  it("never hands one case to two reviewers, and a lapsed lease makes the case claimable again", async () => {
    const made = await Promise.all(Array.from({ length: 4 }, () => verify()));
    expect(made.map((m) => [m.status, m.body.status])).toEqual(Array.from({ length: 4 }, () => [201, "in_review"]));
    const { db } = cluster.database;
    const open = (await db.select({ id: reviewCases.id }).from(reviewCases).where(eq(reviewCases.status, "open"))).map((r) => r.id);
    expect(open.length).toBeGreaterThanOrEqual(4);

    // More reviewers than open cases, all pressing N at once, through nginx to both instances.
    const first = await signInReviewers("first", open.length + 3);
    const claims = await Promise.all(first.map((s) => claimNextCaseOverHttp(cluster.url, s, claimNextId)));
    const held = claims.flatMap((c) => (c.caseId ? [c.caseId] : []));
    expect(new Set(claims.map((c) => servedBy(cluster, c.upstream)))).toEqual(new Set([0, 1]));
    expect(held).toHaveLength(open.length);
    expect(new Set(held)).toEqual(new Set(open));

    // While the leases hold, nobody else gets those cases.
    const [early] = await signInReviewers("early", 1);
    expect((await claimNextCaseOverHttp(cluster.url, early, claimNextId)).caseId).toBeNull();

    // Their holders go quiet (no renewal); once the leases lapse, others take exactly those cases.
    const [{ latest }] = await db.select({ latest: sql<string>`max(${reviewCases.claimExpiresAt})` }).from(reviewCases).where(inArray(reviewCases.id, held));
    await sleep(Math.max(0, new Date(latest).getTime() - Date.now()) + 500);
    const second = await signInReviewers("second", open.length + 1);
    const retaken = await Promise.all(second.map((s) => claimNextCaseOverHttp(cluster.url, s, claimNextId)));
    const again = retaken.flatMap((c) => (c.caseId ? [c.caseId] : []));
    expect(again).toHaveLength(open.length);
    expect(new Set(again)).toEqual(new Set(open));
    expect(new Set(retaken.map((c) => servedBy(cluster, c.upstream)))).toEqual(new Set([0, 1]));
    const owners = await db.select({ id: reviewCases.id, status: reviewCases.status, claimedBy: reviewCases.claimedBy }).from(reviewCases).where(inArray(reviewCases.id, open));
    expect(owners.every((o) => o.status === "claimed")).toBe(true);
    expect(new Set(owners.map((o) => o.claimedBy)).size).toBe(open.length);
  }, 120_000);

  it("delivers each webhook event produced on either instance once, signed, through the shared outbox", async () => {
    const made = await Promise.all(Array.from({ length: 6 }, () => verify()));
    expect(made.every((m) => m.status === 201)).toBe(true);
    expect(new Set(made.map((m) => m.instance))).toEqual(new Set([0, 1]));
    const ids = await allEventsDelivered();

    const events = receiver.received.map((r) => ({ ...r, event: JSON.parse(r.rawBody) as { id: string; type: string; data: { verificationId: string } } }));
    expect(events.every((e) => verifyVigilSignature(String(e.headers["vigil-signature"]), e.rawBody, webhookSecret))).toBe(true);
    // One event per verification, one delivery per event, each delivery received once.
    expect(events.map((e) => e.event.data.verificationId).sort()).toEqual([...ids].sort());
    expect(new Set(events.map((e) => e.event.id)).size).toBe(ids.length);
    expect(new Set(events.map((e) => e.deliveryId)).size).toBe(ids.length);
    const rows = await cluster.database.db.select({ status: webhookDeliveries.status, attempts: webhookDeliveries.attempts }).from(webhookDeliveries).where(eq(webhookDeliveries.projectId, cluster.project.id));
    expect(rows).toHaveLength(ids.length);
    expect(rows.every((r) => r.status === "delivered" && r.attempts === 1)).toBe(true);
  }, 120_000);

  it("routes around an instance killed with kill -9: every answered request is stored and its event delivered", async () => {
    await cluster.kill(1);
    const made = await Promise.all(Array.from({ length: 6 }, () => verify()));
    // Refused connections are passed to the live instance: nothing had reached the dead one.
    expect(made.map((m) => [m.status, m.instance]), `nginx error log:\n${(await cluster.nginx.errorLog()).slice(-5).join("\n")}\ns3rver: ${JSON.stringify(cluster.s3.status())}`).toEqual(
      Array.from({ length: 6 }, () => [201, 0]),
    );
    const ids = await allEventsDelivered();
    const delivered = new Set(receiver.received.map((r) => (JSON.parse(r.rawBody) as { data: { verificationId: string } }).data.verificationId));
    expect(made.every((m) => ids.includes(m.id!) && delivered.has(m.id!))).toBe(true);
    for (const m of made) {
      const record = await fetch(`${cluster.url}/api/v1/verifications/${m.id}`, { headers: { authorization: `Bearer ${cluster.apiKey}` } });
      expect(record.status).toBe(200);
      const { images } = (await record.json()) as { images: Array<{ url: string }> };
      const image = await fetch(images[0].url.replace(/^https?:\/\/[^/]+/, cluster.url));
      expect(image.status).toBe(200);
      await image.arrayBuffer();
    }
  }, 120_000);
});
