import { errorShapes, allOperations } from "@/lib/openapi/operations";
import type { OperationSpec } from "@/lib/openapi/spec";

/**
 * Contract checks for the API tests: an answer must be one the OpenAPI registry describes for
 * its operation (lib/openapi/operations.ts): a documented status, a body matching that status's
 * schema, and for an error, a code the operation lists. Tests route their calls through
 * `checkDescribed`, so a route that starts answering something undocumented fails its suite.
 */

const templates = allOperations.map((op) => ({ op, pattern: new RegExp(`^${op.path.replace(/[.]/g, "\\.").replace(/\{\w+\}/g, "[^/]+")}/?$`) }));

/** The registry's operation for a request, or an error naming what is undescribed. */
export function operationFor(method: string, url: string): OperationSpec {
  const { pathname } = new URL(url);
  const found = templates.find((t) => t.op.method === method && t.pattern.test(pathname));
  if (!found) throw new Error(`contract: no operation describes ${method} ${pathname}`);
  return found.op;
}

/** The Vigil code in an error body of the operation's family, where the body carries it. */
function codeIn(op: OperationSpec, body: unknown): string | null {
  const b = body as Record<string, any>;
  switch (op.family) {
    case "native":
    case "operations":
      return b?.error?.code ?? null;
    case "kairos":
      return b?.errors?.[0]?.code ?? null;
    case "docliveness":
      return b?.error ?? null;
    default:
      // Verifik and sfx answer vendor codes; their statuses are checked against the mapper instead.
      return null;
  }
}

/**
 * Checks one answer against the description of `method url`; throws with the mismatch.
 * Returns the response untouched (its body is read from a clone).
 */
export async function checkDescribed(method: string, url: string, response: Response): Promise<Response> {
  const op = operationFor(method, url);
  const where = `${op.operationId} answered ${response.status}`;
  const isJson = /json/.test(response.headers.get("content-type") ?? "");
  const text = isJson ? await response.clone().text() : "";
  const body: unknown = text ? JSON.parse(text) : null;
  const success = op.responses.find((r) => r.status === response.status);
  const shape = errorShapes[op.family];
  const errorStatuses = new Set(op.errors.flatMap((code) => shape.answers(code).map((a) => a.status)));
  if (success && (!success.schema || success.schema.safeParse(body).success)) return response;
  if (!errorStatuses.has(response.status)) {
    const issues = success?.schema?.safeParse(body).error?.issues;
    throw new Error(`contract: ${where}, ${issues ? `a body its schema refuses: ${JSON.stringify(issues).slice(0, 600)}` : "a status the description does not list"}`);
  }
  const checked = shape.schema.safeParse(body);
  if (!checked.success) throw new Error(`contract: ${where} with an error body its schema refuses: ${JSON.stringify(checked.error.issues).slice(0, 600)}`);
  const code = codeIn(op, body);
  if (code !== null && !(op.errors as readonly string[]).includes(code)) throw new Error(`contract: ${where} with ${code}, which the description does not list for it`);
  return response;
}

/** A route handler whose every answer is checked with `checkDescribed`. */
export function described<C>(handler: (request: Request, context: C) => Promise<Response>): (request: Request, context?: C) => Promise<Response> {
  return async (request, context) => checkDescribed(request.method, request.url, await handler(request, context as C));
}
