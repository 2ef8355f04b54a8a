/**
 * PostgreSQL restarted under load (issue #7): one production server (`next start`) on a
 * throwaway PostgreSQL 15 cluster, open-loop verifications, and PostgreSQL shut down mid-load
 * and started again on the same port, once `fast` (pg_ctl -m fast) and once `immediate`
 * (pg_ctl -m immediate: a crash; WAL replay at start). Prints figures and whether each
 * invariant held, then one JSON line; asserts nothing.
 *
 *   npx tsx --conditions=react-server bench/pg-restart.ts [--endpoint verifik|native] [--rate 10]
 *       [--modes fast,immediate] [--before 8] [--outage 3] [--after 10] [--port 3970]
 *       [--timeout 30000] [--rebuild]
 *
 * Per restart: requests sent / 2xx / failed by status and error code; how long requests failed
 * (first to last failed answer); time from PostgreSQL accepting connections again to the first
 * 2xx, and to /api/health answering 200; whether the serving process is the same one.
 * Invariants, after every restart, over everything stored so far:
 *  - clean failures: every answer is 2xx or 503 with the endpoint's DATABASE_UNAVAILABLE code
 *    (Verifik `ServiceUnavailable`, native `DATABASE_UNAVAILABLE`) and Retry-After;
 *  - acknowledged: every request answered 2xx has its record and both its images served;
 *  - no half record, no orphan: every record has both images served; the .enc files under
 *    <data>/store/images are exactly the records' images, and staging is empty once the images
 *    of transactions the restart cut are settled;
 *  - webhooks: a `verification.completed` event reached the test receiver for every 2xx.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { openPostgresDatabase } from "@/db/client";
import { projects } from "@/db/schema";
import type { TestPostgres } from "@/db/testing/postgres";
import { postgresUnavailableReason, startTestPostgres } from "@/db/testing/postgres";
import { createEndpoint } from "@/lib/webhooks/endpoints";
import { webhookSecretKey } from "@/lib/webhooks/secrets";
import type { TestReceiver } from "@/lib/webhooks/testing/receiver";
import { startTestReceiver } from "@/lib/webhooks/testing/receiver";
import { runOpenLoop } from "./lib/open-loop";
import type { Outcome } from "./lib/open-loop";
import { twoPeopleSelfies } from "./lib/selfies";
import { buildHasRoute, ensureBuild, listeningPid, notableLogLines, startServer, stopServer } from "./lib/server";
import type { Server } from "./lib/server";
import { filesUnder } from "./lib/files";
import { ENDPOINT_PATHS, errorCodeOf, fetchImageStatus, getVerification, keepAliveAgent, listAllVerifications, mapLimited, postVerification, verificationBody } from "./lib/vigil-client";
import type { Client, EncodedBody, Endpoint, PostOutcome } from "./lib/vigil-client";

const { values: args } = parseArgs({
  options: {
    endpoint: { type: "string", default: "verifik" },
    rate: { type: "string", default: "10" },
    modes: { type: "string", default: "fast,immediate" },
    before: { type: "string", default: "8" },
    outage: { type: "string", default: "3" },
    after: { type: "string", default: "10" },
    port: { type: "string", default: "3970" },
    timeout: { type: "string", default: "30000" },
    rebuild: { type: "boolean", default: false },
  },
});

type Mode = "fast" | "immediate";
const CHECK_CONCURRENCY = 4;
/** Every request carries a probe and one reference, so every record stores two images. */
const IMAGES_PER_RECORD = 2;
const HEALTH_POLL_MS = 200;
/** How long to wait, after the load, for in-doubt images to settle and webhooks to arrive. */
const SETTLE_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isOk = (o: PostOutcome) => o.status !== null && o.status >= 200 && o.status < 300;
const round = (ms: number | null) => (ms === null ? null : Math.round(ms));

