"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/http/action";

/** How the console shows a server action's refusal: its message, then its stable code. */
export function actionErrorText(error: { code: string; message: string }): string {
  return `${error.message} (${error.code})`;
}

/**
 * Runs server actions from a control: `pending` while one runs, its refusal kept in `error`
 * (cleared by the next success) for <ActionError>, and `onOk` with its data after a success.
 */
export function useActionRunner() {
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const run = <T,>(action: () => Promise<ActionResult<T>>, onOk?: (data: T) => void) =>
    startTransition(async () => {
      const result = await action();
      if (!result.ok) {
        setError(actionErrorText(result.error));
        return;
      }
      setError(null);
      onOk?.(result.data);
    });
  return { error, pending, run };
}

/** A refusal from useActionRunner, announced to screen readers; nothing when there is none. */
export function ActionError({ error }: { error: string | null }) {
  return error ? (
    <p role="alert" className="error small">
      {error}
    </p>
  ) : null;
}

/**
 * A button that asks `confirm` (window.confirm) and, if the user agrees, runs `action` through
 * useActionRunner: disabled while it runs, showing `pendingLabel` then, its refusal below it,
 * `onOk` after a success. The console's destructive buttons (revoke a key, delete a person or a
 * collection) are this with their own wording.
 */
export function ConfirmedActionButton<T>(props: {
  label: string;
  pendingLabel?: string;
  ariaLabel?: string;
  className?: string;
  confirm: () => string;
  action: () => Promise<ActionResult<T>>;
  onOk: (data: T) => void;
}) {
  const { error, pending, run } = useActionRunner();
  return (
    <>
      <button
        type="button"
        className={props.className ?? "reject"}
        disabled={pending}
        aria-label={props.ariaLabel}
        onClick={() => {
          if (!window.confirm(props.confirm())) return;
          run(props.action, props.onOk);
        }}
      >
        {pending ? (props.pendingLabel ?? props.label) : props.label}
      </button>
      <ActionError error={error} />
    </>
  );
}
