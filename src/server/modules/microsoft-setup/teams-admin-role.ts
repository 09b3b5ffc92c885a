import { AppError } from "../../lib/errors.ts";

/** What the portal keeps of a failure: our message and, when Graph said why, its code and words. */
export function describeMicrosoftError(error: unknown): string {
  if (error instanceof AppError) {
    const cause = error.cause as { status?: number; code?: string; message?: string } | undefined;
    const detail = [cause?.status, cause?.code, cause?.message].filter(Boolean).join(" ");
    return detail ? `${error.message} (${detail})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
