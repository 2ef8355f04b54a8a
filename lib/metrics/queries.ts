import "server-only";
import { and, count, eq, gte, lte, sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Database } from "@/db/client";
import { reviewCases, verifications } from "@/db/schema";
import { actorNames, queueSummary } from "@/lib/review/queue";
import { rowsOf } from "@/db/rows";

/**
 * Operational metrics for the console's metrics page: SQL aggregates over a window of whole
 * UTC days ending now, for one project or all of them.
 */

const DAY_MS = 86_400_000;

/** Days shown for verifications, bands, the queue and overturns. */
export const METRICS_DAYS = 30;
/** Days shown for reviewer throughput. */
export const THROUGHPUT_DAYS = 14;

export const BANDS = ["approve", "review", "reject", "none"] as const;
/** The automatic band; `none` when the verification did not finish (a skipped check). */
export type BandKey = (typeof BANDS)[number];
export const DECISIONS = ["approve", "reject", "resubmit"] as const;
export type DecisionKey = (typeof DECISIONS)[number];

export interface MetricsScope {
  /** One project, or every project when absent. */
  projectId?: string | null;
  /** The end of the window (default: now). */
  now?: Date;
}

/** `YYYY-MM-DD` of a UTC day. */
const dayOf = (t: Date) => t.toISOString().slice(0, 10);

/** The window's days, oldest first: `days` UTC dates ending with today's. */
export function windowDays(now: Date, days: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => dayOf(new Date(today - (days - 1 - i) * DAY_MS)));
}

/** Midnight UTC starting the window's first day. */
export function windowStart(now: Date, days: number): Date {
  return new Date(`${windowDays(now, days)[0]}T00:00:00.000Z`);
}

/** A column's UTC day as `YYYY-MM-DD`, to group by. */
const utcDay = (column: AnyPgColumn) => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')`;

const num = (value: unknown): number => Number(value ?? 0);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export type DailyBands = { day: string } & Record<BandKey, number>;

/** Verifications created per UTC day, split by automatic band, every day of the window present. */
export async function verificationsPerDay(db: Database, scope: MetricsScope = {}, days = METRICS_DAYS): Promise<DailyBands[]> {
  const now = scope.now ?? new Date();
  const rows = await db
    .select({ day: utcDay(verifications.createdAt), band: verifications.band, n: count() })
    .from(verifications)
    .where(
      and(
        gte(verifications.createdAt, windowStart(now, days)),
        lte(verifications.createdAt, now),
        scope.projectId ? eq(verifications.projectId, scope.projectId) : undefined,
      ),
    )
    .groupBy(sql`1`, verifications.band);
  const byDay = new Map(windowDays(now, days).map((day) => [day, { day, approve: 0, review: 0, reject: 0, none: 0 } as DailyBands]));
  for (const row of rows) {
    const entry = byDay.get(row.day);
    const band = (BANDS as readonly string[]).includes(row.band ?? "") ? (row.band as BandKey) : "none";
    if (entry) entry[band] += row.n;
  }
  return [...byDay.values()];
}

export interface BandRates {
  total: number;
  counts: Record<BandKey, number>;
  /** Shares of `total`, 0-1; all 0 when there were no verifications. */
  rates: Record<BandKey, number>;
}

/** Automatic approve / review / reject rates over the days given. */
export function bandRates(days: DailyBands[]): BandRates {
  const counts = { approve: 0, review: 0, reject: 0, none: 0 };
  for (const d of days) for (const band of BANDS) counts[band] += d[band];
  const total = BANDS.reduce((sum, band) => sum + counts[band], 0);
  const rates = Object.fromEntries(BANDS.map((band) => [band, total ? counts[band] / total : 0])) as Record<BandKey, number>;
  return { total, counts, rates };
}

export interface QueueMetrics {
  /** Undecided cases now (open, claimed or awaiting a second reviewer). */
  waiting: number;
  claimed: number;
  awaitingConfirmation: number;
  overdue: number;
  oldestSince: Date | null;
  /** Age of the oldest undecided case; null when nothing waits. */
  oldestWaitingSeconds: number | null;
  /**
   * Cases waiting at the end of each day of the window (now, for today), rebuilt from the
   * cases' times: opened at or before that moment and not decided by then. A reopened case
   * counts from its reopening, its earlier wait is not kept.
   */
  history: Array<{ day: string; waiting: number }>;
}

