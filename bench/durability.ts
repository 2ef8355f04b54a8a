/**
 * Crash durability of the production server on embedded PGlite: under open-loop load, kill -9
 * the process serving the port, restart on the same data directory, and check what survived.
 * Prints figures and whether each invariant held, then one JSON line; asserts nothing.
 *
 *   npx tsx --conditions=react-server bench/durability.ts [--endpoint verifik|native] [--cycles 3]
 *       [--rate 10] [--kill-after 10] [--port 3960] [--timeout 30000] [--rebuild] [--keep-data]
 *
 * Invariants, checked after every restart over everything stored so far:
 *  - acknowledged: every request answered 2xx has its record (GET /api/v1/verifications/:id
 *    is 200) and each of its images is served (200) through its signed URL;
 *  - no half record: every listed verification has both its images (probe and reference) served;
 *  - no orphan: the .enc files under <data>/store/images are exactly the images of the records
 *    (count and ids), and <data>/store/staging holds no file once the server has started.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { runOpenLoop } from "./lib/open-loop";
import type { Outcome } from "./lib/open-loop";
import { twoPeopleSelfies } from "./lib/selfies";
import { buildHasRoute, ensureBuild, killServerHard, notableLogLines, startServer, stopServer } from "./lib/server";
import type { LogLine, Server } from "./lib/server";
import { filesUnder } from "./lib/files";
import { ENDPOINT_PATHS, fetchImageStatus, getVerification, keepAliveAgent, listAllVerifications, mapLimited, postVerification, verificationBody } from "./lib/vigil-client";
import type { Client, EncodedBody, Endpoint, VerificationView } from "./lib/vigil-client";

const { values: args } = parseArgs({
  options: {
    endpoint: { type: "string", default: "verifik" },
    cycles: { type: "string", default: "3" },
    rate: { type: "string", default: "10" },
    "kill-after": { type: "string", default: "10" },
    port: { type: "string", default: "3960" },
    timeout: { type: "string", default: "30000" },
    rebuild: { type: "boolean", default: false },
    "keep-data": { type: "boolean", default: false },
  },
});

/** Requests keep coming this long after the kill, so some meet a dead port. */
const LOAD_AFTER_KILL_SECONDS = 2;
const CHECK_CONCURRENCY = 4;
/** Every request carries a probe and one reference, so every record stores two images. */
const IMAGES_PER_RECORD = 2;

