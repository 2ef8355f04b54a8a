"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { updateUserAction } from "@/app/(console)/admin/users/actions";

/** Role and enabled state of one user, changed in place; refusals (the last admin) are shown. */
export function UserRowControls({ userId, email, role, disabled }: { userId: string; email: string; role: "admin" | "reviewer"; disabled: boolean }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const apply = (change: { role?: "admin" | "reviewer"; disabled?: boolean }) =>
    startTransition(async () => {
      const result = await updateUserAction({ userId, ...change });
      if (!result.ok) setError(`${result.error.message} (${result.error.code})`);
      else {
        setError(null);
        router.refresh();
      }
    });
  return (
    <>
      <td>
        <select aria-label={`Role of ${email}`} value={role} disabled={pending} onChange={(e) => apply({ role: e.target.value as "admin" | "reviewer" })}>
          <option value="reviewer">reviewer</option>
          <option value="admin">admin</option>
        </select>
      </td>
      <td>
        <button type="button" disabled={pending} onClick={() => apply({ disabled: !disabled })}>
          {disabled ? "Enable" : "Disable"}
        </button>
        {error ? (
          <p role="alert" className="error small">
            {error}
          </p>
        ) : null}
      </td>
    </>
  );
}
