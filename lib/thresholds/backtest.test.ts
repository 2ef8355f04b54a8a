import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { reviewCases, verifications } from "@/db/schema";
import { testBackends } from "@/db/testing/backends";
import { createProject } from "@/lib/auth/api-keys";
import { newId } from "@/lib/ids";
import { errorCodeOf } from "@/lib/testing/errors";
import type { Band, CheckKind, PolicyBands } from "@/lib/verification/policy";
import { bandFor, DEFAULT_BANDS } from "@/lib/verification/policy";
import type { CheckResult } from "@/lib/verification/service";
import { decideOverall } from "@/lib/verification/service";
import type { BacktestResult, OverallBand } from "./backtest";
import { BANDS, backtestPolicy, HISTOGRAM_BINS, OVERALL_BANDS } from "./backtest";
import { POLICY_CHECKS, savePolicy } from "./policies";


/** The active policy the seeds are banded against (saved as v2), and the proposal. */
const ACTIVE: PolicyBands = { ...DEFAULT_BANDS, face_match: { approve: 0.58, review: 0.4 } };
const PROPOSED: PolicyBands = {
  face_match: { approve: 0.5, review: 0.45 },
  selfie_liveness: { approve: 0.7, review: 0.3 },
  document_liveness: { approve: 0.5, review: 0.25 },
};

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Scores that sit exactly on a limit of either policy or on a bin edge, plus the extremes. */
const EDGES = [0.58, 0.4, 0.5, 0.45, 0.6, 0.7, 0.3, 0.25, 0.55, 1, 0, -0.1, 0.02, 0.98];

interface Seed {
  checks: CheckResult[];
  /** The reviewer's final decision; resubmit and undecided are no label. */
  review: { status: "open" | "decided"; decision: "approve" | "reject" | "resubmit" | null } | null;
  daysAgo: number;
}

function check(kind: CheckKind | "duplicates", score: number | null, policy: PolicyBands): CheckResult {
  const band = score === null ? null : kind === "duplicates" ? "review" : bandFor(score, policy[kind]);
  return { check: kind as CheckKind, status: score === null ? "skipped" : "done", score, band, model: { id: "m", version: "1" }, details: {} };
}

function makeSeeds(n: number): Seed[] {
  const random = prng(20240605);
  const pick = <T,>(items: T[]) => items[Math.floor(random() * items.length)];
  const score = (low: number) => (random() < 0.25 ? pick(EDGES) : Math.round((low + random() * (1 - low)) * 10_000) / 10_000);
  return Array.from({ length: n }, (_, i) => {
    // Older rows were stored under the defaults (v1); their stored bands are not what counts.
    const policy = i % 3 === 0 ? DEFAULT_BANDS : ACTIVE;
    const shape = random();
    const checks =
      shape < 0.3
        ? [check("face_match", score(-0.2), policy)]
        : shape < 0.45
          ? [check("selfie_liveness", score(0), policy)]
          : shape < 0.6
            ? [check("face_match", score(-0.2), policy), check("selfie_liveness", null, policy)]
            : shape < 0.65
              ? [check("face_match", score(-0.2), policy), check("duplicates", 0.9, policy)]
              : [check("face_match", score(-0.2), policy), check("selfie_liveness", score(0), policy)];
    const r = random();
    const review: Seed["review"] =
      r < 0.2 ? { status: "decided", decision: "approve" } : r < 0.38 ? { status: "decided", decision: "reject" } : r < 0.45 ? { status: "decided", decision: "resubmit" } : r < 0.55 ? { status: "open", decision: null } : null;
    return { checks, review, daysAgo: i % 10 === 0 ? 100 : random() * 20 };
  });
}

async function insertSeeds(db: DatabaseHandle["db"], projectId: string, seeds: Seed[]): Promise<void> {
  const rows = seeds.map((seed, i) => {
    const id = newId("ver");
    const overall = decideOverall(seed.checks);
    const createdAt = new Date(Date.now() - seed.daysAgo * 86_400_000);
    return {
      v: {
        id,
        projectId,
        type: "face_match_liveness",
        source: "native",
        status: overall.status,
        band: overall.band,
        checks: seed.checks,
        policyVersion: i % 3 === 0 ? 1 : 2,
        timings: {},
        requestId: `req-${i}`,
        requestHash: "h",
        createdAt,
      },
      c: seed.review ? { id: newId("case"), verificationId: id, projectId, status: seed.review.status, decision: seed.review.decision, reasons: ["face_match"], createdAt } : null,
    };
  });
  await db.insert(verifications).values(rows.map((r) => r.v));
  const cases = rows.flatMap((r) => (r.c ? [r.c] : []));
  if (cases.length) await db.insert(reviewCases).values(cases);
}

