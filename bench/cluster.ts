/**
 * Crash of one instance of a two-instance deployment under load: two `next start` instances on
 * one PostgreSQL, sharing object storage (s3rver), behind nginx (bench/lib/cluster.ts). Open-loop
 * verifications go through nginx; one instance is killed with kill -9 mid-load, the load goes
 * on, the instance is started again, and then every invariant is checked. Prints figures and
 * whether each invariant held, then one JSON line; asserts nothing.
 *
 *   npm run bench:cluster -- [--rate 4] [--seconds 30] [--kill-after 10] [--restart-after 4]
 *       [--lease 20] [--reviewers 4] [--timeout 30000]
 *
 * The load is face match + liveness of two different people (rejected: no case). Before it, a
 * few selfie-liveness verifications open review cases (the project's policy bands every
 * liveness score below 1.0 as review), which reviewers claim through the instance to be
 * killed. Every verification queues a verification.completed webhook.
 *
 * Invariants, over everything stored:
 *  - acknowledged: every request answered 2xx has its record (GET through nginx is 200) and both
 *    its images are served (200) through their signed URLs;
 *  - no half record: every stored verification has both images served;
 *  - no orphan: the bucket's images/ holds exactly the image rows' objects, and whatever is
 *    left in staging/ belongs to no row (it is deleted after the 10-minute grace period);
 *  - leases: the cases reviewers held through the killed instance are not handed out while
 *    their leases run, and are handed to other reviewers (through nginx) once they lapse;
 *  - webhooks: every stored verification's event reached the receiver, no event came under two
 *    delivery ids (a delivery may come twice: at least once, when the crash cut it mid-send).
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { eq, inArray, sql } from "drizzle-orm";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { images, reviewCases, verifications, webhookDeliveries } from "@/db/schema";
import { createS3Client } from "@/lib/storage/s3-store";
import { savePolicy } from "@/lib/thresholds/policies";
import { DEFAULT_BANDS } from "@/lib/verification/policy";
import { createEndpoint } from "@/lib/webhooks/endpoints";
import { webhookSecretKey } from "@/lib/webhooks/secrets";
import { startTestReceiver } from "@/lib/webhooks/testing/receiver";
import type { TestReceiver } from "@/lib/webhooks/testing/receiver";
import { ensureCurrentBuild } from "./lib/build";
import { startCluster } from "./lib/cluster";
import type { Cluster } from "./lib/cluster";
import { claimNextCaseOverHttp, serverActionId, signInConsole } from "./lib/console-client";
import type { ConsoleSession } from "./lib/console-client";
import { percentile, runOpenLoop } from "./lib/open-loop";
import type { Outcome } from "./lib/open-loop";
import { groupPids, notableLogLines } from "./lib/server";
import { cpuShare, sampleCpu } from "./lib/cpu";
import type { CpuShare } from "./lib/cpu";
import { twoPeopleSelfies } from "./lib/selfies";
import { fetchImageStatus, getVerification, keepAliveAgent, listAllVerifications, mapLimited, postVerification, verificationBody } from "./lib/vigil-client";
import type { Client, VerificationView } from "./lib/vigil-client";

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "4" },
    seconds: { type: "string", default: "30" },
    "kill-after": { type: "string", default: "10" },
    "restart-after": { type: "string", default: "4" },
    lease: { type: "string", default: "20" },
    reviewers: { type: "string", default: "4" },
    timeout: { type: "string", default: "30000" },
  },
});

function numberFlag(name: keyof typeof args): number {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const KILLED = 1;
/** The load's verifications carry a selfie and a reference; the seeded ones (cases to hold) a selfie only. */
const imagesPerRecord = (record: VerificationView) => ((record as VerificationView & { type?: string }).type === "selfie_liveness" ? 1 : 2);
const CHECK_CONCURRENCY = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isOk = (o: Outcome) => o.status !== null && o.status >= 200 && o.status < 300;
const round = (ms: number) => Math.round(ms);

