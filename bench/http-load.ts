/**
 * HTTP load on the production server (`next start` on a fresh data directory), open loop:
 * requests leave on a fixed schedule whatever the answers, so latency includes queueing.
 * Prints figures, then one JSON line with all of them; asserts nothing.
 *
 *   npx tsx --conditions=react-server bench/http-load.ts [--endpoint verifik|native] [--seconds 60]
 *       [--rate 10] [--step-seconds 20] [--start-rate 10] [--rate-step 5] [--max-rate 60]
 *       [--p95-limit 500] [--port 3950] [--timeout 30000] [--wait-quiet 120] [--rebuild] [--keep-data]
 *
 * Each request is one 1:1 verification of two ~1000x1500 JPEG selfies of different people
 * (liveness on the probe), on the Verifik-compatible compare-with-liveness route or the
 * native /api/v1/verifications.
 *  A. `--rate` requests/s for `--seconds`: count, errors (non-2xx or network), latency
 *     p50/p90/p95/p99/max, and p95 by time window (the server keeps speeding up for the
 *     first tens of seconds under load, so phase A also warms it up for phase B).
 *  B. Steps of `--step-seconds` from `--start-rate` up by `--rate-step`: the highest rate with
 *     p95 <= `--p95-limit` ms and no error; stops at the first step that fails.
 * Then, server side: the verifications listed through the native API (cursor pagination)
 * against the number of 2xx answers.
 *
 * The load generator shares the machine's CPU with the server: its send lag is printed so a
 * client-bound run shows, and so is the CPU other processes took meanwhile (the machine is
 * shared; a failed step disturbed by them is run again once the machine is quiet).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuShare, sampleCpu, waitForQuietMachine } from "./lib/cpu";
import type { CpuShare } from "./lib/cpu";
import { formatTable, p95ByWindow, runOpenLoop, summarize } from "./lib/open-loop";
import type { LoadSummary, Outcome } from "./lib/open-loop";
import { twoPeopleSelfies } from "./lib/selfies";
import { buildHasRoute, ensureBuild, groupPids, listeningPid, notableLogLines, rssMiB, startServer, stopServer } from "./lib/server";
import type { Server } from "./lib/server";
import { ENDPOINT_PATHS, keepAliveAgent, listAllVerifications, postVerification, verificationBody } from "./lib/vigil-client";
import type { Client, EncodedBody, Endpoint, PostOutcome } from "./lib/vigil-client";

const { values: args } = parseArgs({
  options: {
    endpoint: { type: "string", default: "verifik" },
    rate: { type: "string", default: "10" },
    seconds: { type: "string", default: "60" },
    "step-seconds": { type: "string", default: "20" },
    "start-rate": { type: "string", default: "10" },
    "rate-step": { type: "string", default: "5" },
    "max-rate": { type: "string", default: "60" },
    "p95-limit": { type: "string", default: "500" },
    port: { type: "string", default: "3950" },
    timeout: { type: "string", default: "30000" },
    "wait-quiet": { type: "string", default: "120" },
    rebuild: { type: "boolean", default: false },
    "keep-data": { type: "boolean", default: false },
  },
});

type NumericFlag = "rate" | "seconds" | "step-seconds" | "start-rate" | "rate-step" | "max-rate" | "p95-limit" | "port" | "timeout" | "wait-quiet";

function numberFlag(name: NumericFlag): number {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

function parseEndpoint(value: string): Endpoint {
  if (value !== "verifik" && value !== "native") throw new Error(`--endpoint must be verifik or native, not ${value}`);
  return value;
}

const WARMUP_REQUESTS = 5;
const PAUSE_BETWEEN_STEPS_MS = 2_000;
/** Other processes took more than this share of the machine during a run: its figures are not the server's. */
const DISTURBED_PCT = 10;

interface Target {
  server: Server;
  client: Client;
  endpoint: Endpoint;
  body: EncodedBody;
}

const isOk = (o: PostOutcome) => o.status !== null && o.status >= 200 && o.status < 300;
const passes = (row: LoadSummary, p95Limit: number) => row.errors === 0 && row.p95 <= p95Limit;
const isDisturbed = (row: LoadSummary) => (row.cpu?.othersPct ?? 0) > DISTURBED_PCT;
const verdict = (row: LoadSummary, p95Limit: number) => (passes(row, p95Limit) ? "pass" : "FAIL") + (isDisturbed(row) ? " (disturbed)" : "");