export async function queueMetrics(db: Database, scope: MetricsScope = {}, days = METRICS_DAYS): Promise<QueueMetrics> {
  const now = scope.now ?? new Date();
  const summary = await queueSummary(db, scope.projectId ? { projectId: scope.projectId } : {});
  const dayList = windowDays(now, days);
  const instants = dayList.map((day, i) => (i === dayList.length - 1 ? now : new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS)));
  const points = sql.join(
    instants.map((t, i) => sql`(${i}::int, ${t.toISOString()}::timestamptz)`),
    sql`, `,
  );
  const project = scope.projectId ? sql`and ${reviewCases.projectId} = ${scope.projectId}` : sql``;
  const result = await db.execute(sql`
    select p.i as i, count(${reviewCases.id})::int as waiting
    from (values ${points}) as p(i, t)
    left join ${reviewCases}
      on ${reviewCases.createdAt} <= p.t and (${reviewCases.decidedAt} is null or ${reviewCases.decidedAt} > p.t) ${project}
    group by p.i`);
  const waitingAt = new Map(rowsOf<{ i: number; waiting: number }>(result).map((r) => [Number(r.i), Number(r.waiting)]));
  return {
    waiting: summary.waiting,
    claimed: summary.claimed,
    awaitingConfirmation: summary.awaitingConfirmation,
    overdue: summary.overdue,
    oldestSince: summary.oldestSince,
    oldestWaitingSeconds: summary.oldestSince ? Math.max(0, Math.round((now.getTime() - summary.oldestSince.getTime()) / 1000)) : null,
    history: dayList.map((day, i) => ({ day, waiting: waitingAt.get(i) ?? 0 })),
  };
}

/**
 * Who made a decision final: the reviewer who decided, or in a four-eyes case the second
 * reviewer who confirmed or turned down the proposal (lib/review/queue.ts decideCase).
 */
const finalReviewer = sql<string>`coalesce(${reviewCases.confirmedBy}, ${reviewCases.decidedBy})`;
/** Seconds from the last claim of a case to its final decision: the time a reviewer spent on it. */
const decisionSeconds = sql`extract(epoch from (${reviewCases.decidedAt} - ${reviewCases.claimedAt}))`;
/** Seconds from a case's opening (or reopening) to its final decision. */
const queueSeconds = sql`extract(epoch from (${reviewCases.decidedAt} - ${reviewCases.createdAt}))`;
const medianOf = (seconds: SQL, when?: SQL) => sql<number | null>`percentile_cont(0.5) within group (order by ${seconds})${when ? sql` filter (where ${when})` : sql``}`;

function decidedIn(scope: MetricsScope, now: Date, days: number): SQL {
  return and(
    eq(reviewCases.status, "decided"),
    gte(reviewCases.decidedAt, windowStart(now, days)),
    lte(reviewCases.decidedAt, now),
    scope.projectId ? eq(reviewCases.projectId, scope.projectId) : undefined,
  )!;
}

export interface ReviewerThroughput {
  /** user:<id> */
  actor: string;
  /** The reviewer's e-mail, or the actor when the user is gone. */
  name: string;
  /** Final decisions per day of `days`. */
  perDay: number[];
  decisions: number;
  medianDecisionSeconds: number | null;
}

export interface ThroughputMetrics {
  days: string[];
  /** Most decisions first. */
  reviewers: ReviewerThroughput[];
  decisions: number;
  /** Median over the window's final decisions of claimedAt -> decidedAt. */
  medianDecisionSeconds: number | null;
  /** Median over the window's final decisions of createdAt -> decidedAt. */
  medianQueueSeconds: number | null;
}

/**
 * Final decisions per reviewer per UTC day, with median decision and queue times. A case
 * counts once, when it was last decided; a reopened case's earlier decision is in the audit
 * trail, not here.
 */
