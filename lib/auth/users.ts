import "server-only";
import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { and, count, eq, gt, isNull, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { isUniqueViolation } from "@/db/errors";
import { sessions, signInFailures, users } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import { appendAudit } from "@/lib/review/audit";

export type Role = "admin" | "reviewer";
export type User = typeof users.$inferSelect;

/** What the console knows about the signed-in person. */
export interface ConsoleUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** user:<id>: how this person appears in the audit trail and in claims. */
  actor: string;
}

export const roleSchema = z.enum(["admin", "reviewer"]);
export const emailSchema = z.string().trim().toLowerCase().email().max(254);
/** NIST SP 800-63B: at least 8 characters, long passphrases allowed. */
export const passwordSchema = z.string().min(10, "A password has at least 10 characters.").max(256);

/**
 * argon2id with OWASP's first recommended setting (m = 19 MiB, t = 2, p = 1): about 30 ms
 * here, slow enough for guessing, cheap enough for a sign-in.
 */
const ARGON2 = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** A hash nobody's password verifies against, so unknown e-mails take as long as known ones. */
let dummyHash: Promise<string> | undefined;

export function toConsoleUser(user: Pick<User, "id" | "email" | "name" | "role">): ConsoleUser {
  return { id: user.id, email: user.email, name: user.name, role: user.role as Role, actor: `user:${user.id}` };
}

/** A readable random password: 20 base62 characters (~119 bits). */
export function generatePassword(): string {
  const chars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
  return Array.from(randomBytes(20), (b) => chars[b % chars.length]).join("");
}

export async function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export async function createUser(db: Database, input: { email: string; name?: string; role: Role; password: string }): Promise<User> {
  const email = emailSchema.parse(input.email);
  const password = passwordSchema.parse(input.password);
  const role = roleSchema.parse(input.role);
  const taken = () => new AppError("EMAIL_TAKEN", `A user with e-mail ${email} already exists.`);
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
  if (existing) throw taken();
  try {
    const [user] = await db
      .insert(users)
      .values({ id: newId("usr"), email, name: input.name?.trim() || email.split("@")[0], role, passwordHash: await hashPassword(password) })
      .returning();
    return user;
  } catch (error) {
    // Created by someone else between the check and the insert (two admins, two instances).
    if (isUniqueViolation(error)) throw taken();
    throw error;
  }
}

export async function getUser(db: Database, id: string): Promise<User | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

export async function listUsers(db: Database): Promise<User[]> {
  return db.select().from(users).orderBy(users.email);
}

export async function countUsers(db: Database): Promise<number> {
  const [{ n }] = await db.select({ n: count() }).from(users);
  return n;
}

/** Sign-in limits: failures within the window, per e-mail (guessing one account) and per client address (spraying many). */
export const SIGN_IN_LIMITS = { windowMinutes: 15, perEmail: 5, perIp: 30 };

/**
 * Checks an e-mail and password. Refuses with SIGN_IN_RATE_LIMITED once an e-mail or a client
 * address has too many recent failures (checked before the password, so a locked-out guesser
 * learns nothing), INVALID_CREDENTIALS for a wrong e-mail, wrong password or disabled user
 * (the same answer for each, so accounts cannot be enumerated). Failures are recorded.
 */
export async function checkCredentials(db: Database, input: { email: string; password: string; ip: string }): Promise<User> {
  const email = String(input.email ?? "").trim().toLowerCase().slice(0, 254);
  const since = new Date(Date.now() - SIGN_IN_LIMITS.windowMinutes * 60_000);
  const [[byEmail], [byIp]] = await Promise.all([
    db.select({ n: count() }).from(signInFailures).where(and(eq(signInFailures.email, email), gt(signInFailures.at, since))),
    db.select({ n: count() }).from(signInFailures).where(and(eq(signInFailures.ip, input.ip), gt(signInFailures.at, since))),
  ]);
  if (byEmail.n >= SIGN_IN_LIMITS.perEmail || byIp.n >= SIGN_IN_LIMITS.perIp) {
    throw new AppError("SIGN_IN_RATE_LIMITED", `Too many failed sign-ins. Try again in ${SIGN_IN_LIMITS.windowMinutes} minutes.`);
  }
  const [user] = await db.select().from(users).where(and(eq(users.email, email), isNull(users.disabledAt))).limit(1);
  dummyHash ??= hashPassword(generatePassword());
  const ok = await verify(user?.passwordHash ?? (await dummyHash), String(input.password ?? "").slice(0, 256)).catch(() => false);
  if (!user || !ok) {
    await db.insert(signInFailures).values({ email, ip: input.ip });
    throw new AppError("INVALID_CREDENTIALS", "Wrong e-mail or password.");
  }
  await db.update(users).set({ lastSignInAt: new Date() }).where(eq(users.id, user.id));
  return user;
}

/**
 * Changes a user's role or disables / re-enables them, with an audit event. The last active
 * admin can be neither demoted nor disabled: a transaction-scoped advisory lock orders
 * concurrent changes, so two admins demoting each other cannot both succeed. Disabling ends
 * the user's sessions at once.
 */
export async function updateUser(db: Database, input: { actor: string; userId: string; role?: Role; disabled?: boolean }): Promise<User> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7433002)`);
    const [user] = await tx.select().from(users).where(eq(users.id, input.userId)).limit(1);
    if (!user) throw new AppError("NOT_FOUND", "No such user.");
    const role = input.role ? roleSchema.parse(input.role) : (user.role as Role);
    const disabled = input.disabled ?? user.disabledAt !== null;
    const losesAdmin = user.role === "admin" && user.disabledAt === null && (role !== "admin" || disabled);
    if (losesAdmin) {
      const [{ n }] = await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, user.id)));
      if (n === 0) throw new AppError("LAST_ADMIN", "This is the last active admin: make another user admin first.");
    }
    const [updated] = await tx
      .update(users)
      .set({ role, disabledAt: disabled ? (user.disabledAt ?? new Date()) : null })
      .where(eq(users.id, user.id))
      .returning();
    if (disabled && !user.disabledAt) {
      await tx.update(sessions).set({ revokedAt: new Date() }).where(and(eq(sessions.userId, user.id), isNull(sessions.revokedAt)));
    }
    await appendAudit(tx, {
      actor: input.actor,
      action: "user.updated",
      before: { userId: user.id, role: user.role, disabled: user.disabledAt !== null },
      after: { userId: user.id, role: updated.role, disabled: updated.disabledAt !== null },
    });
    return updated;
  });
}
