"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { reopenAction } from "@/app/(console)/records/actions";
import { actionErrorText } from "@/components/console/action-runner";

/** Sends a decided verification back to review, with the reason recorded in the audit trail. */
export function ReopenForm({ verificationId, rejectedByChecks }: { verificationId: string; rejectedByChecks: boolean }) {
  const router = useRouter();
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <form
      className="panel inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(async () => {
          const result = await reopenAction({ verificationId, note });
          if (!result.ok) setError(actionErrorText(result.error));
          else router.push(`/cases/${result.data.caseId}`);
        });
      }}
    >
      <label className="grow">
        Reopen for review: why?
        <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} required placeholder="e.g. the applicant appealed with a new photo" />
      </label>
      <button type="submit" disabled={pending || !note.trim()}>
        Reopen
      </button>
      {rejectedByChecks ? <span className="muted small">The checks rejected it: an approval will need a second reviewer.</span> : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </form>
  );
}