export async function reviewerThroughput(db: Database, scope: MetricsScope = {}, days = THROUGHPUT_DAYS): Promise<ThroughputMetrics> {
  const now = scope.now ?? new Date();
  const where = decidedIn(scope, now, days);
  const perDay = await db
    .select({ actor: finalReviewer, day: utcDay(reviewCases.decidedAt), n: count() })
    .from(reviewCases)
    .where(where)
    .groupBy(sql`1`, sql`2`);
  const perReviewer = await db
    .select({ actor: finalReviewer, median: medianOf(decisionSeconds, sql`${reviewCases.claimedAt} is not null`) })
    .from(reviewCases)
    .where(where)
    .groupBy(sql`1`);
  const [overall] = await db
    .select({ n: count(), decision: medianOf(decisionSeconds, sql`${reviewCases.claimedAt} is not null`), queue: medianOf(queueSeconds) })
    .from(reviewCases)
    .where(where);
  const dayList = windowDays(now, days);
  const names = await actorNames(db, perReviewer.map((r) => r.actor));
  const reviewers = perReviewer
    .map((r): ReviewerThroughput => {
      const counts = dayList.map((day) => num(perDay.find((d) => d.actor === r.actor && d.day === day)?.n));
      return { actor: r.actor ?? "unknown", name: (r.actor && names[r.actor]) || r.actor || "unknown", perDay: counts, decisions: counts.reduce((a, b) => a + b, 0), medianDecisionSeconds: numOrNull(r.median) };
    })
    .sort((a, b) => b.decisions - a.decisions || a.name.localeCompare(b.name));
  return { days: dayList, reviewers, decisions: num(overall?.n), medianDecisionSeconds: numOrNull(overall?.decision), medianQueueSeconds: numOrNull(overall?.queue) };
}

export interface OverturnMetrics {
  /** Final decisions in the window by the verification's automatic band, then by decision. */
  byBand: Record<BandKey, Record<DecisionKey, number>>;
  /** Final approve / reject decisions on cases whose automatic band was approve or reject. */
  eligible: number;
  /** Of those, the ones that contradict the band (approved a reject, rejected an approve). */
  overturned: number;
  /** overturned / eligible; null when nothing was eligible. */
  rate: number | null;
}

/**
 * How often reviewers overturn the automatic band. An overturn is a final decision that
 * contradicts the automatic band: approving a verification the checks rejected, or rejecting
 * one they approved. Only final decisions count (an approval proposed under four eyes and
 * turned down is a reject, agreeing with the checks). It is measured on cases whose automatic
 * band was approve or reject, which reach a reviewer when a decided verification is reopened,
 * and only over approve and reject decisions: asking for a resubmission overturns nothing.
 * Review-band cases have no automatic verdict to overturn; `byBand.review` gives their split.
 */
export async function overturnMetrics(db: Database, scope: MetricsScope = {}, days = METRICS_DAYS): Promise<OverturnMetrics> {
  const now = scope.now ?? new Date();
  const rows = await db
    .select({ band: verifications.band, decision: reviewCases.decision, n: count() })
    .from(reviewCases)
    .innerJoin(verifications, eq(verifications.id, reviewCases.verificationId))
    .where(decidedIn(scope, now, days))
    .groupBy(verifications.band, reviewCases.decision);
  const byBand = Object.fromEntries(BANDS.map((band) => [band, { approve: 0, reject: 0, resubmit: 0 }])) as OverturnMetrics["byBand"];
  for (const row of rows) {
    const band = (BANDS as readonly string[]).includes(row.band ?? "") ? (row.band as BandKey) : "none";
    if ((DECISIONS as readonly string[]).includes(row.decision ?? "")) byBand[band][row.decision as DecisionKey] += row.n;
  }
  const eligible = byBand.approve.approve + byBand.approve.reject + byBand.reject.approve + byBand.reject.reject;
  const overturned = byBand.approve.reject + byBand.reject.approve;
  return { byBand, eligible, overturned, rate: eligible ? overturned / eligible : null };
}

export interface MetricsDashboard {
  now: Date;
  projectId: string | null;
  days: string[];
  verifications: DailyBands[];
  rates: BandRates;
  queue: QueueMetrics;
  throughput: ThroughputMetrics;
  overturns: OverturnMetrics;
}

/** Everything the metrics page shows, for one project or all. */
export async function getMetricsDashboard(db: Database, scope: MetricsScope = {}): Promise<MetricsDashboard> {
  const now = scope.now ?? new Date();
  const at = { projectId: scope.projectId ?? null, now };
  const verificationsByDay = await verificationsPerDay(db, at);
  const [queue, throughput, overturns] = await Promise.all([queueMetrics(db, at), reviewerThroughput(db, at), overturnMetrics(db, at)]);
  return { now, projectId: at.projectId, days: verificationsByDay.map((d) => d.day), verifications: verificationsByDay, rates: bandRates(verificationsByDay), queue, throughput, overturns };
}
