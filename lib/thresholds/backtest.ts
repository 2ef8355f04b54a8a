import "server-only";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import type { Band, CheckKind, PolicyBands } from "@/lib/verification/policy";
import { getActivePolicy } from "@/lib/verification/policy";
import { parseBands, POLICY_CHECKS } from "./policies";
import { rowsOf } from "@/db/rows";

/** Equal-width histogram bins over [0, 1]: 0.02 wide, finer than any band gap worth setting. */
export const HISTOGRAM_BINS = 50;

/** An overall band, with `none` for a verification left not finished outside review (decideOverall's null). */
export type OverallBand = Band | "none";

export const BANDS: Band[] = ["approve", "review", "reject"];
export const OVERALL_BANDS: OverallBand[] = ["approve", "review", "reject", "none"];

export const backtestWindowSchema = z.number().int().min(1).max(3650).nullable().optional();

/** Errors a policy would have made on the verifications reviewers decided. */
export interface ErrorRates {
  /** Reviewer rejected, the policy bands it approve. */
  falseAccepts: number;
  /** Verifications (with this check scored) a reviewer rejected: the FAR's denominator. */
  rejectedByReviewer: number;
  /** falseAccepts / rejectedByReviewer, or null without any. */
  far: number | null;
  /** Reviewer approved, the policy bands it reject. */
  falseRejects: number;
  /** Verifications (with this check scored) a reviewer approved: the FRR's denominator. */
  approvedByReviewer: number;
  /** falseRejects / approvedByReviewer, or null without any. */
  frr: number | null;
}

export interface CheckBacktest {
  check: CheckKind;
  current: { approve: number; review: number };
  proposed: { approve: number; review: number };
  /** Past verifications where this check ran (status done) with a score. */
  scored: number;
  /** Of those, decided under a version other than the active one (their stored band may differ from `current`). */
  underOtherVersions: number;
  /** transitions[current][proposed]: how many scores fall in each pair of bands. */
  transitions: Record<Band, Record<Band, number>>;
  /** Scores whose band would change. */
  moved: number;
  /** Counts per bin; bin i holds scores in [i/50, (i+1)/50), scores below 0 in the first, 1 in the last. */
  histogram: number[];
  errors: { current: ErrorRates; proposed: ErrorRates };
}

export interface BacktestResult {
  projectId: string;
  /** The active version the proposal is compared with. */
  activeVersion: number;
  /** Only verifications of the last `days` days; null for all. */
  days: number | null;
  checks: CheckBacktest[];
  overall: {
    /** Verifications with at least one check. */
    verifications: number;
    /** transitions[current][proposed] of the overall band, combined as decideOverall does. */
    transitions: Record<OverallBand, Record<OverallBand, number>>;
    moved: number;
    errors: { current: ErrorRates; proposed: ErrorRates };
  };
}

export interface BacktestInput {
  projectId: string;
  bands: unknown;
  /** Look back this many days; all past verifications when absent. */
  days?: number | null;
}

function rates(falseAccepts: number, rejectedByReviewer: number, falseRejects: number, approvedByReviewer: number): ErrorRates {
  return {
    falseAccepts,
    rejectedByReviewer,
    far: rejectedByReviewer ? falseAccepts / rejectedByReviewer : null,
    falseRejects,
    approvedByReviewer,
    frr: approvedByReviewer ? falseRejects / approvedByReviewer : null,
  };
}

function matrix<K extends string>(keys: K[]): Record<K, Record<K, number>> {
  return Object.fromEntries(keys.map((from) => [from, Object.fromEntries(keys.map((to) => [to, 0]))])) as Record<K, Record<K, number>>;
}

/** SQL for "the band of `score` under limits (approve, review)": bandFor in lib/verification/policy.ts. */
function bandSql(score: SQL, approve: SQL, review: SQL): SQL {
  return sql`case when ${score} >= ${approve} then 'approve' when ${score} >= ${review} then 'review' else 'reject' end`;
}

