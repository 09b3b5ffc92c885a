/**
 * Stable error codes shared by server and web. The server maps each to an HTTP status in one
 * table; the web shows `message` and places `fields` next to their inputs.
 */
export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  password_change_required: 403,
  forbidden: 403,
  csrf_failed: 403,
  account_disabled: 403,
  not_found: 404,
  conflict: 409,
  email_in_use: 409,
  name_in_use: 409,
  invalid_state: 409,
  invitation_invalid: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  locked_out: 423,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The body of every error response. `fields` maps a dotted field path to its message. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  fields?: Record<string, string>;
}
