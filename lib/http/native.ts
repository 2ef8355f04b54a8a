import "server-only";
import type { ZodType } from "zod";
import { AppError, toErrorBody } from "@/lib/errors";
import { logUnexpected, requestIdOf } from "./context";

/** Parses `value` with a zod schema, turning the first issue into INVALID_REQUEST with its path. */
export function parseInput<T>(schema: ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.join(".");
  throw new AppError("INVALID_REQUEST", path ? `${path}: ${issue.message}` : issue.message, { field: path || null });
}

/**
 * Wraps a native API handler: request id in and out, AppError to its status with
 * `{ error: { code, message } }`, anything else logged and answered with a generic 500.
 */
export function nativeRoute<C>(handler: (request: Request, requestId: string, context: C) => Promise<Response>) {
  return async (request: Request, context: C): Promise<Response> => {
    const requestId = requestIdOf(request);
    try {
      const response = await handler(request, requestId, context);
      response.headers.set("x-request-id", requestId);
      return response;
    } catch (error) {
      const { status, body } = toErrorBody(error);
      if (status >= 500) logUnexpected(requestId, error);
      const headers: Record<string, string> = { "x-request-id": requestId };
      if (status === 401) headers["www-authenticate"] = 'Bearer realm="vigil"';
      return Response.json({ ...body, requestId }, { status, headers });
    }
  };
}
