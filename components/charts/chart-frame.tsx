import type { ReactNode } from "react";
import styles from "./charts.module.css";

export interface ChartTable {
  caption: string;
  columns: string[];
  /** One row per entry; the first cell heads the row. */
  rows: Array<Array<string | number>>;
}

export interface ChartSeries {
  key: string;
  label: string;
  /** A CSS colour, usually a palette variable: "var(--approve)". */
  color: string;
}

/** The colour key of a chart; the SVG itself is hidden from screen readers behind its summary. */
export function Legend({ series }: { series: ChartSeries[] }) {
  return (
    <ul className={styles.legend}>
      {series.map((s) => (
        <li key={s.key}>
          <span className={styles.swatch} style={{ background: s.color }} aria-hidden="true" />
          {s.label}
        </li>
      ))}
    </ul>
  );
}

/**
 * A chart with its title, an optional explanation, and the figures behind it as a table that
 * opens on demand (a native <details>, so it works with the keyboard and without script).
 */
export function ChartFrame({ title, description, table, children, testId }: { title: string; description?: ReactNode; table: ChartTable; children: ReactNode; testId?: string }) {
  return (
    <figure className={styles.frame} data-testid={testId}>
      <div className={styles.head}>
        <h2>{title}</h2>
      </div>
      {description ? <p className={styles.description}>{description}</p> : null}
      {children}
      <details className={styles.tableWrap}>
        <summary>Data table</summary>
        <table>
          <caption>{table.caption}</caption>
          <thead>
            <tr>
              {table.columns.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row, i) => (
              <tr key={i}>
                {row.map((cell, j) =>
                  j === 0 ? (
                    <th key={j} scope="row">
                      {cell}
                    </th>
                  ) : (
                    <td key={j}>{cell}</td>
                  ),
                )}
              </tr>
            ))}
            {table.rows.length === 0 ? (
              <tr>
                <td colSpan={table.columns.length}>No data.</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
