import "server-only";
import { forbidden, redirect } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/db/client";
import { AppError } from "@/lib/errors";
import { auth } from "./config";
import { getSessionUser } from "./sessions";
import type { ConsoleUser, Role } from "./users";

/** The signed-in console user of this request, or null. Cached for the request. */
export const getCurrentUser = cache(async (): Promise<ConsoleUser | null> => {
  const session = await auth();
  if (!session?.sessionId) return null;
  return getSessionUser(await getDb(), session.sessionId);
});

function allowed(user: ConsoleUser, role: Role | undefined): boolean {
  return role !== "admin" || user.role === "admin";
}

/**
 * For pages: the signed-in user, else a redirect to /login that comes back to `path`;
 * a user without the role gets the 403 page.
 */
export async function requirePageUser(path: string, role?: Role): Promise<ConsoleUser> {
  const user = await getCurrentUser();
  if (!user) redirect(`/login?next=${encodeURIComponent(path)}`);
  if (!allowed(user, role)) forbidden();
  return user;
}

/** For server actions and console route handlers: throws UNAUTHORIZED or FORBIDDEN. */
export async function requireUser(role?: Role): Promise<ConsoleUser> {
  const user = await getCurrentUser();
  if (!user) throw new AppError("UNAUTHORIZED", "Your session has ended. Sign in again.");
  if (!allowed(user, role)) throw new AppError("FORBIDDEN", "This needs the admin role.");
  return user;
}
