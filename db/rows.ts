/** The rows of a raw `db.execute` result: both drivers (PGlite, node-postgres) answer `{ rows }`. */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