/** A few sequential requests first: they pay for lazy route loading, and a setup error shows here. */
async function warmUp(target: Target): Promise<PostOutcome[]> {
  const outcomes: PostOutcome[] = [];
  for (let i = 0; i < WARMUP_REQUESTS; i++) {
    const outcome = await postVerification(target.client, target.endpoint, target.body, `warmup-${i}`);
    if (outcome.error) throw new Error(`warm-up request failed: ${outcome.error}`);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** One open-loop run, with the machine's CPU meanwhile: ours (server group + this process) and others'. */
async function runMeasured(target: Target, rate: number, seconds: number, label: string): Promise<{ outcomes: Outcome[]; summary: LoadSummary }> {
  const watched = () => [process.pid, ...groupPids(target.server.groupId)];
  const before = sampleCpu(watched());
  const outcomes = await runOpenLoop({ rate, seconds, send: (i) => postVerification(target.client, target.endpoint, target.body, `${label}-${i}`) });
  const cpu: CpuShare = cpuShare(before, sampleCpu(watched()));
  return { outcomes, summary: summarize(outcomes, rate, seconds, cpu) };
}

async function phaseA(target: Target) {
  const rate = numberFlag("rate");
  const seconds = numberFlag("seconds");
  const { outcomes, summary } = await runMeasured(target, rate, seconds, "a");
  const windowSeconds = Math.max(1, Math.round(seconds / 12));
  const p95Windows = p95ByWindow(outcomes, windowSeconds * 1000);
  console.log(`\nPhase A: ${rate} requests/s for ${seconds} s (latency in ms, from when each request was due)`);
  console.log(formatTable([summary]));
  if (summary.errors) console.log(`errors: ${JSON.stringify(summary.errorKinds)}`);
  if (isDisturbed(summary)) console.log(`(disturbed: other processes took ${summary.cpu?.othersPct}% of the machine)`);
  console.log(`p95 by ${windowSeconds} s window: ${p95Windows.join(" ")}`);
  return { outcomes, summary: { ...summary, p95ByWindow: { windowSeconds, values: p95Windows } } };
}

/**
 * Phase B: steps up the rate until one step misses the p95 limit or has an error. A failed
 * step during which other processes were busy is run once more after the machine is quiet.
 */
async function phaseB(target: Target, p95Limit: number) {
  const stepSeconds = numberFlag("step-seconds");
  console.log(`\nPhase B: steps of ${stepSeconds} s, pass = p95 <= ${p95Limit} ms and no error`);
  const steps: LoadSummary[] = [];
  const outcomes: Outcome[] = [];
  let best: number | null = null;
  const runStep = async (rate: number, label: string) => {
    const step = await runMeasured(target, rate, stepSeconds, label);
    outcomes.push(...step.outcomes);
    steps.push(step.summary);
    const s = step.summary;
    console.log(`  step ${rate}/s: ${s.ok}/${s.count} 2xx, p95 ${s.p95} ms, max ${s.max} ms, other processes ${s.cpu?.othersPct}% CPU`);
    return s;
  };
  for (let rate = numberFlag("start-rate"); rate <= numberFlag("max-rate"); rate += numberFlag("rate-step")) {
    let summary = await runStep(rate, `b${rate}`);
    if (!passes(summary, p95Limit) && isDisturbed(summary)) {
      const quiet = await waitForQuietMachine(numberFlag("wait-quiet"));
      console.log(`  disturbed by other processes: waited ${quiet.waitedS} s (others now ${quiet.othersPct}%), running ${rate}/s again`);
      summary = await runStep(rate, `b${rate}-again`);
    }
    if (!passes(summary, p95Limit)) break;
    best = rate;
    await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_STEPS_MS));
  }
  console.log(formatTable(steps, (r) => verdict(r, p95Limit)));
  for (const step of steps) if (step.errors) console.log(`errors at ${step.rate}/s: ${JSON.stringify(step.errorKinds)}`);
  console.log(`best sustained rate: ${best ?? "none"} requests/s`);
  return { outcomes, steps, best };
}

