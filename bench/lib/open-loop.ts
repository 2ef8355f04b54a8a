/**
 * Open-loop load: request i is due at start + i/rate whatever happened to the earlier ones,
 * and its latency is counted from when it was due, not from when it went out. A slow server
 * (or a busy client event loop) therefore shows up as queueing in the figures instead of
 * silently lowering the offered rate (no coordinated omission).
 */
import type { CpuShare } from "./cpu";
import type { PostOutcome } from "./vigil-client";

export interface Outcome extends PostOutcome {
  index: number;
  /** ms after the start of the run when the request was due. */
  dueMs: number;
  /** How late the client sent it (event-loop lag), in ms. */
  sendLagMs: number;
  latencyMs: number;
}

export interface LoadSummary {
  rate: number;
  seconds: number;
  count: number;
  ok: number;
  errors: number;
  /** Error description -> count. */
  errorKinds: Record<string, number>;
  /** Over every request, failed ones included, in ms. */
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  /** Answers with 2xx per second, from the start to the last answer (below `rate` once a queue builds up). */
  goodput: number;
  /** Worst client send lag: above a few ms the client, not the server, limited the rate. */
  maxSendLagMs: number;
  /** CPU use during the run, when it was measured. */
  cpu?: CpuShare;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `rate * seconds` requests on the open-loop schedule and waits for all of them (each
 * is bounded by the client's time-out). `stopAfterMs` ends the schedule early (a crash test).
 */
export async function runOpenLoop(options: { rate: number; seconds: number; stopAfterMs?: number; send: (index: number) => Promise<PostOutcome> }): Promise<Outcome[]> {
  const { rate, seconds, send } = options;
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const inFlight: Promise<Outcome>[] = [];
  for (let index = 0; index < total; index++) {
    const dueMs = index * intervalMs;
    if (options.stopAfterMs !== undefined && dueMs >= options.stopAfterMs) break;
    const wait = start + dueMs - performance.now();
    if (wait > 0) await sleep(wait);
    const sendLagMs = performance.now() - (start + dueMs);
    inFlight.push(
      send(index).then((outcome) => ({ ...outcome, index, dueMs, sendLagMs, latencyMs: performance.now() - (start + dueMs) })),
    );
  }
  return Promise.all(inFlight);
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Figures of one run; latency percentiles cover every request, failed ones included. */
export function summarize(outcomes: Outcome[], rate: number, seconds: number, cpu?: CpuShare): LoadSummary {
  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  const errorKinds: Record<string, number> = {};
  for (const o of outcomes) if (o.error) errorKinds[o.error] = (errorKinds[o.error] ?? 0) + 1;
  const ok = outcomes.filter((o) => o.status !== null && o.status >= 200 && o.status < 300).length;
  const lastAnswerS = Math.max(seconds, ...outcomes.map((o) => (o.dueMs + o.latencyMs) / 1000));
  return {
    rate,
    seconds,
    count: outcomes.length,
    ok,
    errors: outcomes.length - ok,
    errorKinds,
    p50: round1(percentile(latencies, 50)),
    p90: round1(percentile(latencies, 90)),
    p95: round1(percentile(latencies, 95)),
    p99: round1(percentile(latencies, 99)),
    max: round1(latencies[latencies.length - 1] ?? NaN),
    goodput: round1(ok / lastAnswerS),
    maxSendLagMs: round1(Math.max(0, ...outcomes.map((o) => o.sendLagMs))),
    ...(cpu ? { cpu } : {}),
  };
}

/** p95 latency of the requests due in each `windowMs` slice of a run: shows warm-up transients and drift. */
export function p95ByWindow(outcomes: Outcome[], windowMs: number): number[] {
  const windows: number[][] = [];
  for (const o of outcomes) (windows[Math.floor(o.dueMs / windowMs)] ??= []).push(o.latencyMs);
  return Array.from(windows, (xs) => round1(percentile((xs ?? []).sort((a, b) => a - b), 95)));
}

/**
 * One table row per run: rate, count, errors, latency percentiles (ms), goodput, worst send lag
 * (ms), and the machine's CPU: server + load generator, and other processes (% of all cores).
 */
export function formatTable(rows: LoadSummary[], verdict?: (row: LoadSummary) => string): string {
  const head = ["rate/s", "count", "2xx", "errors", "p50", "p90", "p95", "p99", "max", "goodput/s", "send lag", "cpu ours%", "cpu others%", ...(verdict ? ["verdict"] : [])];
  const body = rows.map((r) =>
    [r.rate, r.count, r.ok, r.errors, r.p50, r.p90, r.p95, r.p99, r.max, r.goodput, r.maxSendLagMs, r.cpu?.watchedPct ?? "-", r.cpu?.othersPct ?? "-", ...(verdict ? [verdict(r)] : [])].map(String),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  return [head, ...body].map((row) => row.map((cell, i) => cell.padStart(widths[i])).join("  ")).join("\n");
}
