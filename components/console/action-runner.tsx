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
