import { AppError } from "@/lib/errors";

/**
 * PostgreSQL's text and jsonb cannot hold U+0000: a NUL that reached a query (a name, an id in
 * the path, a collection in the query string) failed it with SQLSTATE 22021 and the caller got
 * a 500. No field of the API has a use for NUL, so requests holding one are refused as
 * INVALID_REQUEST where they are read: the URL in `answerWith`, the body in `readBody`.
 */
function nulError(field: string | null): AppError {
  return new AppError("INVALID_REQUEST", `${field ?? "The request"} must not contain NUL (U+0000) characters.`, { field });
}

/**
 * The path (`metadata.notes`, `images[0]`) of the first string or key holding NUL in a parsed
 * JSON value, "" for a top-level string, or null when there is none. Iterative: a body may
 * nest 100,000 levels deep.
 */
export function findNul(value: unknown): string | null {
  const stack: Array<[unknown, string]> = [[value, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === "object") {
      for (const [key, child] of Object.entries(v)) {
        const childPath = path ? `${path}.${key}` : key;
        if (key.includes("\u0000")) return childPath;
        stack.push([child, childPath]);
      }
    }
  }
  return null;
}

/** Throws INVALID_REQUEST when parsed JSON holds NUL in a string or a key. */
export function assertNoNulInJson(value: unknown): void {
  const at = findNul(value);
  if (at !== null) throw nulError(at || null);
}

/** Throws INVALID_REQUEST when a form field's name or value holds NUL. */
export function assertNoNulInForm(fields: Record<string, string>, fileNames: string[]): void {
  for (const [name, value] of Object.entries(fields)) if (name.includes("\u0000") || value.includes("\u0000")) throw nulError(name.replace(/\u0000/g, "") || null);
  for (const name of fileNames) if (name.includes("\u0000")) throw nulError(null);
}

/** Throws INVALID_REQUEST when a path segment or a query parameter of the URL decodes to text holding NUL. */
export function assertNoNulInUrl(url: string): void {
  const parsed = new URL(url);
  for (const segment of parsed.pathname.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // Malformed percent-encoding is left to the router, which answers it before any handler.
      continue;
    }
    if (decoded.includes("\u0000")) throw nulError("path");
  }
  for (const [name, value] of parsed.searchParams) if (name.includes("\u0000") || value.includes("\u0000")) throw nulError(name.replace(/\u0000/g, "") || "query");
}
