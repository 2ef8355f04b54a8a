import Link from "next/link";
import type { ReactNode } from "react";
import { signOutAction } from "@/app/login/actions";
import { Providers } from "@/components/providers";
import { getCurrentUser } from "@/lib/auth/guard";

/**
 * The console frame: navigation and the signed-in user. Each page checks the session and the
 * role itself (a layout is not re-run on client navigation, so it cannot be the guard).
 */
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await getCurrentUser();
  return (
    <Providers>
      <header className="topbar">
        <Link href="/queue" className="brand">
          Vigil
        </Link>
        {user ? (
          <nav aria-label="Console">
            <Link href="/queue">Queue</Link>
            <Link href="/records">Records</Link>
            <Link href="/verify">Verify</Link>
            <Link href="/gallery">Gallery</Link>
            <Link href="/docs/api">API</Link>
            {user.role === "admin" ? <Link href="/admin/users">Admin</Link> : null}
          </nav>
        ) : null}
        {user ? (
          <form action={signOutAction} className="who">
            <span title={user.role}>
              {user.email} · {user.role}
            </span>
            <button type="submit">Sign out</button>
          </form>
        ) : null}
      </header>
      <div className="console">{children}</div>
    </Providers>
  );
}
