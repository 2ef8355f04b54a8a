import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase } from "@/db/client";
import { auditEvents, sessions, users } from "@/db/schema";
import { errorCodeOf } from "@/lib/testing/errors";
import { getSessionUser, openSession, revokeSession } from "./sessions";
import { SIGN_IN_LIMITS, checkCredentials, createUser, updateUser } from "./users";

describe("console users and sessions", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
    await createUser(handle.db, { email: "Alice@Example.org", role: "reviewer", password: "correct horse battery" });
  });
  afterAll(() => handle.close());

  it("stores an argon2id hash, never the password, and matches e-mails case-insensitively", async () => {
    const [row] = await handle.db.select().from(users).where(eq(users.email, "alice@example.org"));
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.passwordHash).not.toContain("correct horse");
    const user = await checkCredentials(handle.db, { email: " ALICE@example.org ", password: "correct horse battery", ip: "10.0.0.1" });
    expect(user.id).toBe(row.id);
    expect(await errorCodeOf(() => createUser(handle.db, { email: "alice@example.org", role: "admin", password: "another password" }))).toBe("EMAIL_TAKEN");
    await expect(createUser(handle.db, { email: "short@example.org", role: "admin", password: "short" })).rejects.toThrow(/at least 10 characters/);
  });

  it("answers the same for an unknown e-mail and a wrong password, and locks an e-mail after 5 failures", async () => {
    expect(await errorCodeOf(() => checkCredentials(handle.db, { email: "nobody@example.org", password: "whatever it is", ip: "10.0.0.2" }))).toBe("INVALID_CREDENTIALS");
    for (let i = 0; i < SIGN_IN_LIMITS.perEmail; i++) {
      expect(await errorCodeOf(() => checkCredentials(handle.db, { email: "alice@example.org", password: `wrong ${i}`, ip: `10.0.1.${i}` }))).toBe("INVALID_CREDENTIALS");
    }
    // Locked: even the right password is refused until the window passes.
    expect(await errorCodeOf(() => checkCredentials(handle.db, { email: "alice@example.org", password: "correct horse battery", ip: "10.0.0.9" }))).toBe("SIGN_IN_RATE_LIMITED");
  });

  it("limits one client address spraying many e-mails", async () => {
    for (let i = 0; i < SIGN_IN_LIMITS.perIp; i++) {
      await errorCodeOf(() => checkCredentials(handle.db, { email: `spray${i}@example.org`, password: "guess guess", ip: "10.9.9.9" }));
    }
    expect(await errorCodeOf(() => checkCredentials(handle.db, { email: "fresh@example.org", password: "guess guess", ip: "10.9.9.9" }))).toBe("SIGN_IN_RATE_LIMITED");
  });

  it("a session ends when revoked, when it expires and when its user is disabled; roles are read per request", async () => {
    const user = await createUser(handle.db, { email: "bob@example.org", role: "reviewer", password: "bob's long passphrase" });
    const live = await openSession(handle.db, user, { maxAgeSeconds: 3600, ip: "10.0.0.3", userAgent: "test" });
    expect((await getSessionUser(handle.db, live))?.role).toBe("reviewer");
    await handle.db.update(users).set({ role: "admin" }).where(eq(users.id, user.id));
    expect((await getSessionUser(handle.db, live))?.role).toBe("admin");

    const expired = await openSession(handle.db, user, { maxAgeSeconds: 3600, ip: "10.0.0.3", userAgent: null });
    await handle.db.update(sessions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.id, expired));
    expect(await getSessionUser(handle.db, expired)).toBeNull();

    await revokeSession(handle.db, live);
    expect(await getSessionUser(handle.db, live)).toBeNull();

    const other = await openSession(handle.db, user, { maxAgeSeconds: 3600, ip: "10.0.0.3", userAgent: null });
    await handle.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
    expect(await getSessionUser(handle.db, other)).toBeNull();

    const actions = (await handle.db.select({ action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.actor, `user:${user.id}`)).orderBy(auditEvents.seq)).map((e) => e.action);
    expect(actions).toEqual(["user.signed_in", "user.signed_in", "user.signed_out", "user.signed_in"]);
  });
});

describe("user administration", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openMemoryDatabase();
  });
  afterAll(() => handle.close());

  it("never leaves the console without an active admin, even when two admins demote each other at once", async () => {
    const db = handle.db;
    const a = await createUser(db, { email: "a@x.test", role: "admin", password: "admin a passphrase" });
    const b = await createUser(db, { email: "b@x.test", role: "admin", password: "admin b passphrase" });
    const results = await Promise.all([
      errorCodeOf(() => updateUser(db, { actor: `user:${a.id}`, userId: b.id, role: "reviewer" })),
      errorCodeOf(() => updateUser(db, { actor: `user:${b.id}`, userId: a.id, role: "reviewer" })),
    ]);
    expect(results.sort()).toEqual(["LAST_ADMIN", "no error"]);
    const admins = (await db.select().from(users)).filter((u) => u.role === "admin" && !u.disabledAt);
    expect(admins).toHaveLength(1);
    expect(await errorCodeOf(() => updateUser(db, { actor: "system", userId: admins[0].id, disabled: true }))).toBe("LAST_ADMIN");
  });

  it("disabling a user ends their sessions; enabling does not revive them", async () => {
    const db = handle.db;
    const r = await createUser(db, { email: "r@x.test", role: "reviewer", password: "reviewer passphrase" });
    const session = await openSession(db, r, { maxAgeSeconds: 3600, ip: "1.2.3.4", userAgent: null });
    await updateUser(db, { actor: "system", userId: r.id, disabled: true });
    await updateUser(db, { actor: "system", userId: r.id, disabled: false });
    expect(await getSessionUser(db, session)).toBeNull();
    const [row] = await db.select().from(sessions).where(eq(sessions.id, session));
    expect(row.revokedAt).toBeInstanceOf(Date);
  });
});
