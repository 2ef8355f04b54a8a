import { isAppError } from "@/lib/errors";

/** The AppError code `work` fails with, or "no error"; other errors are rethrown. */
export async function errorCodeOf(work: () => unknown): Promise<string> {
  try {
    await work();
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
  return "no error";
}
