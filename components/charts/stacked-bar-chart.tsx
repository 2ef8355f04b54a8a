import type { ChartSeries } from "./chart-frame";
import { Legend } from "./chart-frame";
import styles from "./charts.module.css";
import { niceMax, shortDay } from "./scale";

export interface StackedBarDatum {
  /** The x label, a day as YYYY-MM-DD. */
  label: string;
  values: Record<string, number>;
}

const WIDTH = 640;
const PAD = { left: 36, right: 8, top: 8, bottom: 22 };

/**
 * Bars per day with the series stacked bottom-up in the order given. One image with `summary`
 * as its accessible name; every bar has a tooltip with its figures.
 */
export function StackedBarChart({ data, series, summary, height = 190, labelEvery = 5 }: { data: StackedBarDatum[]; series: ChartSeries[]; summary: string; height?: number; labelEvery?: number }) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const totals = data.map((d) => series.reduce((sum, s) => sum + (d.values[s.key] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const band = plotW / Math.max(1, data.length);
  const barW = Math.max(2, band * 0.72);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  return (
    <>
      <svg className={styles.svg} viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={summary}>
        <g aria-hidden="true">
          {[0, top / 2, top].map((tick) => (
            <g key={tick}>
              <line className={styles.grid} x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
              <text className={styles.axisText} x={PAD.left - 6} y={y(tick) + 4} textAnchor="end">
                {Number.isInteger(tick) ? tick : tick.toFixed(1)}
              </text>
            </g>
          ))}
          {data.map((d, i) => {
            const x = PAD.left + i * band + (band - barW) / 2;
            let base = 0;
            return (
              <g key={d.label} data-testid="bar">
                <title>{`${d.label}: ${series.map((s) => `${s.label.toLowerCase()} ${d.values[s.key] ?? 0}`).join(", ")} (total ${totals[i]})`}</title>
                {/* A transparent full-height target, so the tooltip also shows on empty days. */}
                <rect x={PAD.left + i * band} y={PAD.top} width={band} height={plotH} fill="transparent" />
                {series.map((s) => {
                  const v = d.values[s.key] ?? 0;
                  if (v <= 0) return null;
                  const rect = <rect key={s.key} x={x} y={y(base + v)} width={barW} height={Math.max(1, y(base) - y(base + v))} style={{ fill: s.color }} />;
                  base += v;
                  return rect;
                })}
                {i % labelEvery === (data.length - 1) % labelEvery ? (
                  <text className={styles.axisText} x={x + barW / 2} y={height - 6} textAnchor="middle">
                    {shortDay(d.label)}
                  </text>
                ) : null}
              </g>
            );
          })}
        </g>
      </svg>
      <Legend series={series} />
    </>
  );
}