function numberFlag(name: "rate" | "before" | "outage" | "after" | "port" | "timeout"): number {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

function parseModes(value: string): Mode[] {
  const modes = value.split(",").map((m) => m.trim());
  for (const m of modes) if (m !== "fast" && m !== "immediate") throw new Error(`--modes takes fast and/or immediate, not ${m}`);
  return modes as Mode[];
}

/** The clean failure of each endpoint while the database is away. */
const UNAVAILABLE: Record<Endpoint, string> = { verifik: "HTTP 503 ServiceUnavailable", native: "HTTP 503 DATABASE_UNAVAILABLE" };

/** postVerification (bench/lib/vigil-client.ts) that also keeps the answer's Retry-After. */
async function post(client: Client, endpoint: Endpoint, body: EncodedBody, requestId: string): Promise<PostOutcome & { retryAfter: string | null }> {
  try {
    const response = await fetch(`${client.baseUrl}${ENDPOINT_PATHS[endpoint]}`, {
      method: "POST",
      headers: { authorization: `Bearer ${client.apiKey}`, "content-type": "application/json", "x-request-id": requestId },
      body,
      signal: AbortSignal.timeout(client.timeoutMs),
      dispatcher: client.agent,
    } as RequestInit);
    const text = await response.text();
    const retryAfter = response.headers.get("retry-after");
    if (!response.ok) return { status: response.status, verificationId: null, error: `HTTP ${response.status} ${errorCodeOf(text)}`.trim(), retryAfter };
    const parsed = JSON.parse(text) as { id?: string };
    return { status: response.status, verificationId: response.headers.get("x-verification-id") ?? parsed.id ?? null, error: null, retryAfter };
  } catch (error) {
    const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
    const kind = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError") ? "timeout" : (cause?.code ?? (error instanceof Error ? error.message : String(error)));
    return { status: null, verificationId: null, error: kind, retryAfter: null };
  }
}

interface HealthSample {
  atMs: number;
  status: number | null;
}

/** Polls /api/health every HEALTH_POLL_MS until stopped. */
function watchHealth(baseUrl: string, start: number) {
  const samples: HealthSample[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const atMs = performance.now() - start;
      let status: number | null = null;
      try {
        const response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(3_000) });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = null;
      }
      samples.push({ atMs, status });
      await sleep(HEALTH_POLL_MS);
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

interface RestartFigures {
  mode: Mode;
  sent: number;
  ok: number;
  failed: number;
  /** "HTTP 503 ServiceUnavailable" -> count, network errors by code. */
  failures: Record<string, number>;
  /** Failures that are not the endpoint's clean 503 (should be 0). */
  uncleanFailures: number;
  /** Requests due before the stop and answered after it began: in flight when PostgreSQL went away. */
  inFlightAtStop: { total: number; ok: number; failed: number };
  /** ms after the load began. */
  stopAtMs: number;
  /** pg_ctl stop and start, ms. */
  stopTookMs: number;
  startTookMs: number;
  /** From the first failed answer to the last one, ms: how long requests failed. */
  failingForMs: number | null;
  /** From PostgreSQL accepting connections again to the first 2xx answer, ms. */
  firstSuccessAfterUpMs: number | null;
  /** Of the requests sent after PostgreSQL was back, how many failed (should be 0), and the first one's latency, ms. */
  failedSentAfterUp: number;
  firstSentAfterUpLatencyMs: number | null;
  /** When the failed requests were due: the first and the last, ms after the stop. */
  failedDueFromStopMs: [number, number] | null;
  /** /api/health: first non-200 after the stop, and 200 again after the start, ms from the stop / the start. */
  healthDownAfterStopMs: number | null;
  healthUpAfterStartMs: number | null;
  /** The pid serving the port is the one that served it before the restart. */
  sameProcess: boolean;
  latencyP50Ms: number;
  latencyMaxMs: number;
}

/** Open-loop load; PostgreSQL is stopped `before` seconds in and started `outage` seconds later. */
async function loadAndRestart(server: Server, client: Client, pg: TestPostgres, endpoint: Endpoint, body: EncodedBody, mode: Mode, acknowledged: string[]): Promise<RestartFigures> {
  const rate = numberFlag("rate");
  const beforeMs = numberFlag("before") * 1000;
  const outageMs = numberFlag("outage") * 1000;
  const afterMs = numberFlag("after") * 1000;
  const pidBefore = listeningPid(server);
  const start = performance.now();
  const health = watchHealth(server.baseUrl, start);
  const answeredAt = new Map<number, number>();
  const load = runOpenLoop({
    rate,
    seconds: (beforeMs + outageMs + afterMs) / 1000,
    send: async (i) => {
      const outcome = await post(client, endpoint, body, `${mode}-${i}`);
      answeredAt.set(i, performance.now() - start);
      return outcome;
    },
  });
  await sleep(beforeMs);
  const stopAtMs = performance.now() - start;
  await pg.shutdown(mode);
  const stoppedAtMs = performance.now() - start;
  await sleep(outageMs);
  const startingAtMs = performance.now() - start;
  await pg.start();
  const upAtMs = performance.now() - start;
  const outcomes = (await load) as Array<Outcome & { retryAfter?: string | null }>;
  // A few more samples so that health's recovery is seen even when the load ends first.
  const healthDeadline = performance.now() + 15_000;
  while (!health.samples.some((s) => s.atMs > upAtMs && s.status === 200) && performance.now() < healthDeadline) await sleep(HEALTH_POLL_MS);
  await health.stop();

  const failures: Record<string, number> = {};
  for (const o of outcomes) if (!isOk(o)) failures[o.error ?? `HTTP ${o.status}`] = (failures[o.error ?? `HTTP ${o.status}`] ?? 0) + 1;
  const failed = outcomes.filter((o) => !isOk(o));
  const answered = (o: Outcome) => answeredAt.get(o.index) ?? o.dueMs + o.latencyMs;
  const failedTimes = failed.map(answered).sort((a, b) => a - b);
  const firstOkAfterUp = outcomes.filter((o) => isOk(o) && answered(o) > upAtMs).map(answered).sort((a, b) => a - b)[0];
  const inFlight = outcomes.filter((o) => o.dueMs < stopAtMs && answered(o) >= stopAtMs);
  const healthDown = health.samples.find((s) => s.atMs >= stopAtMs && s.status !== 200);
  const healthUp = health.samples.find((s) => s.atMs >= upAtMs && s.status === 200);
  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  acknowledged.push(...outcomes.filter(isOk).flatMap((o) => (o.verificationId ? [o.verificationId] : [])));
  return {
    mode,
    sent: outcomes.length,
    ok: outcomes.length - failed.length,
    failed: failed.length,
    failures,
    uncleanFailures: failed.filter((o) => o.error !== UNAVAILABLE[endpoint] || o.retryAfter !== "5").length,
    inFlightAtStop: { total: inFlight.length, ok: inFlight.filter(isOk).length, failed: inFlight.filter((o) => !isOk(o)).length },
    stopAtMs: Math.round(stopAtMs),
    stopTookMs: Math.round(stoppedAtMs - stopAtMs),
    startTookMs: Math.round(upAtMs - startingAtMs),
    failingForMs: failedTimes.length > 0 ? Math.round(failedTimes[failedTimes.length - 1] - failedTimes[0]) : null,
    firstSuccessAfterUpMs: firstOkAfterUp === undefined ? null : Math.round(firstOkAfterUp - upAtMs),
    failedSentAfterUp: outcomes.filter((o) => o.dueMs >= upAtMs && !isOk(o)).length,
    firstSentAfterUpLatencyMs: round(outcomes.find((o) => o.dueMs >= upAtMs)?.latencyMs ?? null),
    failedDueFromStopMs: failed.length > 0 ? [Math.round(Math.min(...failed.map((o) => o.dueMs)) - stopAtMs), Math.round(Math.max(...failed.map((o) => o.dueMs)) - stopAtMs)] : null,
    healthDownAfterStopMs: healthDown ? Math.round(healthDown.atMs - stopAtMs) : null,
    healthUpAfterStartMs: healthUp ? Math.round(healthUp.atMs - upAtMs) : null,
    sameProcess: pidBefore !== null && listeningPid(server) === pidBefore,
    latencyP50Ms: round(latencies[Math.floor(latencies.length / 2)]) ?? 0,
    latencyMaxMs: round(latencies[latencies.length - 1]) ?? 0,
  };
}

interface Invariants {
  records: number;
  encFiles: number;
  stagingFiles: number;
  acknowledgedTotal: number;
  acknowledgedMissing: number;
  halfRecords: number;
  orphanFiles: number;
  imagesWithoutFile: number;
  webhooksMissing: number;
  /** From the end of the load until staging was empty and every webhook had come, ms. */
  settledAfterMs: number;
  held: { cleanFailures: boolean; acknowledged: boolean; noHalfRecords: boolean; noOrphans: boolean; stagingEmpty: boolean; webhooksDelivered: boolean; sameProcess: boolean };
}

function webhookIds(receiver: TestReceiver): Set<string> {
  return new Set(receiver.received.map((r) => (JSON.parse(r.rawBody) as { data: { verificationId?: string } }).data.verificationId ?? ""));
}

/** Waits for staging to empty and every acknowledged record's webhook, then checks every invariant. */
async function checkInvariants(client: Client, dataDir: string, acknowledged: string[], receiver: TestReceiver, figures: RestartFigures): Promise<Invariants> {
  const waitStart = performance.now();
  const staging = join(dataDir, "store", "staging");
  while (performance.now() - waitStart < SETTLE_TIMEOUT_MS) {
    const seen = webhookIds(receiver);
    if ((await filesUnder(staging)).length === 0 && acknowledged.every((id) => seen.has(id))) break;
    await sleep(250);
  }
  const settledAfterMs = Math.round(performance.now() - waitStart);
  const records = await listAllVerifications(client);
  const ackedSet = new Set(acknowledged);
  const whole = async (images: Array<{ url: string }>) =>
    images.length === IMAGES_PER_RECORD && (await Promise.all(images.map((i) => fetchImageStatus(client, i.url)))).every((s) => s === 200);
  const ackedChecks = await mapLimited(acknowledged, CHECK_CONCURRENCY, async (id) => {
    const { status, record } = await getVerification(client, id);
    return status === 200 && record !== null && (await whole(record.images));
  });
  const othersWhole = await mapLimited(
    records.filter((r) => !ackedSet.has(r.id)),
    CHECK_CONCURRENCY,
    (r) => whole(r.images),
  );
  const encFiles = (await filesUnder(join(dataDir, "store", "images"))).filter((f) => f.endsWith(".enc"));
  const fileIds = new Set(encFiles.map((f) => basename(f, ".enc")));
  const imageIds = new Set(records.flatMap((r) => r.images.map((i) => i.id)));
  const stagingFiles = (await filesUnder(staging)).length;
  const seen = webhookIds(receiver);
  const acknowledgedMissing = ackedChecks.filter((ok) => !ok).length;
  const halfRecords = acknowledgedMissing + othersWhole.filter((ok) => !ok).length;
  const orphanFiles = [...fileIds].filter((id) => !imageIds.has(id)).length;
  const imagesWithoutFile = [...imageIds].filter((id) => !fileIds.has(id)).length;
  const webhooksMissing = acknowledged.filter((id) => !seen.has(id)).length;
  return {
    records: records.length,
    encFiles: encFiles.length,
    stagingFiles,
    acknowledgedTotal: acknowledged.length,
    acknowledgedMissing,
    halfRecords,
    orphanFiles,
    imagesWithoutFile,
    webhooksMissing,
    settledAfterMs,
    held: {
      cleanFailures: figures.uncleanFailures === 0,
      acknowledged: acknowledgedMissing === 0,
      noHalfRecords: halfRecords === 0,
      noOrphans: orphanFiles === 0 && imagesWithoutFile === 0,
      stagingEmpty: stagingFiles === 0,
      webhooksDelivered: webhooksMissing === 0,
      sameProcess: figures.sameProcess,
    },
  };
}

function printRestart(f: RestartFigures, inv: Invariants): void {
  const yes = (b: boolean) => (b ? "held" : "VIOLATED");
  console.log(`\n${f.mode} restart at ${(f.stopAtMs / 1000).toFixed(1)} s (pg_ctl stop ${f.stopTookMs} ms, start ${f.startTookMs} ms):`);
  console.log(`  requests: ${f.sent} sent, ${f.ok} 2xx, ${f.failed} failed ${JSON.stringify(f.failures)}; in flight at the stop: ${f.inFlightAtStop.total} (${f.inFlightAtStop.ok} 2xx, ${f.inFlightAtStop.failed} failed)`);
  console.log(`  failed requests were due ${f.failedDueFromStopMs ? `${f.failedDueFromStopMs[0]} to ${f.failedDueFromStopMs[1]} ms after the stop` : "never"}; sent after PostgreSQL was back: ${f.failedSentAfterUp} failed, the first answered in ${f.firstSentAfterUpLatencyMs ?? "-"} ms`);
  console.log(`  requests failed for ${f.failingForMs ?? 0} ms; first 2xx ${f.firstSuccessAfterUpMs ?? "never"} ms after PostgreSQL was back; /api/health non-200 ${f.healthDownAfterStopMs ?? "never"} ms after the stop, 200 again ${f.healthUpAfterStartMs ?? "never"} ms after the start`);
  console.log(`  latency over all requests: p50 ${f.latencyP50Ms} ms, max ${f.latencyMaxMs} ms; settled (staging empty, webhooks in) ${inv.settledAfterMs} ms after the load`);
  console.log(`  store: ${inv.records} records, ${inv.encFiles} .enc files, ${inv.stagingFiles} in staging`);
  console.log(`  only 2xx or the clean 503 with Retry-After (${f.uncleanFailures} other): ${yes(inv.held.cleanFailures)}`);
  console.log(`  every 2xx stored with its images (${inv.acknowledgedTotal}; missing or incomplete ${inv.acknowledgedMissing}): ${yes(inv.held.acknowledged)}`);
  console.log(`  no half records (${inv.halfRecords}): ${yes(inv.held.noHalfRecords)}; no orphan files (${inv.orphanFiles}, images without file ${inv.imagesWithoutFile}): ${yes(inv.held.noOrphans)}; staging empty: ${yes(inv.held.stagingEmpty)}`);
  console.log(`  a webhook for every 2xx (missing ${inv.webhooksMissing}): ${yes(inv.held.webhooksDelivered)}; same server process: ${yes(inv.held.sameProcess)}`);
}

/** A webhook endpoint of the demo project pointing at the receiver, written straight to the database. */
async function addWebhook(url: string, storageKey: Buffer, receiverUrl: string): Promise<void> {
  const handle = await openPostgresDatabase(url, 2);
  try {
    const [project] = await handle.db.select({ id: projects.id }).from(projects).limit(1);
    if (!project) throw new Error("no project in the database");
    await createEndpoint(handle.db, webhookSecretKey(storageKey), { projectId: project.id, url: `${receiverUrl}/hook`, events: ["verification.completed"], actor: "user:bench" });
  } finally {
    await handle.close();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).join(" ");
  console.log(`command: npx tsx --conditions=react-server bench/pg-restart.ts ${argv}`.trim());
  const reason = postgresUnavailableReason();
  if (reason) throw new Error(`cannot run: ${reason}`);
  const endpoint = args.endpoint === "native" ? "native" : args.endpoint === "verifik" ? "verifik" : null;
  if (!endpoint) throw new Error(`--endpoint must be verifik or native, not ${args.endpoint}`);
  const modes = parseModes(args.modes!);
  ensureBuild(args.rebuild!);
  if (!buildHasRoute(ENDPOINT_PATHS[endpoint])) throw new Error(`the build in .next does not serve ${ENDPOINT_PATHS[endpoint]}: run with --rebuild`);

  const { probe, reference } = await twoPeopleSelfies();
  const body = verificationBody(endpoint, probe, reference);
  const dataDir = await mkdtemp(join(tmpdir(), "vigil-pg-restart-"));
  const storageKey = randomBytes(32);
  const pg = await startTestPostgres({ durableCommits: true });
  const receiver = await startTestReceiver();
  let server: Server | null = null;
  try {
    server = await startServer({
      port: numberFlag("port"),
      dataDir,
      env: { DATABASE_URL: pg.url, VIGIL_STORAGE_KEY: storageKey.toString("base64"), VIGIL_DEMO_DATA: "0" },
    });
    if (!server.apiKey) throw new Error("the server printed no demo API key on its first start");
    await addWebhook(pg.url, storageKey, receiver.url);
    const client: Client = { baseUrl: server.baseUrl, apiKey: server.apiKey, agent: await keepAliveAgent(), timeoutMs: numberFlag("timeout") };
    const acknowledged: string[] = [];
    const first = await postVerification(client, endpoint, body, "pg-restart-first");
    if (first.error || !first.verificationId) throw new Error(`first request failed: ${first.error ?? "no verification id"}`);
    acknowledged.push(first.verificationId);
    console.log(`server ready in ${Math.round(server.startMs)} ms on PostgreSQL 15 (port ${pg.port}); POST ${ENDPOINT_PATHS[endpoint]} at ${numberFlag("rate")}/s; stop after ${numberFlag("before")} s, down ${numberFlag("outage")} s, then ${numberFlag("after")} s more; data dir ${dataDir}`);

    const restarts: Array<{ figures: RestartFigures; invariants: Invariants }> = [];
    for (const mode of modes) {
      const figures = await loadAndRestart(server, client, pg, endpoint, body, mode, acknowledged);
      const invariants = await checkInvariants(client, dataDir, acknowledged, receiver, figures);
      printRestart(figures, invariants);
      restarts.push({ figures, invariants });
    }
    const notable = notableLogLines(server.log);
    const crashes = server.log.filter((l) => /uncaughtException|unhandledRejection/i.test(l.text)).length;
    console.log(`\nnotable server log lines: ${notable.length} (uncaught exceptions or unhandled rejections: ${crashes})`);
    for (const line of notable.slice(0, 30)) console.log(`  [${line.stream} +${(line.atMs / 1000).toFixed(1)}s] ${line.text}`);
    const allHeld = crashes === 0 && restarts.every((r) => Object.values(r.invariants.held).every(Boolean));
    console.log(`all invariants held in all ${restarts.length} restarts: ${allHeld ? "yes" : "NO"}`);
    console.log(JSON.stringify({ command: `bench/pg-restart.ts ${argv}`.trim(), endpoint, rate: numberFlag("rate"), restarts, uncaught: crashes, notableLogLines: notable.length, allHeld }));
  } finally {
    if (server) await stopServer(server);
    await receiver.close();
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
