import type { Response } from "undici";
import { AppError } from "../../lib/errors.ts";
import { describeNetworkError, type HttpTransport } from "./http.ts";

/** How hard the Graph client tries before giving up. Every bound is enforced. */
export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** First back-off step for 503/504 and network failures; doubles each attempt. */
  baseDelayMs: number;
  /** Ceiling of one back-off step. */
  maxDelayMs: number;
  /** Budget for one request including its waits; a Retry-After beyond it fails at once. */
  maxTotalMs: number;
  /** Timeout of one HTTP attempt. */
  attemptTimeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  maxTotalMs: 60_000,
  attemptTimeoutMs: 30_000,
};

export interface GraphPage<T> {
  value: T[];
  /** Present on the last page of a delta query: where the next delta round starts. */
  deltaLink: string | undefined;
}

export interface BatchRequest {
  id: string;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Relative to the version root, e.g. `/users/{id}`. */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** Set when `status` is not 2xx: the same mapping as a direct request. */
  error: AppError | undefined;
}

export interface GraphClient {
  get<T>(path: string): Promise<T>;
  /** A JSON POST; 429 and 503/504 are retried like reads, so the call must be safe to repeat. */
  post<T>(path: string, body: unknown): Promise<T>;
  /**
   * Follows `@odata.nextLink` one page at a time: the next page is requested only when pulled.
   * `maxPageSize` sends `Prefer: odata.maxpagesize` on every page (delta queries ignore `$top`);
   * `headers` (e.g. `ConsistencyLevel: eventual` for an advanced query) go with every page too,
   * since a nextLink carries the query but not the headers.
   */
  pages<T>(
    path: string,
    options?: { maxPageSize?: number; headers?: Record<string, string> },
  ): AsyncGenerator<GraphPage<T>, void, undefined>;
  /** Up to 20 requests in one `$batch`; throttled or unavailable sub-requests are re-sent. */
  batch(requests: BatchRequest[]): Promise<BatchResponse[]>;
  /**
   * One JSON request with any method, to a path under the version root or an absolute URL on the
   * same origin; retried like `post`, so it must be safe to repeat. Resolves to the parsed body
   * (undefined for 204).
   */
  request<T>(method: BatchRequest["method"], path: string, body?: unknown): Promise<T>;
  /**
   * A JSON POST that starts an asynchronous operation (202 Accepted): the answer's `Location`
   * header, as sent (absolute or relative), null when absent. Retried like `post`.
   */
  postAccepted(path: string, body: unknown): Promise<{ location: string | null }>;
}

export const MAX_BATCH_SIZE = 20;

/** A string literal of an OData `$filter`: single-quoted, inner quotes doubled. */
export const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;
const VERSION = "v1.0";

interface GraphErrorBody {
  error?: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> };
}

/** Graph's error, kept for `cause`: code, message, request id. Never the request's headers. */
function graphCause(status: number, body: unknown, method: string, url: string) {
  const error = (body as GraphErrorBody | undefined)?.error;
  const inner = error?.innerError;
  return {
    status,
    method,
    // Path and query only: Graph URLs carry ids and filters, never credentials.
    path: safePath(url),
    code: typeof error?.code === "string" ? error.code : undefined,
    message: typeof error?.message === "string" ? error.message.slice(0, 500) : undefined,
    requestId: typeof inner?.["request-id"] === "string" ? inner["request-id"] : undefined,
  };
}

