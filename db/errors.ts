/**
 * True when `error` (or one of its causes: drizzle wraps driver errors) is a PostgreSQL
 * unique violation (SQLSTATE 23505), as PGlite and node-postgres both report it.
 */
export function isUniqueViolation(error: unknown): boolean {
  return someCause(error, (e) => (e as { code?: string }).code === "23505");
}

/** Walks `error` and its causes (drizzle's DrizzleQueryError holds the driver's error as `cause`). */
function someCause(error: unknown, test: (e: object) => boolean): boolean {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    if (test(e)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * SQLSTATEs of a server that went away or is not taking connections: class 08 (connection
 * exception), 57P01-57P03 (terminated by an administrator's or a crash shutdown, cannot connect
 * now: starting up, shutting down, in recovery) and 53300 (too many connections).
 * https://www.postgresql.org/docs/15/errcodes-appendix.html
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;

/** Socket errors of node:net when the server cannot be reached or the connection is cut. */
const UNAVAILABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);

/**
 * node-postgres reports a connection that ended, a client left broken by it and a pool that
 * could not connect in time with plain Errors (no code); these are their messages (pg 8, pg-pool 3).
 */
const UNAVAILABLE_MESSAGE = [
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "Client has encountered a connection error and is not queryable",
  "Client was closed and is not queryable",
  "timeout exceeded when trying to connect",
];

/**
 * True when `error` says the database cannot be reached right now (a PostgreSQL restart, a
 * failover, a network cut) rather than that the query was wrong: the request may succeed if
 * it is tried again in a moment. A transaction that failed this way may or may not have
 * committed (the connection can drop after COMMIT was sent and before its answer came back).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someCause(error, (e) => {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
    // An AggregateError of node:net (every address of a host refused) carries the errno only in `errors`.
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some((x) => UNAVAILABLE_ERRNO.has((x as { code?: string })?.code ?? ""))) return true;
    const message = (e as { message?: unknown }).message;
    return typeof message === "string" && UNAVAILABLE_MESSAGE.some((m) => message.startsWith(m));
  });
}

/**
 * A one-line description of a database error for the server log: the driver's code and
 * message under drizzle's "Failed query: <sql> params: <values>" wrapper, which would print
 * the statement and its values (input) on every failure of a loop while the database is down.
 */
export function describeDatabaseError(error: unknown): string {
  let e: unknown = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" ? `${code} ${e.message}` : e.message;
}
