"use client";

import { useActionState } from "react";
import { signInAction } from "@/app/login/actions";

export function LoginForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState(signInAction, { error: null, email: "" });
  return (
    <form action={action} className="panel form" noValidate>
      <input type="hidden" name="next" value={next} />
      <label>
        E-mail
        <input name="email" type="email" autoComplete="username" required autoFocus defaultValue={state.email} />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {state.error ? (
        <p role="alert" className="error">
          {state.error}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
