import "server-only";
import { describeDatabaseError } from "@/db/errors";
import { isAppError, toAnswerableError } from "@/lib/errors";
import { logUnexpected, requestIdOf } from "./context";
import { assertNoNulInUrl } from "./nul";

/** How one API shape answers an error: status, body and extra headers. */
export interface ErrorAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * The contract every route wrapper shares, native or vendor-shaped: a request id in and out,
 * a URL holding NUL refused before the handler runs (ids and query values reach SQL),
 * errors answered in the endpoint's own shape by `toError`, and anything answered 5xx logged
 * with the request id (the body never carries a stack or the input). A lost database
 * connection is answered as DATABASE_UNAVAILABLE (503, Retry-After) in that shape, and logged
 * as one line, not a stack: during an outage every request fails the same way.
 */
export async function answerWith(request: Request, run: (requestId: string) => Promise<Response>, toError: (error: unknown, requestId: string) => ErrorAnswer): Promise<Response> {
  const requestId = requestIdOf(request);
  try {
    assertNoNulInUrl(request.url);
    const response = await run(requestId);
    response.headers.set("x-request-id", requestId);
    return response;
  } catch (thrown) {
    const error = toAnswerableError(thrown);
    const { status, body, headers } = toError(error, requestId);
    if (error !== thrown) logDatabaseUnavailable(requestId, thrown);
    else if (status >= 500) logUnexpected(requestId, error);
    const retryAfter: Record<string, string> = isAppError(error) && typeof error.details?.retryAfterSeconds === "number" ? { "retry-after": String(error.details.retryAfterSeconds) } : {};
    return Response.json(body, { status, headers: { ...headers, ...retryAfter, "x-request-id": requestId } });
  }
}

/** At most one line per interval while the database is down, with how many requests it stands for. */
const DATABASE_LOG_INTERVAL_MS = 5_000;
let databaseLoggedAt = 0;
let databaseUnlogged = 0;

function logDatabaseUnavailable(requestId: string, error: unknown): void {
  databaseUnlogged++;
  if (Date.now() - databaseLoggedAt < DATABASE_LOG_INTERVAL_MS) return;
  databaseLoggedAt = Date.now();
  const cause = describeDatabaseError(error);
  console.error(`vigil: request ${requestId} answered 503 DATABASE_UNAVAILABLE (${databaseUnlogged} such answers since the last line): ${cause}`);
  databaseUnlogged = 0;
}
