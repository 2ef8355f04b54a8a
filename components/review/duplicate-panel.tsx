"use client";

import Link from "next/link";
import { useCallback, useEffect, useState, useTransition } from "react";
import { duplicateVerdictAction } from "@/app/(console)/cases/[id]/actions";
import { actionErrorText } from "@/components/console/action-runner";
import { isTypingOrModified } from "@/components/console/format";
import type { Band } from "@/lib/verification/policy";
import type { ViewerImage } from "./case-images";
import { CaseImages } from "./case-images";
import type { DuplicateVerdict } from "./duplicate-verdicts";
import { useDuplicateVerdicts } from "./duplicate-verdicts";
import { ScoreBand } from "./score-band";
import styles from "./review.module.css";

export interface DuplicateCandidateView {
  id: string;
  personName: string;
  externalRef: string | null;
  /** Where the person's gallery page is; null once they were deleted. */
  galleryHref: string | null;
  similarity: number;
  /** The similarity's band on the face-match limits the verification was decided under. */
  band: Band;
  /** The selfie and the enrolled face (when it still exists), drawn the same size side by side. */
  images: ViewerImage[];
}

export interface DuplicatePanelProps {
  candidates: DuplicateCandidateView[];
  /** The case the viewer holds and may give verdicts on; null shows the verdicts read-only. */
  caseId: string | null;
  /** How the viewer appears beside a verdict they just gave. */
  viewerName: string;
  limits: { approve: number; review: number };
  policyVersion: number;
}

const VERDICT_LABELS: Record<DuplicateVerdict, string> = { same: "Same person", different: "Different person" };
/** A similarity to an enrolled face says how alike the faces are, not what to decide. */
const SIMILARITY_BANDS: Record<Band, string> = { approve: "Strong match", review: "Possible match", reject: "No match" };

function formatTime(iso: string): string {
  return `${iso.replace("T", " ").slice(0, 19)} UTC`;
}

/**
 * The duplicate check's candidates: enrolled persons the selfie resembled, each with the
 * selfie and the enrolled face side by side, the similarity on the face-match bands, and the
 * reviewer's verdict. `M` and `D` answer for the first candidate without one.
 */
export function DuplicatePanel({ candidates, caseId, viewerName, limits, policyVersion }: DuplicatePanelProps) {
  const { candidates: verdicts, recorded } = useDuplicateVerdicts();
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  // Set once the shortcuts listen: tests wait for it before pressing keys.
  const [keysReady, setKeysReady] = useState(false);
  const verdictOf = useCallback((id: string) => verdicts.find((v) => v.candidateId === id), [verdicts]);
  const current = caseId ? candidates.find((c) => !verdictOf(c.id)?.verdict) : undefined;

  const decide = useCallback(
    (candidateId: string, verdict: DuplicateVerdict) => {
      if (!caseId || pending) return;
      startTransition(async () => {
        const result = await duplicateVerdictAction({ caseId, candidateId, verdict });
        if (!result.ok) {
          setMessage(actionErrorText(result.error));
          return;
        }
        setMessage(null);
        recorded(candidateId, result.data.verdict, viewerName, result.data.decidedAt);
      });
    },
    [caseId, pending, recorded, viewerName],
  );

  useEffect(() => {
    if (!caseId) return;
    const onKey = (event: KeyboardEvent) => {
      if (isTypingOrModified(event) || event.repeat) return;
      const key = event.key.toLowerCase();
      if (key !== "m" && key !== "d") return;
      event.preventDefault();
      if (current) decide(current.id, key === "m" ? "same" : "different");
    };
    window.addEventListener("keydown", onKey);
    setKeysReady(true);
    return () => window.removeEventListener("keydown", onKey);
  }, [caseId, current, decide]);

  return (
    <section className="panel" aria-labelledby="duplicate-heading" data-testid="duplicate-panel" data-keys-ready={caseId ? keysReady : undefined}>
      <h2 id="duplicate-heading">Possible duplicate</h2>
      <p className="muted small">
        The selfie resembles {candidates.length === 1 ? "an enrolled person" : `${candidates.length} enrolled persons`} at or above the face-match review limit (
        {limits.review}). A match says who the applicant may be, not that they are a fraud: say whether each is the same person. The case still needs its own
        decision.
      </p>
      {candidates.map((candidate) => {
        const given = verdictOf(candidate.id);
        const isCurrent = candidate.id === current?.id;
        return (
          <article
            key={candidate.id}
            className={styles.duplicate}
            data-testid="duplicate-candidate"
            data-candidate-id={candidate.id}
            data-verdict={given?.verdict ?? undefined}
            data-current={isCurrent || undefined}
            aria-label={`Possible duplicate: ${candidate.personName}`}
          >
            <div className={styles.duplicateHead}>
              <div className={styles.duplicateWho}>
                <strong data-testid="duplicate-name">{candidate.personName}</strong>
                <span className="small">
                  {candidate.externalRef ? (
                    <>
                      ref <code data-testid="duplicate-ref">{candidate.externalRef}</code>
                    </>
                  ) : (
                    <span className="muted">no reference</span>
                  )}
                  {" · "}
                  {candidate.galleryHref ? (
                    <Link href={candidate.galleryHref} prefetch={false}>
                      in the gallery
                    </Link>
                  ) : (
                    <span className="muted">since deleted from the gallery</span>
                  )}
                </span>
              </div>
              <div className={styles.duplicateScore}>
                <ScoreBand label="Similarity" score={candidate.similarity} band={candidate.band} limits={limits} policyVersion={policyVersion} bandLabels={SIMILARITY_BANDS} />
              </div>
              <div className={styles.duplicateVerdict}>
                {given?.verdict ? (
                  <p data-testid="duplicate-verdict" className={given.verdict === "same" ? "notice" : undefined}>
                    <strong>{VERDICT_LABELS[given.verdict]}</strong>
                    <span className="muted small">
                      {" "}
                      by {given.by ?? "-"}
                      {given.at ? `, ${formatTime(given.at)}` : ""}
                    </span>
                  </p>
                ) : caseId ? (
                  <div className="buttons">
                    <button type="button" onClick={() => decide(candidate.id, "same")} disabled={pending} aria-keyshortcuts={isCurrent ? "M" : undefined}>
                      Same person{isCurrent ? " (M)" : ""}
                    </button>
                    <button type="button" onClick={() => decide(candidate.id, "different")} disabled={pending} aria-keyshortcuts={isCurrent ? "D" : undefined}>
                      Different person{isCurrent ? " (D)" : ""}
                    </button>
                  </div>
                ) : (
                  <p className="muted small" data-testid="duplicate-verdict">
                    No verdict.
                  </p>
                )}
              </div>
            </div>
            {candidate.images.length > 1 ? (
              <div className={styles.duplicateImages}>
                <CaseImages
                  images={candidate.images}
                  keyboard={false}
                  label={`Selfie and ${candidate.personName}'s enrolled face`}
                  testIds={{ viewer: "duplicate-images", image: "duplicate-image" }}
                />
              </div>
            ) : (
              <p className="muted small">The enrolled face is no longer stored; the name and similarity were kept with the check.</p>
            )}
          </article>
        );
      })}
      {message ? (
        <p role="alert" className="error">
          {message}
        </p>
      ) : null}
    </section>
  );
}