interface LoadFigures {
  sent: number;
  ok: number;
  failed: number;
  failedKinds: Record<string, number>;
  /** Failed while both instances were up (should be 0). */
  failedBeforeKill: number;
  /** Due before the kill and answered with an error after it: cut by the kill. */
  cutByKill: number;
  /** Due after the kill and failed: sent while the dying instance still reset connections. */
  failedAfterKill: number;
  /** From the kill to the last failed answer: how long clients saw the dead instance. */
  routeAroundMs: number;
  /** kill -9 until the killed instance's port refused connections. */
  portClosedMs: number;
  /** nginx's access log: requests it passed on to the live instance after the dead one refused. */
  retriedByNginx: number;
  /** Requests the restarted instance served after its restart. */
  servedByRestarted: number;
  restartMs: number;
  /** CPU before the kill: the instances and this load generator, and everything else on the machine. */
  cpuBeforeKill: CpuShare;
  /** Wall-clock time of the kill (ms since the epoch). */
  killAtEpochMs: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  acknowledged: string[];
  acknowledgedWithoutId: number;
}

/** Open-loop load through nginx; kill -9 of instance KILLED, then its restart, both while the load runs. */
async function loadKillRestart(cluster: Cluster, client: Client, body: ReturnType<typeof verificationBody>, afterKill: () => Promise<void>): Promise<LoadFigures> {
  const rate = numberFlag("rate");
  const seconds = numberFlag("seconds");
  const killAfterMs = numberFlag("kill-after") * 1000;
  const restartAfterMs = numberFlag("restart-after") * 1000;
  const started = performance.now();
  const wallStart = Date.now();
  const watched = () => [process.pid, ...cluster.instances.flatMap((i) => groupPids(i.server.groupId))];
  const cpuStart = sampleCpu(watched());
  const load = runOpenLoop({ rate, seconds, send: (i) => postVerification(client, "native", body, `cluster-${i}`) });
  await sleep(killAfterMs);
  const cpuBeforeKill = cpuShare(cpuStart, sampleCpu(watched()));
  const killAtMs = performance.now() - started;
  await cluster.kill(KILLED);
  const portClosedMs = performance.now() - started - killAtMs;
  await afterKill();
  await sleep(Math.max(0, restartAfterMs - (performance.now() - started - killAtMs)));
  const restart = cluster.restart(KILLED).then(() => performance.now() - started);
  const outcomes = await load;
  const restartedAtMs = await restart;

  const failed = outcomes.filter((o) => !isOk(o));
  const failedKinds: Record<string, number> = {};
  for (const o of failed) failedKinds[o.error ?? `HTTP ${o.status}`] = (failedKinds[o.error ?? `HTTP ${o.status}`] ?? 0) + 1;
  const lastFailedEnd = Math.max(killAtMs, ...failed.map((o) => o.dueMs + o.latencyMs));
  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);

  // nginx's log: "<epoch s> <method> <uri> <status> <upstream addrs> <upstream statuses> <time>".
  const killed = cluster.instances[KILLED].address;
  const restartedAtEpoch = (wallStart + restartedAtMs) / 1000;
  let retriedByNginx = 0;
  let servedByRestarted = 0;
  for (const line of await cluster.nginx.accessLog()) {
    const [epoch, method, uri, , ...rest] = line.split(" ");
    if (method !== "POST" || uri !== "/api/v1/verifications") continue;
    const upstreams = rest.slice(0, -1).join(" ");
    if (upstreams.includes(",")) retriedByNginx++;
    else if (upstreams.startsWith(killed) && Number(epoch) > restartedAtEpoch) servedByRestarted++;
  }
  return {
    sent: outcomes.length,
    ok: outcomes.length - failed.length,
    failed: failed.length,
    failedKinds,
    failedBeforeKill: failed.filter((o) => o.dueMs + o.latencyMs < killAtMs).length,
    cutByKill: failed.filter((o) => o.dueMs < killAtMs && o.dueMs + o.latencyMs >= killAtMs).length,
    failedAfterKill: failed.filter((o) => o.dueMs >= killAtMs).length,
    routeAroundMs: round(lastFailedEnd - killAtMs),
    portClosedMs: round(portClosedMs),
    retriedByNginx,
    servedByRestarted,
    restartMs: round(cluster.instances[KILLED].server.startMs),
    cpuBeforeKill,
    killAtEpochMs: round(wallStart + killAtMs),
    latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1]) },
    acknowledged: outcomes.filter(isOk).flatMap((o) => (o.verificationId ? [o.verificationId] : [])),
    acknowledgedWithoutId: outcomes.filter((o) => isOk(o) && !o.verificationId).length,
  };
}

