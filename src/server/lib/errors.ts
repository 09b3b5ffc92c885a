import { type ErrorCode, errorStatus } from "../../shared/errors.ts";

/**
 * The one error type of the server. `message` is safe to show to users; `cause` stays in logs.
 * `fields` maps a field path to what is wrong with it.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fields: Record<string, string> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      fields?: Record<string, string>;
      cause?: unknown;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.fields = options.fields;
    this.headers = options.headers;
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