// ---- The independent count: plain SQL over the stored rows, one question at a time. ----

/** SQL: the stored check `e` is in `band` under `bands`, written as score ranges on exact decimals. */
function inBand(bands: PolicyBands, band: Band): SQL {
  const score = sql`(e ->> 'score')::numeric`;
  const perCheck = POLICY_CHECKS.map((kind) => {
    const { approve, review } = bands[kind];
    const range =
      band === "approve"
        ? sql`${score} >= ${sql.raw(String(approve))}`
        : band === "review"
          ? sql`${score} >= ${sql.raw(String(review))} and ${score} < ${sql.raw(String(approve))}`
          : sql`${score} < ${sql.raw(String(review))}`;
    return sql`(e ->> 'check' = ${sql.raw(`'${kind}'`)} and ${range})`;
  });
  return sql`(${sql.join(perCheck, sql` or `)})`;
}

async function countSql(db: DatabaseHandle["db"], query: SQL): Promise<number> {
  const result = (await db.execute(query)) as unknown as { rows: Array<{ n: number }> };
  return result.rows[0].n;
}

/** What the backtest should answer, counted with separate SQL statements. */
async function expectedBySql(db: DatabaseHandle["db"], projectId: string, days: number | null): Promise<Omit<BacktestResult, "projectId" | "activeVersion" | "days">> {
  const window = days === null ? sql`` : sql`and v.created_at >= now() - make_interval(days => ${days})`;
  const labelled = (label: "approve" | "reject") =>
    sql`exists (select 1 from review_cases rc where rc.verification_id = v.id and rc.status = 'decided' and rc.decision = ${label})`;
  const scoredCheck = (kind: CheckKind) => sql`e ->> 'check' = ${kind} and e ->> 'status' = 'done' and e ->> 'score' is not null`;
  const countChecks = (kind: CheckKind, extra: SQL) =>
    countSql(db, sql`select count(*)::int as n from verifications v cross join jsonb_array_elements(v.checks) e where v.project_id = ${projectId} ${window} and ${scoredCheck(kind)} and ${extra}`);

  const checks = [];
  for (const kind of POLICY_CHECKS) {
    const transitions = {} as Record<Band, Record<Band, number>>;
    for (const from of BANDS) {
      transitions[from] = {} as Record<Band, number>;
      for (const to of BANDS) transitions[from][to] = await countChecks(kind, sql`${inBand(ACTIVE, from)} and ${inBand(PROPOSED, to)}`);
    }
    const histogramRows = (await db.execute(sql`
      select b.i, count(e.score)::int as n
      from generate_series(0, ${HISTOGRAM_BINS - 1}) as b(i)
      left join (
        select (e ->> 'score')::numeric as score from verifications v cross join jsonb_array_elements(v.checks) e
        where v.project_id = ${projectId} ${window} and ${scoredCheck(kind)}
      ) e on (e.score >= b.i / ${sql.raw(`${HISTOGRAM_BINS}.0`)} or b.i = 0) and (e.score < (b.i + 1) / ${sql.raw(`${HISTOGRAM_BINS}.0`)} or b.i = ${HISTOGRAM_BINS - 1})
      group by b.i order by b.i`)) as unknown as { rows: Array<{ i: number; n: number }> };
    const rates = async (bands: PolicyBands) => {
      const rejectedByReviewer = await countChecks(kind, labelled("reject"));
      const approvedByReviewer = await countChecks(kind, labelled("approve"));
      const falseAccepts = await countChecks(kind, sql`${labelled("reject")} and ${inBand(bands, "approve")}`);
      const falseRejects = await countChecks(kind, sql`${labelled("approve")} and ${inBand(bands, "reject")}`);
      return {
        falseAccepts,
        rejectedByReviewer,
        far: rejectedByReviewer ? falseAccepts / rejectedByReviewer : null,
        falseRejects,
        approvedByReviewer,
        frr: approvedByReviewer ? falseRejects / approvedByReviewer : null,
      };
    };
    const moved = BANDS.reduce((total, from) => total + BANDS.reduce((t, to) => t + (from === to ? 0 : transitions[from][to]), 0), 0);
    checks.push({
      check: kind,
      current: ACTIVE[kind],
      proposed: PROPOSED[kind],
      scored: await countChecks(kind, sql`true`),
      underOtherVersions: await countChecks(kind, sql`v.policy_version <> 2`),
      transitions,
      moved,
      histogram: histogramRows.rows.map((r) => r.n),
      errors: { current: await rates(ACTIVE), proposed: await rates(PROPOSED) },
    });
  }

  // Overall: each verification's band, combined with EXISTS over its checks.
  const has = (condition: SQL) => sql`exists (select 1 from jsonb_array_elements(v.checks) e where ${condition})`;
  const bandOf = (bands: PolicyBands, band: Band) =>
    sql`(e ->> 'status' = 'done' and (${inBand(bands, band)} or (e ->> 'check' not in ('face_match', 'selfie_liveness', 'document_liveness') and e ->> 'band' = ${band})))`;
  const overallBand = (bands: PolicyBands) => sql`case
    when ${has(bandOf(bands, "reject"))} then 'reject'
    when ${has(sql`e ->> 'status' = 'skipped'`)} then case when ${has(bandOf(bands, "review"))} then 'review' else 'none' end
    when ${has(bandOf(bands, "review"))} then 'review'
    else 'approve' end`;
  const overallRows = (await db.execute(sql`
    select ${overallBand(ACTIVE)} as current_band, ${overallBand(PROPOSED)} as proposed_band,
      (select rc.decision from review_cases rc where rc.verification_id = v.id and rc.status = 'decided' and rc.decision in ('approve', 'reject')) as label
    from verifications v where v.project_id = ${projectId} ${window} and jsonb_array_length(v.checks) > 0`)) as unknown as {
    rows: Array<{ current_band: OverallBand; proposed_band: OverallBand; label: string | null }>;
  };
  const transitions = Object.fromEntries(OVERALL_BANDS.map((from) => [from, Object.fromEntries(OVERALL_BANDS.map((to) => [to, 0]))])) as Record<OverallBand, Record<OverallBand, number>>;
  for (const r of overallRows.rows) transitions[r.current_band][r.proposed_band]++;
  const rows = overallRows.rows;
  const count = (keep: (r: (typeof rows)[number]) => boolean) => rows.filter(keep).length;
  const rates = (side: "current_band" | "proposed_band") => {
    const rejectedByReviewer = count((r) => r.label === "reject");
    const approvedByReviewer = count((r) => r.label === "approve");
    const falseAccepts = count((r) => r.label === "reject" && r[side] === "approve");
    const falseRejects = count((r) => r.label === "approve" && r[side] === "reject");
    return { falseAccepts, rejectedByReviewer, far: rejectedByReviewer ? falseAccepts / rejectedByReviewer : null, falseRejects, approvedByReviewer, frr: approvedByReviewer ? falseRejects / approvedByReviewer : null };
  };
  return {
    checks,
    overall: { verifications: rows.length, transitions, moved: count((r) => r.current_band !== r.proposed_band), errors: { current: rates("current_band"), proposed: rates("proposed_band") } },
  };
}

