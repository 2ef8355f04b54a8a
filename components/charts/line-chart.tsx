import styles from "./charts.module.css";
import { niceMax, shortDay } from "./scale";

const WIDTH = 640;
const PAD = { left: 36, right: 8, top: 10, bottom: 22 };

/** One series over days as a line with a dot per day. One image with `summary` as its accessible name. */
export function LineChart({ points, summary, color = "var(--accent)", height = 160, labelEvery = 5 }: { points: Array<{ label: string; value: number }>; summary: string; color?: string; height?: number; labelEvery?: number }) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const top = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const step = plotW / Math.max(1, points.length - 1);
  const x = (i: number) => PAD.left + (points.length === 1 ? plotW / 2 : i * step);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  return (
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
        <path d={path} style={{ fill: "none", stroke: color, strokeWidth: 2 }} />
        {points.map((p, i) => (
          <g key={p.label}>
            <circle cx={x(i)} cy={y(p.value)} r={3} style={{ fill: color }}>
              <title>{`${p.label}: ${p.value}`}</title>
            </circle>
            {i % labelEvery === (points.length - 1) % labelEvery ? (
              <text className={styles.axisText} x={x(i)} y={height - 6} textAnchor="middle">
                {shortDay(p.label)}
              </text>
            ) : null}
          </g>
        ))}
      </g>
    </svg>
  );
}
