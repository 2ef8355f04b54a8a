import styles from "./charts.module.css";

/** A row of tiny bars (a reviewer's decisions per day); `summary` is its accessible name. */
export function SparkBars({ values, labels, summary, max, color = "var(--accent)" }: { values: number[]; labels: string[]; summary: string; max?: number; color?: string }) {
  const width = 168;
  const height = 28;
  const top = Math.max(1, max ?? Math.max(0, ...values));
  const band = width / Math.max(1, values.length);
  return (
    <svg className={styles.spark} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
      <g aria-hidden="true">
        <line className={styles.grid} x1={0} x2={width} y1={height - 0.5} y2={height - 0.5} />
        {values.map((v, i) => {
          const h = v > 0 ? Math.max(2, (v / top) * (height - 2)) : 0;
          return (
            <rect key={labels[i] ?? i} x={i * band + band * 0.15} y={height - h} width={band * 0.7} height={h} style={{ fill: color }}>
              <title>{`${labels[i]}: ${v}`}</title>
            </rect>
          );
        })}
      </g>
    </svg>
  );
}
