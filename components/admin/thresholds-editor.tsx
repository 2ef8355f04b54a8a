"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, useTransition } from "react";
import { backtestThresholdsAction, saveThresholdsAction } from "@/app/(console)/admin/thresholds/actions";
import { actionErrorText } from "@/components/console/action-runner";
import { checkLabels } from "@/components/console/format";
import type { BacktestResult } from "@/lib/thresholds/backtest";
import type { CheckKind, PolicyBands } from "@/lib/verification/policy";
import { ThresholdsBacktest } from "./thresholds-backtest";

type Inputs = Record<string, { approve: string; review: string }>;

export interface ThresholdsEditorProps {
  projectId: string;
  activeVersion: number;
  activeBands: PolicyBands;
  /** The checks the policy bands, in display order. */
  checks: CheckKind[];
}

const WINDOWS = [
  { value: "", label: "All past verifications" },
  { value: "7", label: "Last 7 days" },
  { value: "30", label: "Last 30 days" },
  { value: "90", label: "Last 90 days" },
  { value: "365", label: "Last 365 days" },
];

function toInputs(bands: PolicyBands, checks: CheckKind[]): Inputs {
  return Object.fromEntries(checks.map((c) => [c, { approve: String(bands[c].approve), review: String(bands[c].review) }]));
}

/** The inputs as bands, or a message per field that is not a limit in 0..1 or is out of order. */
function parseInputs(inputs: Inputs, checks: CheckKind[]): { bands: PolicyBands | null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const bands: Record<string, { approve: number; review: number }> = {};
  for (const check of checks) {
    const values = { approve: Number(inputs[check].approve), review: Number(inputs[check].review) };
    for (const limit of ["approve", "review"] as const) {
      const raw = inputs[check][limit].trim();
      if (raw === "" || !Number.isFinite(values[limit]) || values[limit] < 0 || values[limit] > 1) errors[`${check}.${limit}`] = "Enter a number from 0 to 1.";
    }
    if (!errors[`${check}.approve`] && !errors[`${check}.review`] && values.review > values.approve) errors[`${check}.review`] = "Review must not be above approve.";
    bands[check] = values;
  }
  return { bands: Object.keys(errors).length ? null : (bands as PolicyBands), errors };
}

/**
 * Edits a project's bands: approve / review limits per check, a backtest of the proposal over
 * past verifications, then "Save as version N+1" with a required reason. Saving stays disabled
 * until a backtest ran for exactly the values on screen.
 */
