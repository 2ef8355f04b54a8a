import type { JSX, Ref } from "react";
import { BandHistogram } from "@/components/charts/histogram";
import { checkLabels } from "@/components/console/format";
import type { BacktestResult, ErrorRates, OverallBand } from "@/lib/thresholds/backtest";

const BAND_LABELS: Record<OverallBand, string> = { approve: "Approve", review: "Review", reject: "Reject", none: "Not finished" };

function percent(rate: number | null): string {
  return rate === null ? "–" : `${(rate * 100).toFixed(1)}%`;
}

function Matrix<K extends OverallBand>({ keys, transitions, caption, activeVersion }: { keys: K[]; transitions: Record<K, Record<K, number>>; caption: string; activeVersion: number }) {
  return (
    <table className="band-matrix" data-testid="band-matrix">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">
            Now (v{activeVersion}) ↓ · proposed →
          </th>
          {keys.map((to) => (
            <th key={to} scope="col" data-band={to}>
              {BAND_LABELS[to]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {keys.map((from) => (
          <tr key={from}>
            <th scope="row" data-band={from}>
              {BAND_LABELS[from]}
            </th>
            {keys.map((to) => {
              const n = transitions[from][to];
              return (
                <td key={to} data-moved={from !== to && n > 0 ? "true" : undefined} className={from === to ? "muted" : undefined}>
                  {n}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function rateCell(count: number, of: number, rate: number | null): string {
  return of === 0 ? "no labels" : `${count} of ${of} (${percent(rate)})`;
}

function ErrorTable({ current, proposed, activeVersion, scope }: { current: ErrorRates; proposed: ErrorRates; activeVersion: number; scope: string }) {
  const better = (now: number | null, next: number | null) => (now === null || next === null || now === next ? undefined : next < now ? "better" : "worse");
  return (
    <table className="error-rates" data-testid="error-rates">
      <caption>Against reviewers&apos; decisions ({scope})</caption>
      <thead>
        <tr>
          <th scope="col">Rate</th>
          <th scope="col">Now (v{activeVersion})</th>
          <th scope="col">Proposed</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope="row" title="Reviewer rejected; the band is approve">
            False accepts (FAR)
          </th>
          <td>{rateCell(current.falseAccepts, current.rejectedByReviewer, current.far)}</td>
          <td data-trend={better(current.far, proposed.far)}>{rateCell(proposed.falseAccepts, proposed.rejectedByReviewer, proposed.far)}</td>
        </tr>
        <tr>
          <th scope="row" title="Reviewer approved; the band is reject">
            False rejects (FRR)
          </th>
          <td>{rateCell(current.falseRejects, current.approvedByReviewer, current.frr)}</td>
          <td data-trend={better(current.frr, proposed.frr)}>{rateCell(proposed.falseRejects, proposed.approvedByReviewer, proposed.frr)}</td>
        </tr>
      </tbody>
    </table>
  );
}

/**
 * The backtest of proposed bands: overall moves, then per check the score histogram with both
 * sets of band lines, the band-movement matrix and the error rates against reviewers.
 */
export function ThresholdsBacktest({ result, headingRef }: { result: BacktestResult; headingRef?: Ref<HTMLHeadingElement> }): JSX.Element {
  const { overall, activeVersion } = result;
  const span = result.days === null ? "all past verifications" : `verifications of the last ${result.days} days`;
  const overallKeys = (["approve", "review", "reject", "none"] as const).filter(
    (k) => k !== "none" || Object.values(overall.transitions.none).some((n) => n > 0) || Object.values(overall.transitions).some((row) => row.none > 0),
  );
  return (
    <section className="panel backtest" data-testid="backtest-results" aria-labelledby="backtest-heading">
      <h2 id="backtest-heading" ref={headingRef} tabIndex={-1}>
        Backtest against v{activeVersion} over {span}
      </h2>
      <p data-testid="overall-moves">
        <strong>{overall.moved}</strong> of {overall.verifications} verification{overall.verifications === 1 ? "" : "s"} would end in another band (checks combined:
        any reject rejects, else any review reviews). Nothing changes for them: a policy applies to verifications made after it is saved.
      </p>
      <div className="backtest-tables">
        <Matrix keys={[...overallKeys]} transitions={overall.transitions} caption="Overall band" activeVersion={activeVersion} />
        <ErrorTable current={overall.errors.current} proposed={overall.errors.proposed} activeVersion={activeVersion} scope="overall band" />
      </div>
      <p className="muted small">
        FAR: of the verifications a reviewer rejected, the share the bands would approve automatically. FRR: of those a reviewer approved, the share they would
        reject. Reviewers only see borderline cases, so these rates describe the review band&apos;s neighbourhood, not all traffic.
      </p>
      {result.checks.map((c) => {
        const label = checkLabels[c.check] ?? c.check;
        return (
          <section key={c.check} className="backtest-check" data-check={c.check} aria-labelledby={`backtest-${c.check}`}>
            <h3 id={`backtest-${c.check}`}>
              {label}: {c.moved} of {c.scored} score{c.scored === 1 ? "" : "s"} change band
            </h3>
            {c.scored === 0 ? (
              <p className="muted">No past verification ran this check.</p>
            ) : (
              <div className="backtest-grid">
                <BandHistogram
                  title={label}
                  bins={c.histogram}
                  current={c.current}
                  proposed={c.proposed}
                  testId="backtest-chart"
                  note={`Bins of 0.02; scores below 0 are counted in the first bin.${c.underOtherVersions ? ` ${c.underOtherVersions} of these were decided under an older version and are banded here by v${activeVersion}.` : ""}`}
                />
                <div className="backtest-tables">
                  <Matrix keys={["approve", "review", "reject"]} transitions={c.transitions} caption={`${label} band`} activeVersion={activeVersion} />
                  <ErrorTable current={c.errors.current} proposed={c.errors.proposed} activeVersion={activeVersion} scope={`${label.toLowerCase()} band`} />
                </div>
              </div>
            )}
          </section>
        );
      })}
    </section>
  );
}
