"use server";

import { AuthError } from "next-auth";
import { signIn, signOut } from "@/lib/auth/config";

export interface SignInState {
  error: string | null;
  email: string;
}

/** Only same-site paths: `next` comes from the URL and must not send a user elsewhere. */
function safeNext(value: FormDataEntryValue | null): string {
  const next = typeof value === "string" ? value : "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/queue";
}

export async function signInAction(_previous: SignInState, formData: FormData): Promise<SignInState> {
  const email = String(formData.get("email") ?? "").slice(0, 254);
  try {
    // On success this redirects (throws Next's redirect signal, which must propagate).
    await signIn("credentials", { email, password: String(formData.get("password") ?? ""), redirectTo: safeNext(formData.get("next")) });
  } catch (error) {
    if (error instanceof AuthError) {
      const code = (error as AuthError & { code?: string }).code;
      return { email, error: code === "rate_limited" ? "Too many failed sign-ins. Try again in 15 minutes." : "Wrong e-mail or password." };
    }
    throw error;
  }
  return { email, error: null };
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}