/** Every key in the bucket under `prefix`. */
async function bucketKeys(cluster: Cluster, prefix: string): Promise<string[]> {
  const s3 = createS3Client({ region: "us-east-1", endpoint: cluster.s3.endpoint, credentials: cluster.s3.credentials });
  const keys: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: cluster.s3.bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!.slice(prefix.length)));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    s3.destroy();
  }
  return keys;
}

interface StoreInvariants {
  records: number;
  acknowledgedMissing: number;
  acknowledgedWithUnservedImages: number;
  halfRecords: number;
  storedWithoutAnswer: number;
  imageRows: number;
  imageObjects: number;
  orphanObjects: number;
  rowsWithoutObject: number;
  stagedLeftovers: number;
  stagedWithRow: number;
  held: { acknowledged: boolean; noHalfRecords: boolean; noOrphans: boolean };
}

async function checkStore(cluster: Cluster, client: Client, acknowledged: string[], acknowledgedWithoutId: number): Promise<StoreInvariants> {
  const records = await listAllVerifications(client);
  const ackedSet = new Set(acknowledged);
  const whole = async (record: VerificationView) =>
    record.images.length === imagesPerRecord(record) && (await Promise.all(record.images.map((i) => fetchImageStatus(client, i.url)))).every((s) => s === 200);
  const ackedChecks = await mapLimited(acknowledged, CHECK_CONCURRENCY, async (id) => {
    const { status, record } = await getVerification(client, id);
    return { found: status === 200 && record !== null, served: record !== null && (await whole(record)) };
  });
  const others = records.filter((r) => !ackedSet.has(r.id));
  const othersWhole = await mapLimited(others, CHECK_CONCURRENCY, whole);

  const rows = await cluster.database.db.select({ key: images.storageKey }).from(images).where(eq(images.projectId, cluster.project.id));
  const rowKeys = new Set(rows.map((r) => r.key));
  const published = new Set(await bucketKeys(cluster, "images/"));
  const staged = await bucketKeys(cluster, "staging/");
  const acknowledgedMissing = ackedChecks.filter((c) => !c.found).length;
  const acknowledgedWithUnservedImages = ackedChecks.filter((c) => c.found && !c.served).length;
  const halfRecords = acknowledgedWithUnservedImages + othersWhole.filter((ok) => !ok).length;
  const orphanObjects = [...published].filter((k) => !rowKeys.has(k)).length;
  const rowsWithoutObject = [...rowKeys].filter((k) => !published.has(k)).length;
  const stagedWithRow = staged.filter((k) => rowKeys.has(k)).length;
  return {
    records: records.length,
    acknowledgedMissing,
    acknowledgedWithUnservedImages,
    halfRecords,
    storedWithoutAnswer: others.length,
    imageRows: rowKeys.size,
    imageObjects: published.size,
    orphanObjects,
    rowsWithoutObject,
    stagedLeftovers: staged.length,
    stagedWithRow,
    held: {
      acknowledged: acknowledgedMissing === 0 && acknowledgedWithUnservedImages === 0 && acknowledgedWithoutId === 0,
      noHalfRecords: halfRecords === 0,
      noOrphans: orphanObjects === 0 && rowsWithoutObject === 0 && stagedWithRow === 0,
    },
  };
}

interface LeaseFigures {
  heldThroughKilled: number;
  /** Held cases another reviewer got before the leases lapsed (must be 0). */
  handedOutEarly: number;
  /** Held cases other reviewers got once the leases lapsed (must be all of them). */
  retakenAfterLapse: number;
  /** From the kill to the last lapse of those leases. */
  lapsedAfterKillMs: number;
  held: boolean;
}

