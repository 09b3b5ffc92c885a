import type { ApiErrorBody, ErrorCode } from "../../shared/errors.ts";

/** Codes the client produces itself when the server could not answer with an error body. */
export type ClientErrorCode = "network_error" | "bad_response";

/**
 * A failed API call: the HTTP status, the server's stable `code`, a message a person can read and,
 * for validation errors, one message per contract field (`fields.adminEmail`, `fields.regionIds`…).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | ClientErrorCode;
  readonly fields: Record<string, string>;
  /** A refused file import's per-row report (empty otherwise). */
  readonly rows: NonNullable<ApiErrorBody["rows"]>;

  constructor(
    status: number,
    code: ErrorCode | ClientErrorCode,
    message: string,
    fields: Record<string, string> = {},
    rows: ApiErrorBody["rows"] = [],
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.rows = rows;
  }
}

export function isApiError(error: unknown, code?: ApiError["code"]): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

const base = "/api/v1";
const unsafeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

let csrfToken: string | null = null;
/** False until the token reflects the server's view of this browser's session. */
let csrfKnown = false;

/** Remembers the session's CSRF token; every unsafe request sends it back in `x-csrf-token`. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
  csrfKnown = true;
}

/**
 * Learns the CSRF token of a session this page has not loaded yet (e.g. a public page opened in
 * a browser that is also signed in: the server then expects the token on every unsafe request).
 */
async function refreshCsrfToken(): Promise<void> {
  try {
    const response = await fetch(`${base}/auth/session`, {
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    const body = response.ok ? ((await readJson(response)) as { csrfToken?: unknown }) : null;
    setCsrfToken(typeof body?.csrfToken === "string" ? body.csrfToken : null);
  } catch {
    // Offline: the request itself will report it.
  }
}

export type QueryParams = Record<string, string | number | boolean | null | undefined>;

function urlOf(path: string, query?: QueryParams): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const search = params.toString();
  return `${base}${path}${search ? `?${search}` : ""}`;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type RequestOptions = {
  body?: unknown;
  query?: QueryParams;
  signal?: AbortSignal;
  /** Sent as is with this content type instead of as JSON (a CSV file). */
  raw?: { text: string; contentType: string };
};

/** Sends one JSON request to `/api/v1`; resolves with the parsed body (undefined for 204), or throws ApiError. */
export async function request<T>(
  method: Method,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  if (!unsafeMethods.has(method)) return send<T>(method, path, options);
  if (!csrfKnown) await refreshCsrfToken();
  try {
    return await send<T>(method, path, options);
  } catch (error) {
    // The session changed under us (signed in or out in another tab): learn its token, retry once.
    if (!isApiError(error, "csrf_failed")) throw error;
    await refreshCsrfToken();
    return send<T>(method, path, options);
  }
}

async function send<T>(method: Method, path: string, options: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  // No content type without a body: the server refuses an empty body declared as JSON.
  if (options.raw) headers["content-type"] = options.raw.contentType;
  else if (options.body !== undefined) headers["content-type"] = "application/json";
  if (unsafeMethods.has(method) && csrfToken) headers["x-csrf-token"] = csrfToken;

  let response: Response;
  try {
    response = await fetch(urlOf(path, options.query), {
      method,
      headers,
      credentials: "same-origin",
      body: options.raw
        ? options.raw.text
        : options.body === undefined
          ? undefined
          : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(
      0,
      "network_error",
      "Teamgate could not be reached. Check your connection and try again.",
    );
  }

  const body = await readJson(response);
  if (response.ok) return body as T;
  if (isErrorBody(body)) {
    throw new ApiError(response.status, body.code, body.message, body.fields ?? {}, body.rows);
  }
  throw new ApiError(
    response.status,
    "bad_response",
    response.status >= 500
      ? "Something went wrong on our side. Try again in a moment."
      : `The request failed (HTTP ${response.status}).`,
  );
}

export const api = {
  get: <T>(path: string, query?: QueryParams, signal?: AbortSignal) =>
    request<T>("GET", path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, { body }),
  /** POSTs a text file (a CSV import) with its own content type. */
  postText: <T>(path: string, text: string, contentType: string) =>
    request<T>("POST", path, { raw: { text, contentType } }),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>("PATCH", path, { body }),
  delete: <T>(path: string) => request<T>("DELETE", path),
};
