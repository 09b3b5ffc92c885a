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
  management_consent_required: 403,
  /** An enterprise admin asked for call records or SIP traces while Access SIP Data is off. */
  sip_data_access_disabled: 403,
  csrf_failed: 403,
  account_disabled: 403,
  not_found: 404,
  conflict: 409,
  email_in_use: 409,
  name_in_use: 409,
  invalid_state: 409,
  /** Configuring one more user would pass the enterprise's user limit. */
  user_limit_reached: 409,
  invitation_invalid: 410,
  /** Microsoft refused: a missing role or permission (Graph 401/403). */
  microsoft_forbidden: 403,
  /** The tenant has not (or no longer) granted the application's permissions. */
  microsoft_consent_required: 403,
  /** The Entra application lacks a setting or permission the platform needs (README: Microsoft application). */
  microsoft_app_misconfigured: 502,
  /** A Microsoft sign-in could not be completed or verified (code, PKCE, nonce, id token). */
  microsoft_sign_in_failed: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  locked_out: 423,
  rate_limited: 429,
  internal: 500,
  /** Microsoft answered with an error we did not expect (a 4xx other than the above). */
  microsoft_error: 502,
  unavailable: 503,
  /** Microsoft is unreachable or answers 5xx after bounded retries. */
  microsoft_unavailable: 503,
  /** Microsoft kept throttling (429) beyond the retry budget; `Retry-After` tells when to try again. */
  microsoft_throttled: 503,
  /** The DNS server did not answer or failed (timeout, SERVFAIL): worth retrying. */
  dns_unavailable: 503,
  /** The DNS server refused the update (REFUSED, NOTAUTH, bad TSIG key, not its zone). */
  dns_rejected: 502,
  /** MS_CLIENT_ID / MS_CLIENT_SECRET are not configured. */
  microsoft_not_configured: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The body of every error response. `fields` maps a dotted field path to its message. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  fields?: Record<string, string>;
  /**
   * A refused file import's report, one entry per problem: the row (line) and the message, with
   * the number and problem kind (phone numbers' import) or the column (users' import).
   */
  rows?: ImportProblem[];
}

/** One problem of a refused CSV file. */
export type ImportProblem =
  | { row: number; number: string; problem: string; message: string }
  | { row: number; column: string | null; message: string };