/** Before the load: cases claimed by reviewers through the instance that is going to be killed. */
async function claimThroughKilled(cluster: Cluster, claimNextId: string, count: number): Promise<string[]> {
  const reviewers = await Promise.all(Array.from({ length: count }, (_, i) => cluster.addUser(`holder-${i}@cluster.bench`, "reviewer")));
  const killedUrl = cluster.instances[KILLED].server.baseUrl;
  const sessions = await Promise.all(reviewers.map((r) => signInConsole(killedUrl, r.email, r.password)));
  const claims = await Promise.all(sessions.map((s) => claimNextCaseOverHttp(killedUrl, s, claimNextId)));
  const held = claims.flatMap((c) => (c.caseId ? [c.caseId] : []));
  if (held.length !== count) throw new Error(`expected ${count} cases claimed through the killed instance, got ${held.length}`);
  return held;
}

async function signInReviewers(cluster: Cluster, label: string, n: number): Promise<ConsoleSession[]> {
  const users = await Promise.all(Array.from({ length: n }, (_, i) => cluster.addUser(`${label}-${i}@cluster.bench`, "reviewer")));
  return Promise.all(users.map((u) => signInConsole(cluster.url, u.email, u.password)));
}

/** Right after the kill, while the leases run: how many held cases other reviewers get through nginx (none, or a bug). */
async function claimHeldEarly(cluster: Cluster, claimNextId: string, held: string[], early: ConsoleSession[]): Promise<number> {
  const got = await Promise.all(early.map((s) => claimNextCaseOverHttp(cluster.url, s, claimNextId).catch(() => ({ caseId: null }))));
  return got.filter((c) => c.caseId && held.includes(c.caseId)).length;
}

/** After the load: once the leases lapsed, other reviewers get exactly the held cases. */
async function checkLeases(cluster: Cluster, claimNextId: string, held: string[], handedOutEarly: number, killedAtEpochMs: number): Promise<LeaseFigures> {
  const { db } = cluster.database;
  const [{ latest }] = await db.select({ latest: sql<string>`max(${reviewCases.claimExpiresAt})` }).from(reviewCases).where(inArray(reviewCases.id, held));
  const lapseAt = new Date(latest).getTime();
  await sleep(Math.max(0, lapseAt - Date.now()) + 500);
  // The held cases are the only open ones: the load's verifications are rejected.
  const takers = await signInReviewers(cluster, "taker", held.length);
  const retaken = await Promise.all(takers.map((s) => claimNextCaseOverHttp(cluster.url, s, claimNextId)));
  const retakenAfterLapse = retaken.filter((c) => c.caseId && held.includes(c.caseId)).length;
  return {
    heldThroughKilled: held.length,
    handedOutEarly,
    retakenAfterLapse,
    lapsedAfterKillMs: round(lapseAt - killedAtEpochMs),
    held: handedOutEarly === 0 && retakenAfterLapse === held.length,
  };
}

interface WebhookFigures {
  verifications: number;
  eventsReceived: number;
  missing: number;
  /** Events received under more than one delivery id (must be 0). */
  eventsWithTwoDeliveryIds: number;
  /** Deliveries received more than once (allowed: at least once, when the crash cut a send). */
  redelivered: number;
  /** From the kill to the last first-time arrival of an event. */
  lastArrivalAfterKillMs: number;
  deliveryStatuses: Record<string, number>;
  held: boolean;
}

