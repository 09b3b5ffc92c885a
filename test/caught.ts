import type { AppError } from "../src/server/lib/errors.ts";

/** What `promise` rejects with; throws (failing the test) when it resolves instead. */
export async function caught(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    return e as AppError;
  }
  throw new Error("expected a failure");
}
