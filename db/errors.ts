/**
 * True when `error` (or one of its causes: drizzle wraps driver errors) is a PostgreSQL
 * unique violation (SQLSTATE 23505), as PGlite and node-postgres both report it.
 */
export function isUniqueViolation(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    if ((e as { code?: string }).code === "23505") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
