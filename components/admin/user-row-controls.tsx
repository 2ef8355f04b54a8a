"use client";

import { useRouter } from "next/navigation";
import { updateUserAction } from "@/app/(console)/admin/users/actions";
import { ActionError, useActionRunner } from "@/components/console/action-runner";

/** Role and enabled state of one user, changed in place; refusals (the last admin) are shown. */
export function UserRowControls({ userId, email, role, disabled }: { userId: string; email: string; role: "admin" | "reviewer"; disabled: boolean }) {
  const router = useRouter();
  const { error, pending, run } = useActionRunner();
  const apply = (change: { role?: "admin" | "reviewer"; disabled?: boolean }) => run(() => updateUserAction({ userId, ...change }), () => router.refresh());
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
        <ActionError error={error} />
      </td>
    </>
  );
}
