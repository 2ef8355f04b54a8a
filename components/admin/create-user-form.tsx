"use client";

import { useState, useTransition } from "react";
import { createUserAction } from "@/app/(console)/admin/users/actions";
import { actionErrorText } from "@/components/console/action-runner";

/** Creates a user; the generated password is shown once, to hand over by a safe channel. */
export function CreateUserForm() {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"reviewer" | "admin">("reviewer");
  const [result, setResult] = useState<{ tone: "error" | "info"; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <form
      className="panel inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(async () => {
          const r = await createUserAction({ email, role });
          if (!r.ok) setResult({ tone: "error", text: actionErrorText(r.error) });
          else {
            setResult({ tone: "info", text: `Created ${r.data.email}. Password (shown once): ${r.data.password}` });
            setEmail("");
          }
        });
      }}
    >
      <label className="grow">
        E-mail
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as "reviewer" | "admin")}>
          <option value="reviewer">Reviewer</option>
          <option value="admin">Admin</option>
        </select>
      </label>
      <button type="submit" disabled={pending}>
        Add user
      </button>
      {result ? (
        <p role={result.tone === "error" ? "alert" : "status"} className={result.tone === "error" ? "error" : "notice"}>
          {result.text}
        </p>
      ) : null}
    </form>
  );
}
