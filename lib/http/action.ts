import { ZodError } from "zod";
import { isAppError, toAnswerableError } from "@/lib/errors";

/** What a server action returns to the console: its data, or an error the page can show. */
export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/**
 * Runs a server action's work and turns failures into `{ ok: false, error }`: an AppError keeps
 * its code and message, invalid input is INVALID_REQUEST, anything else is logged and answered
 * with a generic message that leaks nothing.
 */
export async function runAction<T>(name: string, work: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await work() };
  } catch (thrown) {
    // A lost database connection is DATABASE_UNAVAILABLE ("try again"), not "something went wrong".
    const error = toAnswerableError(thrown);
    if (error !== thrown) console.error(`vigil: action ${name}: database unavailable`);
    if (isAppError(error)) return { ok: false, error: { code: error.code, message: error.message } };
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      return { ok: false, error: { code: "INVALID_REQUEST", message: `${issue.path.join(".") || "input"}: ${issue.message}` } };
    }
    console.error(`vigil: action ${name} failed:`, error);
    return { ok: false, error: { code: "INTERNAL", message: "Something went wrong on the server. It is in the server log." } };
  }
}