function safePath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`.slice(0, 300);
  } catch {
    return url.slice(0, 300);
  }
}

/** Maps a non-2xx Graph answer that will not be retried (any more) to our error codes. */
export function graphError(
  status: number,
  body: unknown,
  context: { method: string; url: string; retryAfterMs?: number | undefined },
): AppError {
  const cause = graphCause(status, body, context.method, context.url);
  if (status === 429) {
    const seconds = Math.max(1, Math.ceil((context.retryAfterMs ?? 0) / 1000));
    return new AppError("microsoft_throttled", "Microsoft is busy; try again shortly", {
      cause,
      headers: { "retry-after": String(seconds) },
    });
  }
  if (status >= 500) {
    return new AppError("microsoft_unavailable", "Microsoft is unavailable right now", { cause });
  }
  if (status === 401 || status === 403) {
    return new AppError(
      "microsoft_forbidden",
      "Microsoft refused: the application lacks a permission or role in this tenant",
      { cause },
    );
  }
  if (status === 404) return new AppError("not_found", "Not found in Microsoft", { cause });
  return new AppError("microsoft_error", "Microsoft answered with an error", { cause });
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential back-off with jitter: half the step fixed, half random, so waits never collapse. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const transient = (status: number) => status === 503 || status === 504;

/**
 * A Graph client for one tenant's token source, over our transport (same trust store as msal).
 * Retries 429 honouring Retry-After and 503/504 with back-off, within the policy's bounds.
 */
export function createGraphClient(options: {
  graphBase: string;
  transport: HttpTransport;
  accessToken: () => Promise<string>;
  retry?: Partial<RetryPolicy>;
}): GraphClient {
  const policy = { ...defaultRetryPolicy, ...options.retry };
  const root = `${options.graphBase}/${VERSION}`;
  const origin = new URL(options.graphBase).origin;

  /** Relative paths hang off the version root; absolute ones (nextLink) must stay on Graph. */
  function resolve(path: string): string {
    if (/^https?:\/\//i.test(path)) {
      if (new URL(path).origin !== origin) {
        // Never send the tenant's token to another host, whatever a response links to.
        throw new AppError("microsoft_error", "Microsoft linked outside Graph", {
          cause: { link: safePath(path), origin: new URL(path).origin },
        });
      }
      return path;
    }
    return `${root}${path.startsWith("/") ? "" : "/"}${path}`;
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

  /** One logical request: its parsed body. */
  async function send(
    method: string,
    url: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<unknown> {
    return (await exchange(method, url, body, extraHeaders)).body;
  }

  /** One logical request: attempts, waits and the final mapping; the answer's headers and body. */
  async function exchange(
    method: string,
    url: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<{ headers: Response["headers"]; body: unknown }> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const token = await options.accessToken();
      let response: Response;
      try {
        response = await options.transport.fetch(url, {
          method,
          headers: {
            ...extraHeaders,
            authorization: `Bearer ${token}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(policy.attemptTimeoutMs),
        });
      } catch (e) {
        if (await mayRetry(attempt, started, backoffDelay(policy, attempt))) continue;
        throw new AppError("microsoft_unavailable", "Microsoft is unavailable right now", {
          cause: { method, path: safePath(url), attempts: attempt, ...describeNetworkError(e) },
        });
      }
      if (response.ok)
        return {
          headers: response.headers,
          body: response.status === 204 ? undefined : await readJson(response),
        };
      const errorBody = await readJson(response);
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      if (response.status === 429 || transient(response.status)) {
        const waitMs =
          response.status === 429
            ? (retryAfterMs ?? backoffDelay(policy, attempt))
            : Math.max(retryAfterMs ?? 0, backoffDelay(policy, attempt));
        if (await mayRetry(attempt, started, waitMs)) continue;
      }
      const error = graphError(response.status, errorBody, { method, url, retryAfterMs });
      Object.assign(error.cause as object, { attempts: attempt });
      throw error;
    }
  }

  /** Waits and says yes when another attempt fits the policy; says no without waiting otherwise. */
  async function mayRetry(attempt: number, started: number, waitMs: number): Promise<boolean> {
    if (attempt >= policy.maxAttempts) return false;
    if (Date.now() - started + waitMs > policy.maxTotalMs) return false;
    await sleep(waitMs);
    return true;
  }

  return {
    async get<T>(path: string): Promise<T> {
      const url = resolve(path);
      return (await send("GET", url)) as T;
    },

    async post<T>(path: string, body: unknown): Promise<T> {
      return (await send("POST", resolve(path), body)) as T;
    },

    async *pages<T>(
      path: string,
      options: { maxPageSize?: number; headers?: Record<string, string> } = {},
    ): AsyncGenerator<GraphPage<T>, void, undefined> {
      // Preferences share one Prefer header (RFC 7240): the caller's and the page size.
      const { prefer, ...rest } = options.headers ?? {};
      const preferences = [
        ...(prefer ? [prefer] : []),
        ...(options.maxPageSize ? [`odata.maxpagesize=${options.maxPageSize}`] : []),
      ];
      const headers: Record<string, string> = {
        ...rest,
        ...(preferences.length > 0 ? { prefer: preferences.join(", ") } : {}),
      };
      let next: string | undefined = resolve(path);
      while (next) {
        const url: string = next;
        const page = (await send("GET", url, undefined, headers)) as
          | { value?: T[]; "@odata.nextLink"?: string; "@odata.deltaLink"?: string }
          | undefined;
        const nextLink = page?.["@odata.nextLink"];
        next = nextLink ? resolve(nextLink) : undefined;
        yield { value: page?.value ?? [], deltaLink: page?.["@odata.deltaLink"] };
      }
    },

    async batch(requests: BatchRequest[]): Promise<BatchResponse[]> {
      if (requests.length === 0) return [];
      if (requests.length > MAX_BATCH_SIZE) {
        throw new AppError("internal", `A Graph batch holds at most ${MAX_BATCH_SIZE} requests`);
      }
      if (new Set(requests.map((r) => r.id)).size !== requests.length) {
        throw new AppError("internal", "Graph batch request ids must be unique");
      }
      const url = resolve("/$batch");
      const results = new Map<string, BatchResponse>();
      let pending = requests;
      const started = Date.now();
      for (let round = 1; pending.length > 0; round++) {
        const envelope = (await send("POST", url, {
          requests: pending.map((r) => ({
            id: r.id,
            method: r.method,
            url: r.url.startsWith("/") ? r.url : `/${r.url}`,
            ...(r.body === undefined
              ? r.headers
                ? { headers: r.headers }
                : {}
              : { body: r.body, headers: { "content-type": "application/json", ...r.headers } }),
          })),
        })) as {
          responses?: { id?: unknown; status?: unknown; headers?: unknown; body?: unknown }[];
        };
        const retry: BatchRequest[] = [];
        let waitMs = 0;
        for (const request of pending) {
          const raw = envelope?.responses?.find((r) => r.id === request.id);
          const status = typeof raw?.status === "number" ? raw.status : 502;
          const headers = lowerCaseHeaders(raw?.headers);
          const retryAfterMs = parseRetryAfter(headers["retry-after"]);
          if (status === 429 || transient(status)) {
            retry.push(request);
            waitMs = Math.max(
              waitMs,
              status === 429
                ? (retryAfterMs ?? backoffDelay(policy, round))
                : Math.max(retryAfterMs ?? 0, backoffDelay(policy, round)),
            );
          }
          results.set(request.id, {
            id: request.id,
            status,
            headers,
            body: raw?.body,
            error:
              status >= 200 && status < 300
                ? undefined
                : graphError(status, raw?.body, {
                    method: request.method,
                    url: resolve(request.url.startsWith("/") ? request.url : `/${request.url}`),
                    retryAfterMs,
                  }),
          });
        }
        if (retry.length === 0 || !(await mayRetry(round, started, waitMs))) break;
        pending = retry;
      }
      return requests.map((r) => results.get(r.id)!);
    },

    async request<T>(method: BatchRequest["method"], path: string, body?: unknown): Promise<T> {
      return (await send(method, resolve(path), body)) as T;
    },

    async postAccepted(path: string, body: unknown): Promise<{ location: string | null }> {
      const { headers } = await exchange("POST", resolve(path), body);
      return { location: headers.get("location") };
    },
  };
}

function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (headers && typeof headers === "object") {
    for (const [key, value] of Object.entries(headers)) {
      if (typeof value === "string") result[key.toLowerCase()] = value;
    }
  }
  return result;
}
