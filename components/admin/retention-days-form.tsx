"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { setRetentionDaysAction } from "@/app/(console)/admin/retention/actions";
import { actionErrorText } from "@/components/console/action-runner";

/** A project's image retention in days (1-3650), saved in place. */
export function RetentionDaysForm({ projectId, projectName, days }: { projectId: string; projectName: string; days: number }) {
  const router = useRouter();
  const [value, setValue] = useState(String(days));
  const [message, setMessage] = useState<{ tone: "error" | "info"; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(async () => {
          const r = await setRetentionDaysAction({ projectId, days: Number(value) });
          if (!r.ok) setMessage({ tone: "error", text: actionErrorText(r.error) });
          else {
            setMessage(r.data.before === r.data.after ? null : { tone: "info", text: `Saved: ${r.data.before} → ${r.data.after} days.` });
            router.refresh();
          }
        });
      }}
    >
      <label>
        <span className="sr-only">Days {projectName} keeps images</span>
        <input type="number" min={1} max={3650} step={1} required value={value} onChange={(e) => setValue(e.target.value)} style={{ width: 96 }} aria-describedby={`retention-unit-${projectId}`} />
      </label>
      <span id={`retention-unit-${projectId}`} className="muted small" style={{ alignSelf: "center" }}>
        days
      </span>
      <button type="submit" disabled={pending || value === String(days)}>
        Save
      </button>
      {message ? (
        <p role={message.tone === "error" ? "alert" : "status"} className={message.tone === "error" ? "error small" : "small"}>
          {message.text}
        </p>
      ) : null}
    </form>
  );
}