/** Waits (up to `timeoutMs`) until every stored verification's event arrived, then counts. */
async function checkWebhooks(cluster: Cluster, receiver: TestReceiver, killedAtEpochMs: number, timeoutMs: number): Promise<WebhookFigures> {
  const { db } = cluster.database;
  const deadline = Date.now() + timeoutMs;
  const verificationOf = (rawBody: string) => (JSON.parse(rawBody) as { data: { verificationId: string } }).data.verificationId;
  let ids: string[] = [];
  let missing = 0;
  for (;;) {
    ids = (await db.select({ id: verifications.id }).from(verifications).where(eq(verifications.projectId, cluster.project.id))).map((r) => r.id);
    const arrived = new Set(receiver.received.map((r) => verificationOf(r.rawBody)));
    missing = ids.filter((id) => !arrived.has(id)).length;
    if (missing === 0 || Date.now() > deadline) break;
    await sleep(500);
  }
  const deliveryIdsOfEvent = new Map<string, Set<string>>();
  const hitsOfDelivery = new Map<string, number>();
  for (const r of receiver.received) {
    const eventId = (JSON.parse(r.rawBody) as { id: string }).id;
    (deliveryIdsOfEvent.get(eventId) ?? deliveryIdsOfEvent.set(eventId, new Set()).get(eventId)!).add(r.deliveryId);
    hitsOfDelivery.set(r.deliveryId, (hitsOfDelivery.get(r.deliveryId) ?? 0) + 1);
  }
  const firstArrival = new Map<string, number>();
  for (const r of receiver.received) if (!firstArrival.has(r.deliveryId)) firstArrival.set(r.deliveryId, r.receivedAt);
  const statuses = await db.select({ status: webhookDeliveries.status, n: sql<number>`count(*)::int` }).from(webhookDeliveries).where(eq(webhookDeliveries.projectId, cluster.project.id)).groupBy(webhookDeliveries.status);
  const eventsWithTwoDeliveryIds = [...deliveryIdsOfEvent.values()].filter((s) => s.size > 1).length;
  return {
    verifications: ids.length,
    eventsReceived: deliveryIdsOfEvent.size,
    missing,
    eventsWithTwoDeliveryIds,
    redelivered: [...hitsOfDelivery.values()].filter((n) => n > 1).length,
    lastArrivalAfterKillMs: round(Math.max(...firstArrival.values()) - killedAtEpochMs),
    deliveryStatuses: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
    held: missing === 0 && eventsWithTwoDeliveryIds === 0,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).join(" ");
  console.log(`command: npm run bench:cluster -- ${argv}`.trim());
  ensureCurrentBuild(process.cwd(), "bench");
  const claimNextId = serverActionId(process.cwd(), "app/(console)/queue/actions.ts", "claimNextAction");
  const { probe, reference } = await twoPeopleSelfies();
  const body = verificationBody("native", probe, reference);
  const receiver = await startTestReceiver();
  let cluster: Cluster | null = null;
  try {
    cluster = await startCluster({ env: { VIGIL_CLAIM_LEASE_SECONDS: String(numberFlag("lease")), VIGIL_WEBHOOK_TIMEOUT_MS: "2000" }, log: console.log });
    const { db } = cluster.database;
    await savePolicy(db, {
      projectId: cluster.project.id,
      bands: { ...DEFAULT_BANDS, face_match: { approve: 1, review: 0 }, selfie_liveness: { approve: 1, review: 0 } },
      reason: "bench: everything to review",
      author: "system",
    });
    await createEndpoint(db, webhookSecretKey(Buffer.from(cluster.instanceEnv.VIGIL_STORAGE_KEY, "base64")), { projectId: cluster.project.id, url: `${receiver.url}/hooks`, events: ["verification.completed"], actor: "system" });
    const client: Client = { baseUrl: cluster.url, apiKey: cluster.apiKey, agent: await keepAliveAgent(), timeoutMs: numberFlag("timeout") };

    // Open cases to hold, made before the load so they are the oldest in the queue.
    const reviewers = numberFlag("reviewers");
    const selfieOnly = new Uint8Array(Buffer.from(JSON.stringify({ type: "selfie_liveness", selfie: probe.toString("base64") })));
    const seeded = await Promise.all(Array.from({ length: reviewers }, (_, i) => postVerification(client, "native", selfieOnly, `seed-${i}`)));
    if (seeded.some((s) => s.error)) throw new Error(`seeding failed: ${seeded.map((s) => s.error).join(", ")}`);
    const held = await claimThroughKilled(cluster, claimNextId, reviewers);
    console.log(`load average before the load: ${loadavg().map((l) => l.toFixed(1)).join(" ")} (${cpus().length} cores)`);
    console.log(`${reviewers} cases claimed through instance ${KILLED} (${cluster.instances[KILLED].address}); POST /api/v1/verifications through nginx at ${numberFlag("rate")}/s for ${numberFlag("seconds")} s, kill -9 of instance ${KILLED} at ${numberFlag("kill-after")} s, restart ${numberFlag("restart-after")} s later`);

    const early = await signInReviewers(cluster, "early", reviewers);
    let handedOutEarly = 0;
    const load = await loadKillRestart(cluster, client, body, async () => {
      handedOutEarly = await claimHeldEarly(cluster!, claimNextId, held, early);
    });
    const acknowledged = [...seeded.map((s) => s.verificationId!), ...load.acknowledged];
    const leases = await checkLeases(cluster, claimNextId, held, handedOutEarly, load.killAtEpochMs);
    const webhooks = await checkWebhooks(cluster, receiver, load.killAtEpochMs, 60_000);
    const store = await checkStore(cluster, client, acknowledged, load.acknowledgedWithoutId);

    const yes = (b: boolean) => (b ? "held" : "VIOLATED");
    const { acknowledged: _ids, ...loadFigures } = load;
    console.log(`\nrequests: ${load.sent} sent, ${load.ok} 2xx, ${load.failed} failed ${JSON.stringify(load.failedKinds)}: ${load.failedBeforeKill} before the kill, ${load.cutByKill} cut by it, ${load.failedAfterKill} sent after it`);
    console.log(`cpu before the kill: machine ${load.cpuBeforeKill.machinePct}%, instances + load generator ${load.cpuBeforeKill.watchedPct}%, everything else ${load.cpuBeforeKill.othersPct}% (PostgreSQL, s3rver, nginx and other jobs)`);
    console.log(`latency (from due time): p50 ${load.latencyMs.p50} ms, p95 ${load.latencyMs.p95}, p99 ${load.latencyMs.p99}, max ${load.latencyMs.max}`);
    console.log(`kill -9 to port closed: ${load.portClosedMs} ms; kill to the last failed answer (clients saw the dead instance): ${load.routeAroundMs} ms; nginx passed ${load.retriedByNginx} refused requests on to the live instance`);
    console.log(`restart: healthy in ${load.restartMs} ms, then served ${load.servedByRestarted} requests`);
    console.log(`store: ${store.records} records (${store.storedWithoutAnswer} stored without a 2xx answer), ${store.imageRows} image rows, ${store.imageObjects} objects in images/, ${store.stagedLeftovers} left in staging/`);
    console.log(`  every 2xx stored and served (missing ${store.acknowledgedMissing}, images not served ${store.acknowledgedWithUnservedImages}): ${yes(store.held.acknowledged)}`);
    console.log(`  no half records (${store.halfRecords}): ${yes(store.held.noHalfRecords)}`);
    console.log(`  no orphans (objects without row ${store.orphanObjects}, rows without object ${store.rowsWithoutObject}, staged with a row ${store.stagedWithRow}): ${yes(store.held.noOrphans)}`);
    console.log(`  leases: ${leases.heldThroughKilled} cases held through the killed instance, ${leases.handedOutEarly} handed out before their lease lapsed (${leases.lapsedAfterKillMs} ms after the kill), ${leases.retakenAfterLapse} retaken after: ${yes(leases.held)}`);
    console.log(`  webhooks: ${webhooks.eventsReceived} events received for ${webhooks.verifications} verifications, ${webhooks.missing} missing, ${webhooks.eventsWithTwoDeliveryIds} under two delivery ids, ${webhooks.redelivered} deliveries received twice, last first arrival ${webhooks.lastArrivalAfterKillMs} ms after the kill ${JSON.stringify(webhooks.deliveryStatuses)}: ${yes(webhooks.held)}`);
    const notable = cluster.instances.flatMap((i) => notableLogLines(i.server.log).map((l) => `[instance ${i.index}] ${l.text}`));
    console.log(`notable server log lines (since each instance's last start): ${notable.length}`);
    for (const line of notable.slice(0, 20)) console.log(`  ${line}`);
    const allHeld = Object.values(store.held).every(Boolean) && leases.held && webhooks.held && load.failedBeforeKill === 0;
    console.log(`all invariants held: ${allHeld ? "yes" : "NO"}`);
    console.log(JSON.stringify({ command: `bench/cluster.ts ${argv}`.trim(), loadAverage: loadavg()[0], load: loadFigures, store, leases, webhooks, allHeld }));
  } finally {
    await cluster?.stop();
    await receiver.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
