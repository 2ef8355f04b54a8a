import type { JSX } from "react";
import type { Band } from "@/lib/verification/policy";
import styles from "./review.module.css";

export interface ScoreBandProps {
  /** The check's name as shown to the reviewer, e.g. "Face match". */
  label: string;
  /** 0..1 on the check's scale (4 decimals); null when the check was skipped. */
  score: number | null;
  /** The band the score reached under the policy that decided it. */
  band: Band | null;
  limits: { approve: number; review: number };
  policyVersion: number;
  /** Why the check was skipped, or any other remark shown under the bar. */
  note?: string;
  /** What each band means here, when not a verdict on the check (a similarity to an enrolled person). */
  bandLabels?: Record<Band, string>;
}

const BAND_LABELS: Record<Band, string> = { approve: "Approve", review: "Review", reject: "Reject" };

/**
 * Three decimals, truncated rather than rounded: a 0.5495 under an approve limit of 0.55
 * must not read "0.550" next to a "Review" badge. Limits have at most three decimals in
 * practice, so truncation keeps the shown figure on the same side of every limit. The
 * epsilon absorbs binary noise (0.29 * 1000 = 289.99999999999997).
 */
function formatScore(score: number): string {
  return (Math.floor(score * 1000 + 1e-6) / 1000).toFixed(3);
}

/** A limit as configured: "0.4", "0.55", never more than four decimals. */
function formatLimit(limit: number): string {
  return String(Number(limit.toFixed(4)));
}

function percent(value: number): string {
  return `${Math.min(1, Math.max(0, value)) * 100}%`;
}

/** One check's score on a 0..1 bar coloured by the policy's reject / review / approve zones. */
export function ScoreBand({ label, score, band, limits, policyVersion, note, bandLabels = BAND_LABELS }: ScoreBandProps): JSX.Element {
  const review = Math.min(1, Math.max(0, limits.review));
  const approve = Math.min(1, Math.max(review, limits.approve));
  const bandText = score === null ? "Skipped" : band ? bandLabels[band] : "No band";
  const shown = score === null ? null : formatScore(score);
  // Cosine similarity can fall below 0; the marker stays on the bar, the figure stays true.
  const position = score === null ? 0 : Math.min(1, Math.max(0, score));
  const edge = position < 0.08 ? "start" : position > 0.92 ? "end" : undefined;

  const zones = (
    <>
      <span className={styles.zone} data-band="reject" style={{ width: percent(review) }} />
      <span className={styles.zone} data-band="review" style={{ width: percent(approve - review) }} />
      <span className={styles.zone} data-band="approve" style={{ width: percent(1 - approve) }} />
    </>
  );

  return (
    <div className={styles.scoreBand} data-testid="score-band" data-check={label} data-band={score === null ? "skipped" : (band ?? undefined)}>
      <div className={styles.scoreHead}>
        <span className={styles.scoreLabel}>{label}</span>
        <span className={styles.badge} data-band={score === null ? "skipped" : (band ?? undefined)}>
          {bandText}
        </span>
      </div>
      {score === null ? (
        <div className={styles.track} data-skipped aria-hidden="true">
          {zones}
        </div>
      ) : (
        <div
          className={styles.track}
          role="meter"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={1}
          aria-valuenow={position}
          aria-valuetext={`${shown}, ${bandText.toLowerCase()} band (review from ${formatLimit(review)}, approve from ${formatLimit(approve)})`}
        >
          {zones}
          <span className={styles.marker} style={{ left: percent(position) }} data-edge={edge}>
            <span className={styles.markerValue} title={score.toFixed(4)}>
              {shown}
            </span>
          </span>
        </div>
      )}
      <div className={styles.scoreFoot}>
        {score === null && <span className={styles.skipped}>skipped</span>}
        <span>
          review ≥ {formatLimit(review)} · approve ≥ {formatLimit(approve)}
        </span>
        <span>policy v{policyVersion}</span>
        {note && <span className={styles.note}>{note}</span>}
      </div>
    </div>
  );
}