export function ThresholdsEditor({ projectId, activeVersion, activeBands, checks }: ThresholdsEditorProps) {
  const router = useRouter();
  const [inputs, setInputs] = useState<Inputs>(() => toInputs(activeBands, checks));
  const [windowDays, setWindowDays] = useState("");
  const [reason, setReason] = useState("");
  const [backtest, setBacktest] = useState<{ key: string; result: BacktestResult } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const [running, setRunning] = useState<"backtest" | "save" | null>(null);
  const [shownVersion, setShownVersion] = useState(activeVersion);
  const resultsHeading = useRef<HTMLHeadingElement>(null);

  // A new active version (this save, a rollback, another admin): start again from its bands.
  if (shownVersion !== activeVersion) {
    setShownVersion(activeVersion);
    setInputs(toInputs(activeBands, checks));
    setBacktest(null);
  }

  const { bands, errors } = parseInputs(inputs, checks);
  const days = windowDays ? Number(windowDays) : null;
  const key = bands ? JSON.stringify({ bands, days, activeVersion }) : null;
  const backtestCurrent = backtest !== null && backtest.key === key;
  const changed = bands !== null && checks.some((c) => bands[c].approve !== activeBands[c].approve || bands[c].review !== activeBands[c].review);
  const blocker = !bands
    ? "Correct the limits first."
    : !changed
      ? `These are the bands of v${activeVersion}: change a limit to propose a new version.`
      : !backtestCurrent
        ? "Run the backtest for these values before saving."
        : !reason.trim()
          ? "Give a reason for the change."
          : null;

  const edit = (check: string, limit: "approve" | "review", value: string) => {
    setInputs((prev) => ({ ...prev, [check]: { ...prev[check], [limit]: value } }));
    setNotice(null);
  };

  const runBacktest = () => {
    if (!bands || !key) return;
    setError(null);
    setNotice(null);
    setRunning("backtest");
    startTransition(async () => {
      const r = await backtestThresholdsAction({ projectId, bands, days });
      setRunning(null);
      if (!r.ok) {
        setError(actionErrorText(r.error));
        return;
      }
      setBacktest({ key, result: r.data });
      requestAnimationFrame(() => resultsHeading.current?.focus());
    });
  };

  const save = () => {
    if (!bands || blocker) return;
    setError(null);
    setRunning("save");
    startTransition(async () => {
      const r = await saveThresholdsAction({ projectId, bands, reason, baseVersion: activeVersion });
      setRunning(null);
      if (!r.ok) {
        setError(actionErrorText(r.error));
        return;
      }
      setReason("");
      setNotice(`Saved as v${r.data.version}. Verifications made from now on are decided under it; past ones keep the version they were decided under.`);
      router.refresh();
    });
  };

  return (
    <section className="panel thresholds-editor" aria-labelledby="editor-heading" data-testid="thresholds-editor">
      <h2 id="editor-heading">Propose new bands</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          runBacktest();
        }}
      >
        <table className="limits">
          <caption className="sr-only">Limits per check: a score at or above “approve from” approves, at or above “review from” goes to review, below rejects.</caption>
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Review from</th>
              <th scope="col">Approve from</th>
              <th scope="col">Now (v{activeVersion})</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((check) => {
              const label = checkLabels[check] ?? check;
              return (
                <tr key={check}>
                  <th scope="row">{label}</th>
                  {(["review", "approve"] as const).map((limit) => {
                    const field = `${check}.${limit}`;
                    const fieldError = errors[field];
                    return (
                      <td key={limit}>
                        <input
                          type="number"
                          inputMode="decimal"
                          step="0.01"
                          min={0}
                          max={1}
                          name={field}
                          aria-label={`${label} ${limit} from`}
                          aria-invalid={fieldError ? true : undefined}
                          aria-describedby={fieldError ? `${field}-error` : undefined}
                          value={inputs[check][limit]}
                          onChange={(e) => edit(check, limit, e.target.value)}
                          data-changed={Number(inputs[check][limit]) !== activeBands[check][limit] ? "true" : undefined}
                        />
                        {fieldError ? (
                          <span id={`${field}-error`} className="error small">
                            {fieldError}
                          </span>
                        ) : null}
                      </td>
                    );
                  })}
                  <td className="muted">
                    {activeBands[check].review} / {activeBands[check].approve}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <div className="inline-form">
          <label>
            Backtest over
            <select value={windowDays} onChange={(e) => setWindowDays(e.target.value)} name="days">
              {WINDOWS.map((w) => (
                <option key={w.value} value={w.value}>
                  {w.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={pending || !bands}>
            {running === "backtest" ? "Running backtest…" : "Backtest"}
          </button>
          <button
            type="button"
            disabled={pending}
            onClick={() => {
              setInputs(toInputs(activeBands, checks));
              setBacktest(null);
              setError(null);
            }}
          >
            Reset to v{activeVersion}
          </button>
        </div>
      </form>

      {backtest ? (
        <div className={backtestCurrent ? undefined : "stale"} aria-live="polite">
          {!backtestCurrent ? <p className="notice">The limits changed since this backtest: run it again before saving.</p> : null}
          <ThresholdsBacktest result={backtest.result} headingRef={resultsHeading} />
        </div>
      ) : null}

      <form
        className="save-form"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <label>
          Reason for the change (required; kept with the version and in the audit trail)
          <textarea name="reason" rows={2} maxLength={500} required value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <div className="buttons">
          <button type="submit" className="primary" disabled={pending || blocker !== null} aria-describedby="save-blocker">
            {running === "save" ? "Saving…" : `Save as version ${activeVersion + 1}`}
          </button>
          <span id="save-blocker" className="muted small">
            {blocker ?? "Applies to verifications made after saving; past ones keep their bands."}
          </span>
        </div>
      </form>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="notice">
          {notice}
        </p>
      ) : null}
    </section>
  );
}