/**
 * What a proposed policy would have done to a project's past verifications, next to what the
 * active policy does to them:
 *
 * - per check, over every stored check result with status `done` and a score: how many move
 *   from each band under the active policy to each band under the proposal, and a histogram
 *   of the scores;
 * - where a reviewer decided the verification (its review case decided approve or reject; a
 *   resubmission is no label), with the reviewer's decision as the truth:
 *   FAR = reviewer rejected and the policy bands it approve / reviewer rejected,
 *   FRR = reviewer approved and the policy bands it reject / reviewer approved,
 *   per check on that check's band, and overall on the combined band;
 * - overall, the verification's band combined from its checks as decideOverall does (any
 *   reject rejects; else a skipped check leaves it not finished, in review if any check is;
 *   else any review reviews; else approve). Checks the policy does not band keep their stored
 *   band.
 *
 * Both sides band the stored scores afresh, so a verification decided under an older version
 * counts with the active policy's band, not its stored one (`underOtherVersions` says how
 * many). Nothing is written.
 */
export async function backtestPolicy(db: Database, input: BacktestInput): Promise<BacktestResult> {
  const proposed = parseBands(input.bands);
  const days = backtestWindowSchema.parse(input.days ?? null) ?? null;

  return db.transaction(
    async (tx) => {
      const active = await getActivePolicy(tx, input.projectId);
      const limits = sql.join(
        POLICY_CHECKS.map(
          (check) =>
            sql`(${check}::text, ${active.bands[check].approve}::float8, ${active.bands[check].review}::float8, ${proposed[check].approve}::float8, ${proposed[check].review}::float8)`,
        ),
        sql`, `,
      );
      const since = days === null ? sql`` : sql`and v.created_at >= now() - make_interval(days => ${days})`;
      // One row per stored check result, with the reviewer's decision as its label.
      const elements = sql`
        limits (check_kind, cur_approve, cur_review, new_approve, new_review) as (values ${limits}),
        sample as (
          select v.id, v.policy_version, v.checks, rc.decision as label
          from verifications v
          left join review_cases rc on rc.verification_id = v.id and rc.status = 'decided' and rc.decision in ('approve', 'reject')
          where v.project_id = ${input.projectId} ${since}
        ),
        elements as (
          select s.id, s.policy_version, s.label, e.value ->> 'check' as check_kind, e.value ->> 'status' as status, e.value ->> 'band' as stored_band,
            case when jsonb_typeof(e.value -> 'score') = 'number' then (e.value ->> 'score')::float8 end as score
          from sample s cross join lateral jsonb_array_elements(s.checks) as e(value)
        )`;

      const cells = rowsOf<{ check_kind: CheckKind; label: "approve" | "reject" | null; under_active: boolean; current_band: Band; proposed_band: Band; n: number }>(
        await tx.execute(sql`
          with ${elements},
          scored as (
            select el.*, ${bandSql(sql`el.score`, sql`l.cur_approve`, sql`l.cur_review`)} as current_band,
              ${bandSql(sql`el.score`, sql`l.new_approve`, sql`l.new_review`)} as proposed_band
            from elements el join limits l on l.check_kind = el.check_kind
            where el.status = 'done' and el.score is not null
          )
          select check_kind, label, policy_version = ${active.version} as under_active, current_band, proposed_band, count(*)::int as n
          from scored group by 1, 2, 3, 4, 5`),
      );

      // The 1e-9 keeps a score on a bin edge in the bin it starts, as decimals would: 0.58 * 50 is 28.999999999999996 in binary.
      const bins = rowsOf<{ check_kind: CheckKind; bin: number; n: number }>(
        await tx.execute(sql`
          with ${elements}
          select check_kind, least(greatest(floor(score * ${HISTOGRAM_BINS} + 1e-9)::int, 0), ${HISTOGRAM_BINS - 1}) as bin, count(*)::int as n
          from elements where status = 'done' and score is not null and check_kind in (select check_kind from limits)
          group by 1, 2`),
      );

      const overallCells = rowsOf<{ label: "approve" | "reject" | null; current_band: OverallBand; proposed_band: OverallBand; n: number }>(
        await tx.execute(sql`
          with ${elements},
          banded as (
            select el.id, el.label, el.status,
              case when el.status <> 'done' then null when l.check_kind is null or el.score is null then el.stored_band
                else ${bandSql(sql`el.score`, sql`l.cur_approve`, sql`l.cur_review`)} end as current_band,
              case when el.status <> 'done' then null when l.check_kind is null or el.score is null then el.stored_band
                else ${bandSql(sql`el.score`, sql`l.new_approve`, sql`l.new_review`)} end as proposed_band
            from elements el left join limits l on l.check_kind = el.check_kind
          ),
          combined as (
            select id, label,
              case when bool_or(current_band = 'reject') then 'reject'
                when bool_or(status = 'skipped') then case when bool_or(current_band = 'review') then 'review' else 'none' end
                when bool_or(current_band = 'review') then 'review' else 'approve' end as current_band,
              case when bool_or(proposed_band = 'reject') then 'reject'
                when bool_or(status = 'skipped') then case when bool_or(proposed_band = 'review') then 'review' else 'none' end
                when bool_or(proposed_band = 'review') then 'review' else 'approve' end as proposed_band
            from banded group by id, label
          )
          select label, current_band, proposed_band, count(*)::int as n from combined group by 1, 2, 3`),
      );

      const checks = POLICY_CHECKS.map((check): CheckBacktest => {
        const mine = cells.filter((c) => c.check_kind === check);
        const sum = (keep: (c: (typeof mine)[number]) => boolean) => mine.filter(keep).reduce((total, c) => total + c.n, 0);
        const transitions = matrix(BANDS);
        for (const c of mine) transitions[c.current_band][c.proposed_band] += c.n;
        const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
        for (const b of bins) if (b.check_kind === check) histogram[b.bin] += b.n;
        const rejected = sum((c) => c.label === "reject");
        const approved = sum((c) => c.label === "approve");
        return {
          check,
          current: active.bands[check],
          proposed: proposed[check],
          scored: sum(() => true),
          underOtherVersions: sum((c) => !c.under_active),
          transitions,
          moved: sum((c) => c.current_band !== c.proposed_band),
          histogram,
          errors: {
            current: rates(sum((c) => c.label === "reject" && c.current_band === "approve"), rejected, sum((c) => c.label === "approve" && c.current_band === "reject"), approved),
            proposed: rates(sum((c) => c.label === "reject" && c.proposed_band === "approve"), rejected, sum((c) => c.label === "approve" && c.proposed_band === "reject"), approved),
          },
        };
      });

      const sumOverall = (keep: (c: (typeof overallCells)[number]) => boolean) => overallCells.filter(keep).reduce((total, c) => total + c.n, 0);
      const overallTransitions = matrix(OVERALL_BANDS);
      for (const c of overallCells) overallTransitions[c.current_band][c.proposed_band] += c.n;
      const rejected = sumOverall((c) => c.label === "reject");
      const approved = sumOverall((c) => c.label === "approve");
      return {
        projectId: input.projectId,
        activeVersion: active.version,
        days,
        checks,
        overall: {
          verifications: sumOverall(() => true),
          transitions: overallTransitions,
          moved: sumOverall((c) => c.current_band !== c.proposed_band),
          errors: {
            current: rates(sumOverall((c) => c.label === "reject" && c.current_band === "approve"), rejected, sumOverall((c) => c.label === "approve" && c.current_band === "reject"), approved),
            proposed: rates(sumOverall((c) => c.label === "reject" && c.proposed_band === "approve"), rejected, sumOverall((c) => c.label === "approve" && c.proposed_band === "reject"), approved),
          },
        },
      };
    },
    // One snapshot for the active policy and all three counts, even while verifications arrive.
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
