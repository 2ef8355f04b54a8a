import styles from "./charts.module.css";

/** A point on the half circle for a share 0-1 (0 at the left end, 1 at the right). */
function point(share: number, r: number, cx: number, cy: number): [number, number] {
  const angle = Math.PI * (1 - share);
  return [cx + r * Math.cos(angle), cy - r * Math.sin(angle)];
}

/**
 * A half-circle gauge for a share 0-1 (null: no data), with the percentage in the middle and
 * `label` under it. The SVG's accessible name says the figure and what it is.
 */
export function Gauge({ value, label, color = "var(--accent)", detail }: { value: number | null; label: string; color?: string; detail?: string }) {
  const cx = 60;
  const cy = 58;
  const r = 48;
  const share = value === null ? 0 : Math.min(1, Math.max(0, value));
  const [x0, y0] = point(0, r, cx, cy);
  const [x1, y1] = point(1, r, cx, cy);
  const [xv, yv] = point(share, r, cx, cy);
  const text = value === null ? "–" : `${(value * 100).toFixed(value > 0 && value < 0.1 ? 1 : 0)}%`;
  return (
    <div className={styles.gauge}>
      <svg className={styles.svg} viewBox="0 0 120 70" role="img" aria-label={`${label}: ${value === null ? "no data" : text}${detail ? ` (${detail})` : ""}`}>
        <g aria-hidden="true">
          <path d={`M${x0},${y0} A${r},${r} 0 0 1 ${x1},${y1}`} style={{ fill: "none", stroke: "color-mix(in srgb, var(--muted) 25%, transparent)", strokeWidth: 10 }} />
          {share > 0 ? <path d={`M${x0},${y0} A${r},${r} 0 0 1 ${xv.toFixed(2)},${yv.toFixed(2)}`} style={{ fill: "none", stroke: color, strokeWidth: 10 }} /> : null}
          <text className={styles.gaugeValue} x={cx} y={cy - 4} textAnchor="middle">
            {text}
          </text>
        </g>
      </svg>
      <span className="small">{label}</span>
      {detail ? <span className="small muted">{detail}</span> : null}
    </div>
  );
}
