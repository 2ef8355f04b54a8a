import "server-only";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Database } from "@/db/client";
import { sessions, users } from "@/db/schema";
import { newId } from "@/lib/ids";
import { appendAudit } from "@/lib/review/audit";
import type { ConsoleUser, User } from "./users";
import { toConsoleUser } from "./users";

/** Opens a console session for a user who just proved their password. */
export async function openSession(db: Database, user: User, input: { maxAgeSeconds: number; ip: string; userAgent: string | null }): Promise<string> {
  const id = newId("ses");
  await db.transaction(async (tx) => {
    await tx.insert(sessions).values({
      id,
      userId: user.id,
      expiresAt: new Date(Date.now() + input.maxAgeSeconds * 1000),
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 300) ?? null,
    });
    await appendAudit(tx, { actor: `user:${user.id}`, action: "user.signed_in", after: { sessionId: id, ip: input.ip } });
  });
  return id;
}

/**
 * The user behind a session id, or null when the session is unknown, expired or revoked, or
 * the user was disabled. Roles are read here, on every request, so a changed role applies at once.
 */
export async function getSessionUser(db: Database, sessionId: string): Promise<ConsoleUser | null> {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date()), isNull(users.disabledAt)))
    .limit(1);
  return row ? toConsoleUser(row) : null;
}

/** Ends a session (sign-out); later requests carrying it are treated as signed out. */
export async function revokeSession(db: Database, sessionId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.update(sessions).set({ revokedAt: new Date() }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt))).returning();
    if (row) await appendAudit(tx, { actor: `user:${row.userId}`, action: "user.signed_out", after: { sessionId } });
  });
}