/** Server side: the records listed through the API against the 2xx answers. */
async function countRecords(client: Client, outcomes: PostOutcome[]) {
  const records = await listAllVerifications(client);
  const listedIds = new Set(records.map((r) => r.id));
  const answeredIds = outcomes.filter(isOk).map((o) => o.verificationId);
  const counts = {
    listed: records.length,
    answered2xx: answeredIds.length,
    equal: records.length === answeredIds.length,
    answeredButNotListed: answeredIds.filter((id) => id === null || !listedIds.has(id)).length,
    // A request the client gave up on may still have been stored.
    clientTimeouts: outcomes.filter((o) => o.error === "timeout").length,
  };
  console.log(
    `\nserver side: ${counts.listed} verifications listed, ${counts.answered2xx} 2xx answers: ${counts.equal ? "equal" : "DIFFERENT"}; ` +
      `${counts.answeredButNotListed} answered ids not listed; ${counts.clientTimeouts} client time-outs`,
  );
  return counts;
}

function reportServerLog(server: Server, pid: number | null) {
  const rssEndMiB = rssMiB(pid);
  const notable = notableLogLines(server.log);
  console.log(`server RSS at the end: ${rssEndMiB} MiB; notable server log lines: ${notable.length}`);
  for (const line of notable.slice(0, 40)) console.log(`  [${line.stream} +${(line.atMs / 1000).toFixed(1)}s] ${line.text}`);
  return { rssEndMiB, notableLogLines: notable.length };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).join(" ");
  console.log(`command: npx tsx --conditions=react-server bench/http-load.ts ${argv}`.trim());
  const endpoint = parseEndpoint(args.endpoint!);
  const p95Limit = numberFlag("p95-limit");
  ensureBuild(args.rebuild!);
  if (!buildHasRoute(ENDPOINT_PATHS[endpoint])) throw new Error(`the build in .next does not serve ${ENDPOINT_PATHS[endpoint]}: run with --rebuild`);

  const { probe, reference } = await twoPeopleSelfies();
  const body = verificationBody(endpoint, probe, reference);
  const quiet = await waitForQuietMachine(numberFlag("wait-quiet"));
  console.log(`machine before the run: other processes at ${quiet.othersPct}% CPU (waited ${quiet.waitedS} s for < 15%)`);
  const dataDir = await mkdtemp(join(tmpdir(), "vigil-http-load-"));
  let server: Server | null = null;
  try {
    server = await startServer({ port: numberFlag("port"), dataDir });
    if (!server.apiKey) throw new Error("the server printed no demo API key on its first start");
    const pid = listeningPid(server);
    const client: Client = { baseUrl: server.baseUrl, apiKey: server.apiKey, agent: await keepAliveAgent(), timeoutMs: numberFlag("timeout") };
    const target: Target = { server, client, endpoint, body };
    console.log(`server: pid ${pid}, ready in ${Math.round(server.startMs)} ms, RSS ${rssMiB(pid)} MiB; data dir ${dataDir}`);
    console.log(`request: POST ${ENDPOINT_PATHS[endpoint]}, body ${Math.round(body.byteLength / 1024)} KiB (JPEGs of ${Math.round(probe.length / 1024)} and ${Math.round(reference.length / 1024)} KiB)`);

    const warm = await warmUp(target);
    const a = await phaseA(target);
    const b = await phaseB(target, p95Limit);
    const records = await countRecords(client, [...warm, ...a.outcomes, ...b.outcomes]);
    const log = reportServerLog(server, pid);
    console.log(
      JSON.stringify({
        command: `bench/http-load.ts ${argv}`.trim(),
        endpoint,
        bodyKiB: Math.round(body.byteLength / 1024),
        othersCpuPctBefore: quiet.othersPct,
        serverStartMs: Math.round(server.startMs),
        phaseA: a.summary,
        phaseB: { stepSeconds: numberFlag("step-seconds"), p95LimitMs: p95Limit, steps: b.steps, bestRate: b.best },
        records,
        ...log,
      }),
    );
  } finally {
    if (server) await stopServer(server);
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
