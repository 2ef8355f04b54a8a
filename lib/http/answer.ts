import "server-only";
import { isAppError } from "@/lib/errors";
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
 * with the request id (the body never carries a stack or the input).
 */
export async function answerWith(request: Request, run: (requestId: string) => Promise<Response>, toError: (error: unknown, requestId: string) => ErrorAnswer): Promise<Response> {
  const requestId = requestIdOf(request);
  try {
    assertNoNulInUrl(request.url);
    const response = await run(requestId);
    response.headers.set("x-request-id", requestId);
    return response;
  } catch (error) {
    const { status, body, headers } = toError(error, requestId);
    if (status >= 500) logUnexpected(requestId, error);
    const retryAfter: Record<string, string> = isAppError(error) && typeof error.details?.retryAfterSeconds === "number" ? { "retry-after": String(error.details.retryAfterSeconds) } : {};
    return Response.json(body, { status, headers: { ...headers, ...retryAfter, "x-request-id": requestId } });
  }
}
