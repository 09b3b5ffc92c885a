import { type ApiErrorBody, type ErrorCode, errorStatus } from "../../shared/errors.ts";

/**
 * The one error type of the server. `message` is safe to show to users; `cause` stays in logs.
 * `fields` maps a field path to what is wrong with it.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fields: Record<string, string> | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly rows: ApiErrorBody["rows"];

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      fields?: Record<string, string>;
      cause?: unknown;
      headers?: Record<string, string>;
      rows?: ApiErrorBody["rows"];
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.fields = options.fields;
    this.headers = options.headers;
    this.rows = options.rows;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what = "Resource") => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "You are not allowed to do this") =>
  new AppError("forbidden", message);

/** A validation failure on named fields (400 unless another code is given). */
export function fieldError(
  fields: Record<string, string>,
  code: ErrorCode = "validation_failed",
  message = "Some fields are not valid",
): AppError {
  return new AppError(code, message, { fields });
}

/** Microsoft (or another remote side) is briefly unable to answer: worth another try later. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof AppError &&
    (error.code === "microsoft_throttled" ||
      error.code === "microsoft_unavailable" ||
      error.code === "dns_unavailable")
  );
}

/**
 * What the portal keeps of a failure: our message and, when the remote side said why (the cause
 * our Microsoft client attaches), its status, code and words, and its request id.
 */
export function describeRemoteError(error: unknown): {
  message: string;
  correlationId: string | null;
} {
  if (error instanceof AppError) {
    const cause = error.cause as
      | { status?: number; code?: string; message?: string; requestId?: string }
      | undefined;
    const detail = [cause?.status, cause?.code, cause?.message].filter(Boolean).join(" ");
    return {
      message: detail ? `${error.message} (${detail})` : error.message,
      correlationId: cause?.requestId ?? null,
    };
  }
  return { message: error instanceof Error ? error.message : String(error), correlationId: null };
}
