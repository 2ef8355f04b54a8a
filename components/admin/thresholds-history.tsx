"use client";

import { useRouter } from "next/navigation";
import { Fragment, useEffect, useRef, useState, useTransition } from "react";
import { rollbackThresholdsAction } from "@/app/(console)/admin/thresholds/actions";
import { actionErrorText } from "@/components/console/action-runner";
import { checkLabels } from "@/components/console/format";
import type { CheckKind, PolicyBands } from "@/lib/verification/policy";

export interface HistoryVersion {
  version: number;
  bands: PolicyBands;
  reason: string;
  /** Who saved it, as shown (an e-mail, or "system"). */
  author: string;
  /** ISO time. */
  createdAt: string;
  active: boolean;
  sameBandsAs: number | null;
  verifications: number;
}

function when(iso: string): string {
  return `${iso.replace("T", " ").slice(0, 16)} UTC`;
}

/** Asks why, then makes version `toVersion`'s bands the next version. Escape cancels. */
function RollbackForm({ projectId, toVersion, activeVersion, onDone, onCancel }: { projectId: string; toVersion: number; activeVersion: number; onDone: (text: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => field.current?.focus(), []);
  return (
    <form
      className="rollback-form"
      onKeyDown={(e) => {
        if (e.key === "Escape") onCancel();
      }}
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        startTransition(async () => {
          const r = await rollbackThresholdsAction({ projectId, toVersion, reason, baseVersion: activeVersion });
          if (!r.ok) setError(actionErrorText(r.error));
          else onDone(`Rolled back: v${r.data.version} has the bands of v${toVersion}. Verifications made from now on are decided under it.`);
        });
      }}
    >
      <label>
        Why roll back to v{toVersion}? (required)
        <textarea ref={field} rows={2} maxLength={500} required value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <div className="buttons">
        <button type="submit" className="primary" disabled={pending || !reason.trim()}>
          Roll back to v{toVersion} as v{activeVersion + 1}
        </button>
        <button type="button" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </form>
  );
}

/** Every version of the project's policy, newest first, each earlier one with "Roll back to vN". */
export function ThresholdsHistory({ projectId, versions, checks }: { projectId: string; versions: HistoryVersion[]; checks: CheckKind[] }) {
  const router = useRouter();
  const [open, setOpen] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const activeVersion = versions.find((v) => v.active)?.version ?? 0;
  const opener = useRef<HTMLButtonElement | null>(null);

  const close = () => {
    setOpen(null);
    requestAnimationFrame(() => opener.current?.focus());
  };

  return (
    <section className="panel" aria-labelledby="history-heading" data-testid="policy-history">
      <h2 id="history-heading">Version history</h2>
      {notice ? (
        <p role="status" className="notice">
          {notice}
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Saved</th>
            <th scope="col">Author</th>
            <th scope="col">Reason</th>
            <th scope="col">Review / approve from</th>
            <th scope="col">Decided</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <Fragment key={v.version}>
              <tr data-testid="policy-version" data-version={v.version} data-active={v.active ? "true" : undefined}>
                <td>
                  v{v.version} {v.active ? <span className="badge approve">active</span> : null}
                  {v.sameBandsAs !== null ? <span className="muted small"> = v{v.sameBandsAs}</span> : null}
                </td>
                <td>{when(v.createdAt)}</td>
                <td>{v.author}</td>
                <td className="reason">{v.reason}</td>
                <td>
                  <ul className="plain small">
                    {checks.map((c) => (
                      <li key={c}>
                        {checkLabels[c] ?? c}: {v.bands[c].review} / {v.bands[c].approve}
                      </li>
                    ))}
                  </ul>
                </td>
                <td title="Verifications stored with this policy version">{v.verifications}</td>
                <td>
                  {v.active ? null : (
                    <button
                      type="button"
                      aria-expanded={open === v.version}
                      onClick={(e) => {
                        opener.current = e.currentTarget;
                        setNotice(null);
                        setOpen(open === v.version ? null : v.version);
                      }}
                    >
                      Roll back to v{v.version}
                    </button>
                  )}
                </td>
              </tr>
              {open === v.version ? (
                <tr>
                  <td colSpan={7}>
                    <RollbackForm
                      projectId={projectId}
                      toVersion={v.version}
                      activeVersion={activeVersion}
                      onCancel={close}
                      onDone={(text) => {
                        setOpen(null);
                        setNotice(text);
                        router.refresh();
                      }}
                    />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  );
}

