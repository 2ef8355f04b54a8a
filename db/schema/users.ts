import { bigserial, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** People who sign in to the console: reviewers work the queue, admins also tune and manage. */
export const users = pgTable("users", {
  id: text().primaryKey(),
  /** Stored lower-case; the sign-in name. */
  email: text().notNull().unique(),
  name: text().notNull(),
  /** admin | reviewer */
  role: text().notNull(),
  /** argon2id (PHC string). */
  passwordHash: text().notNull(),
  disabledAt: timestamp({ withTimezone: true }),
  lastSignInAt: timestamp({ withTimezone: true }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * Console sessions. The browser holds a signed token naming a row here; every request checks
 * the row, so signing out, disabling a user or the session's expiry take effect at once and
 * on every instance.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Absolute end of the session; it is not extended by activity. */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    ip: text(),
    userAgent: text(),
  },
  (t) => [index().on(t.userId)],
);

/** Failed sign-ins, counted per e-mail and per client address for the sign-in rate limit. */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    email: text().notNull(),
    ip: text().notNull(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.email, t.at), index().on(t.ip, t.at)],
);
