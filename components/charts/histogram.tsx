import type { JSX } from "react";

export interface BandLimits {
  approve: number;
  review: number;
}

export interface BandHistogramProps {
  /** What the scores are, e.g. "Face match"; starts the accessible summary. */
  title: string;
  /** Counts of equal-width bins over [0, 1], lowest first. */
  bins: number[];
  /** The active policy's limits: drawn as dashed lines. */
  current: BandLimits;
  /** Proposed limits: drawn as solid lines; the zones are tinted by them when given. */
  proposed?: BandLimits;
  /** Note under the chart, e.g. where out-of-range scores went. */
  note?: string;
  testId?: string;
}

const WIDTH = 600;
const HEIGHT = 230;
const PAD = { left: 40, right: 14, top: 34, bottom: 34 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;
const X_TICKS = Array.from({ length: 11 }, (_, i) => i / 10);

/** A limit as configured: "0.4", "0.55", never more than four decimals. */
function formatLimit(limit: number): string {
  return String(Number(limit.toFixed(4)));
}

function binRange(i: number, n: number): string {
  return `${(i / n).toFixed(2)}–${((i + 1) / n).toFixed(2)}`;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const xOf = (score: number) => PAD.left + clamp01(score) * PLOT_W;

/**
 * A histogram of scores on [0, 1] with a policy's approve / review / reject zones behind it:
 * the active limits dashed, proposed ones solid. The SVG is one image with a summary for
 * screen readers; the same figures follow as tables (limits, and the count of every bin).
 */
export function BandHistogram({ title, bins, current, proposed, note, testId }: BandHistogramProps): JSX.Element {
  const total = bins.reduce((a, b) => a + b, 0);
  const max = Math.max(1, ...bins);
  const peak = bins.indexOf(Math.max(...bins));
  const zones = proposed ?? current;
  const binW = PLOT_W / bins.length;
  const review = clamp01(zones.review);
  const approve = Math.max(review, clamp01(zones.approve));
  const lines: Array<{ kind: "current" | "proposed"; limit: "review" | "approve"; value: number }> = [
    { kind: "current", limit: "review", value: current.review },
    { kind: "current", limit: "approve", value: current.approve },
    ...(proposed
      ? [
          { kind: "proposed" as const, limit: "review" as const, value: proposed.review },
          { kind: "proposed" as const, limit: "approve" as const, value: proposed.approve },
        ]
      : []),
  ];
  const describe = (l: BandLimits) => `review from ${formatLimit(l.review)}, approve from ${formatLimit(l.approve)}`;
  const summary =
    `${title}: histogram of ${total} score${total === 1 ? "" : "s"} in ${bins.length} bins from 0 to 1` +
    (total > 0 ? `, most in ${binRange(peak, bins.length)} (${bins[peak]})` : "") +
    `. Current bands, dashed lines: ${describe(current)}.` +
    (proposed ? ` Proposed bands, solid lines: ${describe(proposed)}.` : "");

  return (
    <figure className="histogram" data-testid={testId}>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet">
        <g aria-hidden="true">
          <rect className="histogram-zone" data-band="reject" x={PAD.left} y={PAD.top} width={review * PLOT_W} height={PLOT_H} />
          <rect className="histogram-zone" data-band="review" x={xOf(review)} y={PAD.top} width={(approve - review) * PLOT_W} height={PLOT_H} />
          <rect className="histogram-zone" data-band="approve" x={xOf(approve)} y={PAD.top} width={(1 - approve) * PLOT_W} height={PLOT_H} />

          <line className="histogram-grid" x1={PAD.left} x2={PAD.left + PLOT_W} y1={PAD.top} y2={PAD.top} />
          <text className="histogram-label" x={PAD.left - 6} y={PAD.top + 4} textAnchor="end">
            {max}
          </text>
          <text className="histogram-label" x={PAD.left - 6} y={PAD.top + PLOT_H + 4} textAnchor="end">
            0
          </text>

          {bins.map((count, i) => {
            if (count === 0) return null;
            const h = Math.max(1, (count / max) * PLOT_H);
            return (
              <rect key={i} className="histogram-bar" data-testid="histogram-bar" x={PAD.left + i * binW + 1} y={PAD.top + PLOT_H - h} width={Math.max(1, binW - 2)} height={h}>
                <title>{`${binRange(i, bins.length)}: ${count}`}</title>
              </rect>
            );
          })}

          <line className="histogram-axis" x1={PAD.left} x2={PAD.left + PLOT_W} y1={PAD.top + PLOT_H} y2={PAD.top + PLOT_H} />
          {X_TICKS.map((t) => (
            <g key={t}>
              <line className="histogram-axis" x1={xOf(t)} x2={xOf(t)} y1={PAD.top + PLOT_H} y2={PAD.top + PLOT_H + 5} />
              <text className="histogram-label" x={xOf(t)} y={PAD.top + PLOT_H + 18} textAnchor="middle">
                {t === 0 || t === 1 ? String(t) : t.toFixed(1)}
              </text>
            </g>
          ))}

          {lines.map((l) => (
            <g key={`${l.kind}-${l.limit}`}>
              <line className="histogram-limit" data-kind={l.kind} data-limit={l.limit} x1={xOf(l.value)} x2={xOf(l.value)} y1={PAD.top - (l.kind === "proposed" ? 8 : 20)} y2={PAD.top + PLOT_H} />
              {/* A current limit the proposal keeps is labelled once, by the proposed line over it. */}
              {l.kind === "current" && proposed?.[l.limit] === l.value ? null : (
                <text className="histogram-limit-label" data-kind={l.kind} x={xOf(l.value)} y={PAD.top - (l.kind === "proposed" ? 11 : 23)} textAnchor="middle">
                  {formatLimit(l.value)}
                </text>
              )}
            </g>
          ))}
        </g>
      </svg>
      <figcaption>
        <table className="histogram-legend">
          <caption className="sr-only">{title}: band limits</caption>
          <thead>
            <tr>
              <th scope="col">Limit</th>
              <th scope="col">
                <span className="legend-swatch" data-kind="current" aria-hidden="true" /> Current (dashed)
              </th>
              {proposed ? (
                <th scope="col">
                  <span className="legend-swatch" data-kind="proposed" aria-hidden="true" /> Proposed (solid)
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Review from</th>
              <td>{formatLimit(current.review)}</td>
              {proposed ? <td>{formatLimit(proposed.review)}</td> : null}
            </tr>
            <tr>
              <th scope="row">Approve from</th>
              <td>{formatLimit(current.approve)}</td>
              {proposed ? <td>{formatLimit(proposed.approve)}</td> : null}
            </tr>
          </tbody>
        </table>
        {note ? <p className="muted small">{note}</p> : null}
        <details>
          <summary>Bin counts</summary>
          <table className="histogram-bins">
            <caption className="sr-only">{title}: scores per bin</caption>
            <thead>
              <tr>
                <th scope="col">Score</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {bins.map((count, i) =>
                count > 0 ? (
                  <tr key={i}>
                    <td>{binRange(i, bins.length)}</td>
                    <td>{count}</td>
                  </tr>
                ) : null,
              )}
              {total === 0 ? (
                <tr>
                  <td colSpan={2}>No scores.</td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
