"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState, useTransition } from "react";
import { decideAction, releaseAction, renewClaimAction } from "@/app/(console)/cases/[id]/actions";
import { claimNextAction } from "@/app/(console)/queue/actions";
import { actionErrorText } from "@/components/console/action-runner";
import { isTypingOrModified } from "@/components/console/format";
import { ShortcutsHelp } from "@/components/console/shortcuts-help";
import type { ReasonCode } from "@/lib/review/reasons";
import { viewerShortcuts } from "./case-images";
import { duplicateShortcuts, useDuplicateVerdicts } from "./duplicate-verdicts";

/** The open page renews the lease every minute, or three times per lease when leases are shorter. */
function renewEveryMs(claimExpiresAt: string | null): number {
  const left = claimExpiresAt ? Date.parse(claimExpiresAt) - Date.now() : 600_000;
  return Math.max(5_000, Math.min(60_000, left / 3));
}

type Decision = "approve" | "reject" | "resubmit";

export interface DecisionPanelProps {
  caseId: string;
  held: boolean;
  stage: "decision" | "confirmation";
  status: "open" | "claimed" | "decided";
  claimExpiresAt: string | null;
  holder: string | null;
  proposal: { decision: string | null; reasonCode: string | null; note: string | null; by: string | null } | null;
  proposedByMe: boolean;
  automaticBand: string | null;
  reasonCodes: ReasonCode[];
}

/**
 * The reviewer's controls: approve / reject (with a reason) / request resubmission, keyboard
 * first, then straight on to the next case. Keeps the lease alive while the page is open.
 */