function numberFlag(name: "cycles" | "rate" | "kill-after" | "port" | "timeout"): number {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

function parseEndpoint(value: string): Endpoint {
  if (value !== "verifik" && value !== "native") throw new Error(`--endpoint must be verifik or native, not ${value}`);
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isOk = (o: Outcome) => o.status !== null && o.status >= 200 && o.status < 300;

interface LoadUnderKill {
  sent: number;
  acknowledged: string[];
  /** 2xx answers that named no verification id (cannot be checked; should be 0). */
  acknowledgedWithoutId: number;
  /** Failed while the server was up: should be 0. */
  failedBeforeKill: number;
  /** Due before the kill, cut by it (connection reset). */
  cutByKill: number;
  /** Due after the kill (connection refused). */
  sentAfterKill: number;
  errorKinds: Record<string, number>;
  killedPid: number;
  killAtMs: number;
}

/** Open-loop load; the serving process is killed with SIGKILL `killAfter` seconds in. */
async function loadAndKill(server: Server, client: Client, endpoint: Endpoint, body: EncodedBody, cycle: number): Promise<LoadUnderKill> {
  const rate = numberFlag("rate");
  const killAfterMs = numberFlag("kill-after") * 1000;
  const loadStart = performance.now();
  const load = runOpenLoop({
    rate,
    seconds: killAfterMs / 1000 + LOAD_AFTER_KILL_SECONDS,
    send: (i) => postVerification(client, endpoint, body, `crash${cycle}-${i}`),
  });
  await sleep(killAfterMs);
  const killAtMs = performance.now() - loadStart;
  const { pid } = await killServerHard(server);
  const outcomes = await load;
  const errorKinds: Record<string, number> = {};
  for (const o of outcomes) if (o.error) errorKinds[o.error] = (errorKinds[o.error] ?? 0) + 1;
  const failed = outcomes.filter((o) => !isOk(o));
  return {
    sent: outcomes.length,
    acknowledged: outcomes.filter(isOk).flatMap((o) => (o.verificationId ? [o.verificationId] : [])),
    acknowledgedWithoutId: outcomes.filter((o) => isOk(o) && !o.verificationId).length,
    failedBeforeKill: failed.filter((o) => o.dueMs + o.latencyMs < killAtMs).length,
    cutByKill: failed.filter((o) => o.dueMs < killAtMs && o.dueMs + o.latencyMs >= killAtMs).length,
    sentAfterKill: failed.filter((o) => o.dueMs >= killAtMs).length,
    errorKinds,
    killedPid: pid,
    killAtMs: Math.round(killAtMs),
  };
}

interface Invariants {
  records: number;
  imagesOfRecords: number;
  encFiles: number;
  stagingFiles: number;
  acknowledgedTotal: number;
  acknowledgedMissing: number;
  acknowledgedWithUnservedImages: number;
  halfRecords: number;
  orphanFiles: number;
  imagesWithoutFile: number;
  /** Stored although the client saw no 2xx (committed just before the kill): allowed. */
  storedWithoutAnswer: number;
  held: { acknowledged: boolean; noHalfRecords: boolean; noOrphans: boolean; stagingEmpty: boolean };
}

/** Every invariant of the header comment, over everything stored so far. */
async function checkInvariants(client: Client, dataDir: string, acknowledged: string[], acknowledgedWithoutId: number): Promise<Invariants> {
  const records = await listAllVerifications(client);
  const ackedSet = new Set(acknowledged);
  // Whole: both images listed and both served.
  const whole = async (record: VerificationView) =>
    record.images.length === IMAGES_PER_RECORD && (await Promise.all(record.images.map((i) => fetchImageStatus(client, i.url)))).every((s) => s === 200);

  const ackedChecks = await mapLimited(acknowledged, CHECK_CONCURRENCY, async (id) => {
    const { status, record } = await getVerification(client, id);
    return { found: status === 200 && record !== null, served: record !== null && (await whole(record)) };
  });
  const others = records.filter((r) => !ackedSet.has(r.id));
  const othersServed = await mapLimited(others, CHECK_CONCURRENCY, whole);

  const encFiles = (await filesUnder(join(dataDir, "store", "images"))).filter((f) => f.endsWith(".enc"));
  const fileIds = new Set(encFiles.map((f) => basename(f, ".enc")));
  const imageIds = new Set(records.flatMap((r) => r.images.map((i) => i.id)));
  const stagingFiles = (await filesUnder(join(dataDir, "store", "staging"))).length;

  const acknowledgedMissing = ackedChecks.filter((c) => !c.found).length;
  const acknowledgedWithUnservedImages = ackedChecks.filter((c) => c.found && !c.served).length;
  const halfRecords = acknowledgedWithUnservedImages + othersServed.filter((ok) => !ok).length;
  const orphanFiles = [...fileIds].filter((id) => !imageIds.has(id)).length;
  const imagesWithoutFile = [...imageIds].filter((id) => !fileIds.has(id)).length;
  const imagesOfRecords = records.reduce((n, r) => n + r.images.length, 0);
  return {
    records: records.length,
    imagesOfRecords,
    encFiles: encFiles.length,
    stagingFiles,
    acknowledgedTotal: acknowledged.length,
    acknowledgedMissing,
    acknowledgedWithUnservedImages,
    halfRecords,
    orphanFiles,
    imagesWithoutFile,
    storedWithoutAnswer: others.length,
    held: {
      acknowledged: acknowledgedMissing === 0 && acknowledgedWithUnservedImages === 0 && acknowledgedWithoutId === 0,
      noHalfRecords: halfRecords === 0,
      noOrphans: orphanFiles === 0 && imagesWithoutFile === 0 && encFiles.length === imagesOfRecords,
      stagingEmpty: stagingFiles === 0,
    },
  };
}

/** "vigil: recovered staged images: 2 published, 2 discarded", when the restart printed it. */
function recoveryLine(log: LogLine[]): string | null {
  return log.find((l) => l.text.includes("recovered staged images"))?.text.replace(/^vigil: /, "") ?? null;
}

function printCycle(cycle: number, load: LoadUnderKill, restartMs: number, recovery: string | null, inv: Invariants): void {
  const yes = (b: boolean) => (b ? "held" : "VIOLATED");
  console.log(`\ncycle ${cycle}: killed pid ${load.killedPid} at ${(load.killAtMs / 1000).toFixed(1)} s; restarted in ${Math.round(restartMs)} ms; ${recovery ?? "no staged images to recover"}`);
  console.log(`  requests: ${load.sent} sent, ${load.acknowledged.length + load.acknowledgedWithoutId} 2xx (${load.acknowledgedWithoutId} without id), ${load.failedBeforeKill} failed before the kill, ${load.cutByKill} cut by the kill, ${load.sentAfterKill} sent to the dead port  ${JSON.stringify(load.errorKinds)}`);
  console.log(`  store: ${inv.records} records, ${inv.imagesOfRecords} images in records, ${inv.encFiles} .enc files, ${inv.stagingFiles} files in staging; ${inv.storedWithoutAnswer} records stored without a 2xx answer`);
  console.log(`  every 2xx stored and served (${inv.acknowledgedTotal}; missing ${inv.acknowledgedMissing}, images not served ${inv.acknowledgedWithUnservedImages}): ${yes(inv.held.acknowledged)}`);
  console.log(`  no half records (${inv.halfRecords}): ${yes(inv.held.noHalfRecords)}`);
  console.log(`  no orphan image files (orphans ${inv.orphanFiles}, images without file ${inv.imagesWithoutFile}): ${yes(inv.held.noOrphans)}`);
  console.log(`  staging empty after restart: ${yes(inv.held.stagingEmpty)}`);
}

interface CycleReport {
  cycle: number;
  load: Omit<LoadUnderKill, "acknowledged"> & { acknowledged: number };
  restartMs: number;
  recovery: string | null;
  invariants: Invariants;
}

/** What every cycle adds to: the server of the moment, every start's log, every 2xx so far. */
interface Run {
  server: Server;
  client: Client;
  endpoint: Endpoint;
  body: EncodedBody;
  logs: LogLine[][];
  acknowledged: string[];
  acknowledgedWithoutId: number;
}

/** Load, kill -9, restart on the same data directory, check. */
async function runCycle(run: Run, cycle: number): Promise<CycleReport> {
  const load = await loadAndKill(run.server, run.client, run.endpoint, run.body, cycle);
  run.acknowledged.push(...load.acknowledged);
  run.acknowledgedWithoutId += load.acknowledgedWithoutId;
  run.server = await startServer({ port: run.server.port, dataDir: run.server.dataDir });
  run.logs.push(run.server.log);
  const recovery = recoveryLine(run.server.log);
  const invariants = await checkInvariants(run.client, run.server.dataDir, run.acknowledged, run.acknowledgedWithoutId);
  printCycle(cycle, load, run.server.startMs, recovery, invariants);
  return { cycle, load: { ...load, acknowledged: load.acknowledged.length }, restartMs: Math.round(run.server.startMs), recovery, invariants };
}

function reportLogs(logs: LogLine[][]): number {
  const notable = logs.flatMap((log, start) => notableLogLines(log).map((line) => ({ ...line, start })));
  console.log(`\nnotable server log lines (all ${logs.length} starts): ${notable.length}`);
  for (const line of notable.slice(0, 40)) console.log(`  [start ${line.start}, ${line.stream} +${(line.atMs / 1000).toFixed(1)}s] ${line.text}`);
  return notable.length;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).join(" ");
  console.log(`command: npx tsx --conditions=react-server bench/durability.ts ${argv}`.trim());
  const endpoint = parseEndpoint(args.endpoint!);
  ensureBuild(args.rebuild!);
  if (!buildHasRoute(ENDPOINT_PATHS[endpoint])) throw new Error(`the build in .next does not serve ${ENDPOINT_PATHS[endpoint]}: run with --rebuild`);

  const { probe, reference } = await twoPeopleSelfies();
  const body = verificationBody(endpoint, probe, reference);
  const dataDir = await mkdtemp(join(tmpdir(), "vigil-durability-"));
  let firstServer: Server | null = null;
  let run: Run | null = null;
  try {
    const server = (firstServer = await startServer({ port: numberFlag("port"), dataDir }));
    if (!server.apiKey) throw new Error("the server printed no demo API key on its first start");
    const client: Client = { baseUrl: server.baseUrl, apiKey: server.apiKey, agent: await keepAliveAgent(), timeoutMs: numberFlag("timeout") };
    run = { server, client, endpoint, body, logs: [server.log], acknowledged: [], acknowledgedWithoutId: 0 };
    const first = await postVerification(run.client, endpoint, body, "durability-first");
    if (first.error || !first.verificationId) throw new Error(`first request failed: ${first.error ?? "no verification id"}`);
    run.acknowledged.push(first.verificationId);
    const firstStartMs = Math.round(server.startMs);
    console.log(`server ready in ${firstStartMs} ms; POST ${ENDPOINT_PATHS[endpoint]} at ${numberFlag("rate")}/s, kill -9 after ${numberFlag("kill-after")} s, ${numberFlag("cycles")} cycles; data dir ${dataDir}`);

    const cycles: CycleReport[] = [];
    for (let cycle = 1; cycle <= numberFlag("cycles"); cycle++) cycles.push(await runCycle(run, cycle));
    const notableLines = reportLogs(run.logs);
    const allHeld = cycles.every((c) => Object.values(c.invariants.held).every(Boolean));
    console.log(`all invariants held in all ${cycles.length} cycles: ${allHeld ? "yes" : "NO"}`);
    console.log(JSON.stringify({ command: `bench/durability.ts ${argv}`.trim(), endpoint, firstStartMs, cycles, allHeld, notableLogLines: notableLines }));
  } finally {
    const current = run?.server ?? firstServer;
    if (current) await stopServer(current);
    if (!args["keep-data"]) await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