const backends = testBackends("backtest");

describe.each(backends)("backtest on $name", ({ open, skip }) => {
  let handle: DatabaseHandle;
  let stop: () => Promise<void>;
  let projectId: string;
  const seeds = makeSeeds(600);

  beforeAll(async () => {
    if (skip) return;
    ({ handle, stop } = await open());
    projectId = (await createProject(handle.db, { slug: "backtest", name: "Backtest" })).id;
    await savePolicy(handle.db, { projectId, bands: ACTIVE, reason: "stricter approve", author: "user:usr_admin" });
    await insertSeeds(handle.db, projectId, seeds);
    // Another project's verifications never count.
    const otherId = (await createProject(handle.db, { slug: "other", name: "Other" })).id;
    await insertSeeds(handle.db, otherId, makeSeeds(50));
  }, 120_000);

  afterAll(async () => {
    if (skip) return;
    await handle.close();
    await stop();
  });

  it.skipIf(skip)("matches a direct SQL count, over all time and over the last 30 days", async () => {
    for (const days of [null, 30]) {
      const result = await backtestPolicy(handle.db, { projectId, bands: PROPOSED, days });
      expect(result.activeVersion).toBe(2);
      expect(result.days).toBe(days);
      const expected = await expectedBySql(handle.db, projectId, days);
      expect(result.checks).toEqual(expected.checks);
      expect(result.overall).toEqual(expected.overall);
    }
  });

  it.skipIf(skip)("agrees with bandFor and decideOverall run over the seeds in JavaScript", async () => {
    const result = await backtestPolicy(handle.db, { projectId, bands: PROPOSED });
    const rebanded = (seed: Seed, bands: PolicyBands): CheckResult[] =>
      seed.checks.map((c) => (c.status === "done" && c.check in bands ? { ...c, band: bandFor(c.score!, bands[c.check as CheckKind]) } : c));
    const overall = (band: Band | null): OverallBand => band ?? "none";
    let moved = 0;
    const transitions = Object.fromEntries(OVERALL_BANDS.map((from) => [from, Object.fromEntries(OVERALL_BANDS.map((to) => [to, 0]))])) as Record<OverallBand, Record<OverallBand, number>>;
    for (const seed of seeds) {
      const from = overall(decideOverall(rebanded(seed, ACTIVE)).band);
      const to = overall(decideOverall(rebanded(seed, PROPOSED)).band);
      transitions[from][to]++;
      if (from !== to) moved++;
    }
    expect(result.overall.transitions).toEqual(transitions);
    expect(result.overall.moved).toBe(moved);
    expect(result.overall.verifications).toBe(seeds.length);

    const faceScores = seeds.flatMap((s) => s.checks.filter((c) => c.check === "face_match" && c.status === "done").map((c) => c.score!));
    const face = result.checks.find((c) => c.check === "face_match")!;
    expect(face.scored).toBe(faceScores.length);
    expect(face.histogram.reduce((a, b) => a + b, 0)).toBe(faceScores.length);
    // Below 0 in the first bin; 1 in the last; a score on a bin edge starts its bin (0.58 in bin 29).
    expect(face.histogram[0]).toBe(faceScores.filter((s) => s < 0.02).length);
    expect(face.histogram[HISTOGRAM_BINS - 1]).toBe(faceScores.filter((s) => s >= 0.98).length);
    expect(face.histogram[29]).toBe(faceScores.filter((s) => s >= 0.58 && s < 0.6).length);
    expect(faceScores.filter((s) => s === 0.58).length).toBeGreaterThan(0);
    expect(face.transitions.approve.approve).toBe(faceScores.filter((s) => s >= 0.58).length);
    expect(face.transitions.review.approve).toBe(faceScores.filter((s) => s >= 0.5 && s < 0.58).length);
    expect(face.transitions.review.reject).toBe(faceScores.filter((s) => s >= 0.4 && s < 0.45).length);
  });

  it.skipIf(skip)("counts nothing for a project without verifications, and refuses bad bands", async () => {
    const emptyId = (await createProject(handle.db, { slug: "empty", name: "Empty" })).id;
    const result = await backtestPolicy(handle.db, { projectId: emptyId, bands: PROPOSED });
    expect(result.activeVersion).toBe(1);
    expect(result.overall.verifications).toBe(0);
    expect(result.checks.every((c) => c.scored === 0 && c.errors.proposed.far === null && c.errors.proposed.frr === null)).toBe(true);
    expect(await errorCodeOf(() => backtestPolicy(handle.db, { projectId, bands: { ...PROPOSED, face_match: { approve: 0.3, review: 0.5 } } }))).toBe("INVALID_REQUEST");
    expect(await errorCodeOf(() => backtestPolicy(handle.db, { projectId, bands: { face_match: PROPOSED.face_match } }))).toBe("INVALID_REQUEST");
  });
});