export function DecisionPanel(props: DecisionPanelProps) {
  const { caseId, held, stage, reasonCodes } = props;
  const router = useRouter();
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [message, setMessage] = useState<{ tone: "error" | "info"; text: string } | null>(null);
  const [leaseUntil, setLeaseUntil] = useState(props.claimExpiresAt);
  const [lost, setLost] = useState(false);
  const [pending, startTransition] = useTransition();
  const reasonRef = useRef<HTMLSelectElement>(null);
  // Set once the shortcuts listen: tests and the benchmark wait for it before pressing keys.
  const [keysReady, setKeysReady] = useState(false);
  const canAct = held && !lost && props.status === "claimed" && !props.proposedByMe;
  const confirming = stage === "confirmation";
  const needsSecondReviewer = !confirming && props.automaticBand === "reject";
  const { candidates: duplicates } = useDuplicateVerdicts();
  const enrolledAs = duplicates.filter((d) => d.verdict === "same").map((d) => d.personName);

  useEffect(() => {
    if (!held) return;
    const timer = setInterval(async () => {
      const result = await renewClaimAction(caseId);
      if (result.ok) setLeaseUntil(result.data.claimExpiresAt);
      else {
        setLost(true);
        setMessage({ tone: "error", text: actionErrorText(result.error) });
      }
    }, renewEveryMs(props.claimExpiresAt));
    return () => clearInterval(timer);
  }, [caseId, held, props.claimExpiresAt]);

  const goNext = useCallback(
    async (skip: boolean) => {
      const next = await claimNextAction({ skipCaseId: skip ? caseId : undefined });
      if (!next.ok) setMessage({ tone: "error", text: actionErrorText(next.error) });
      else if (next.data.caseId) router.push(`/cases/${next.data.caseId}`);
      else router.push("/queue?empty=1");
    },
    [caseId, router],
  );

  const decide = useCallback(
    (decision: Decision) => {
      if (!canAct || pending) return;
      if (decision === "reject" && !reason) {
        setMessage({ tone: "error", text: "Choose a reason to reject (keys 1-" + reasonCodes.length + "), then press R again." });
        reasonRef.current?.focus();
        return;
      }
      startTransition(async () => {
        const result = await decideAction({ caseId, decision, reasonCode: reason || null, note: note || null });
        if (!result.ok) {
          setMessage({ tone: "error", text: actionErrorText(result.error) });
          return;
        }
        setMessage({ tone: "info", text: result.data.outcome === "awaiting_confirmation" ? "Approval proposed: a second reviewer must confirm it. Opening the next case…" : "Decision saved. Opening the next case…" });
        await goNext(false);
      });
    },
    [canAct, pending, reason, note, caseId, goNext, reasonCodes.length],
  );

  const skip = useCallback(() => {
    startTransition(async () => {
      if (held && !lost) await releaseAction(caseId);
      await goNext(true);
    });
  }, [held, lost, caseId, goNext]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTypingOrModified(event)) return;
      const key = event.key.toLowerCase();
      if (key === "a") decide("approve");
      else if (key === "r") decide("reject");
      else if (key === "s" && !confirming) decide("resubmit");
      else if (key === "n") skip();
      else if (/^[1-9]$/.test(key) && canAct) {
        const code = reasonCodes[Number(key) - 1];
        if (code) setReason(code.code);
      } else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    setKeysReady(true);
    return () => window.removeEventListener("keydown", onKey);
  }, [decide, skip, canAct, confirming, reasonCodes]);

  const shortcuts = [
    { key: "A", action: confirming ? "Confirm the proposed approval" : "Approve" },
    { key: "R", action: confirming ? "Turn the approval down (reject)" : "Reject (choose a reason first)" },
    ...(confirming ? [] : [{ key: "S", action: "Request resubmission" }]),
    { key: `1-${reasonCodes.length}`, action: "Choose a reason" },
    { key: "N", action: "Skip: put this case back and take the next" },
    ...(canAct && duplicates.length > 0 ? duplicateShortcuts : []),
    ...viewerShortcuts,
    { key: "?", action: "Show or hide shortcuts" },
  ];

  return (
    <section className="panel decision" aria-label="Decision" data-testid="decision-panel" data-case-id={caseId} data-keys-ready={keysReady}>
      <div className="decision-head">
        <CaseState {...props} lost={lost} leaseUntil={leaseUntil} />
        <ShortcutsHelp shortcuts={shortcuts} />
      </div>
      {confirming && props.proposal ? (
        <p className="notice" data-testid="proposal">
          Four eyes: <strong>{props.proposal.by ?? "a reviewer"}</strong> proposes to <strong>approve</strong> a verification the automatic checks rejected
          {props.proposal.note ? ` - "${props.proposal.note}"` : ""}. {props.proposedByMe ? "A different reviewer must confirm it." : "Confirm it or turn it down."}
        </p>
      ) : null}
      {needsSecondReviewer && canAct ? <p className="muted small">The checks rejected this verification: approving it will need a second reviewer&apos;s confirmation.</p> : null}
      {enrolledAs.length > 0 ? (
        <p className="notice" data-testid="enrolled-hint">
          Already enrolled as <strong>{enrolledAs.join(", ")}</strong>: the possible duplicate below was marked the same person. This case still needs its own
          decision.
        </p>
      ) : null}
      {canAct ? (
        <div className="decision-form">
          <label>
            Reason
            <select ref={reasonRef} value={reason} onChange={(e) => setReason(e.target.value)} aria-describedby="reason-help">
              <option value="">(none)</option>
              {reasonCodes.map((r, i) => (
                <option key={r.code} value={r.code}>
                  {i + 1}. {r.label}
                </option>
              ))}
            </select>
          </label>
          <span id="reason-help" className="muted small">
            Required to reject.
          </span>
          <label className="grow">
            Note (optional)
            <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} placeholder="What you saw" />
          </label>
          <div className="buttons">
            <button type="button" className="approve" onClick={() => decide("approve")} disabled={pending} aria-keyshortcuts="A">
              {confirming ? "Confirm approval (A)" : "Approve (A)"}
            </button>
            <button type="button" className="reject" onClick={() => decide("reject")} disabled={pending} aria-keyshortcuts="R">
              {confirming ? "Turn down (R)" : "Reject (R)"}
            </button>
            {confirming ? null : (
              <button type="button" onClick={() => decide("resubmit")} disabled={pending} aria-keyshortcuts="S">
                Request resubmission (S)
              </button>
            )}
            <button type="button" className="link" onClick={skip} disabled={pending} aria-keyshortcuts="N">
              Skip, next case (N)
            </button>
            <button
              type="button"
              className="link"
              disabled={pending}
              onClick={() =>
                startTransition(async () => {
                  const result = await releaseAction(caseId);
                  if (result.ok) router.push("/queue");
                  else setMessage({ tone: "error", text: actionErrorText(result.error) });
                })
              }
            >
              Release to queue
            </button>
          </div>
        </div>
      ) : (
        <div className="buttons">
          <button type="button" className="primary" onClick={() => startTransition(() => goNext(false))} disabled={pending} aria-keyshortcuts="N">
            Next case (N)
          </button>
        </div>
      )}
      {message ? (
        <p role={message.tone === "error" ? "alert" : "status"} className={message.tone === "error" ? "error" : "notice"}>
          {message.text}
        </p>
      ) : null}
    </section>
  );
}

function CaseState(props: DecisionPanelProps & { lost: boolean; leaseUntil: string | null }) {
  if (props.status === "decided") return <strong>This case is decided.</strong>;
  if (props.lost) return <strong className="bad">You no longer hold this case.</strong>;
  if (props.proposedByMe) return <strong>You proposed this approval; it waits for a second reviewer.</strong>;
  if (props.held)
    return (
      <span>
        <strong>You hold this case</strong>
        <span className="muted"> · lease until {props.leaseUntil ? new Date(props.leaseUntil).toLocaleTimeString() : "-"}, renewed while this page is open</span>
      </span>
    );
  if (props.holder) return <strong>Claimed by {props.holder}: read-only.</strong>;
  return <strong>Open.</strong>;
}
