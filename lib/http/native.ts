import "server-only";
import type { ZodType } from "zod";
import { AppError, toErrorBody } from "@/lib/errors";
import { answerWith } from "./answer";

/** Parses `value` with a zod schema, turning the first issue into INVALID_REQUEST with its path. */
export function parseInput<T>(schema: ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.join(".");
  throw new AppError("INVALID_REQUEST", path ? `${path}: ${issue.message}` : issue.message, { field: path || null });
}

/**
 * Wraps a native API handler: AppError to its status with `{ error: { code, message },
 * requestId }`, anything else a generic 500 (see answerWith).
 */
export function nativeRoute<C>(handler: (request: Request, requestId: string, context: C) => Promise<Response>) {
  return (request: Request, context: C): Promise<Response> =>
    answerWith(
      request,
      (requestId) => handler(request, requestId, context),
      (error, requestId) => {
        const { status, body } = toErrorBody(error);
        return { status, body: { ...body, requestId }, headers: status === 401 ? { "www-authenticate": 'Bearer realm="vigil"' } : undefined };
      },
    );
}
