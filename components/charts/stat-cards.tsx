import styles from "./charts.module.css";

/** Headline figures as cards: the value large, what it is under it (a description list: the term comes first in the markup). */
export function StatCards({ items, testId }: { items: Array<{ label: string; value: string | number; hint?: string }>; testId?: string }) {
  return (
    <dl className={styles.cards} data-testid={testId}>
      {items.map((item) => (
        <div key={item.label} className={styles.card} title={item.hint}>
          <dt>{item.label}</dt>
          <dd>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}
