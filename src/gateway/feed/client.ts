import type { z } from "zod";
import {
  AcquireLeasesBody,
  BatchAccepted,
  type CdrRecord,
  GatewayChanges,
  GatewaySnapshot,
  ItemResults,
  LeaseDevicesBody,
  LeasesResponse,
  maxChangesWaitSeconds,
  maxGatewayBatch,
  type RegistrationReport,
  type SipTraceMessage,
} from "../../shared/contracts/gateway.ts";

/*
 * The gateway node's side of the wire contract (ADR 0019): every answer is checked with the
 * contract's zod schemas, transient failures (network, 5xx, 429) are retried with jittered
 * exponential back-off honouring Retry-After, and a 4xx is never retried (it would not change).
 */

/** How transient failures are retried: up to `attempts` tries in all, delays capped at `maxMs`. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, baseMs: 250, maxMs: 15_000 };

export interface GatewayClientOptions {
  /** The API root, e.g. `https://teamgate.example/api/v1` (`/gateway/…` is appended). */
  baseUrl: string;
  /** The node's token (`gw.<node id>.<secret>`). */
  token: string;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /** A request without an answer after this long is abandoned and retried (long polls add their wait). */
  timeoutMs?: number;
  /** For tests: waits (default: a timer that an abort cuts short) and randomness (jitter). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** The API answered with an error status (after any retries); `code` is its stable error code. */
export class GatewayApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  constructor(status: number, code: string | null, message: string) {
    super(`Gateway API ${status}${code ? ` ${code}` : ""}: ${message}`);
    this.name = "GatewayApiError";
    this.status = status;
    this.code = code;
  }
  /** A failure worth trying again later (5xx, 429); a 4xx would fail the same way again. */
  get isTransient(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** The answer did not match the contract: a version mismatch or a bug, never retried. */
export class GatewayContractError extends Error {
  constructor(path: string, cause: unknown) {
    super(`Gateway API ${path}: the answer does not match the contract`, { cause });
    this.name = "GatewayContractError";
  }
}

export interface GatewayClient {
  /** The node's whole region and the cursor to follow changes from. */
  snapshot(signal?: AbortSignal): Promise<GatewaySnapshot>;
  /** Changes after `after`, waiting up to `waitSeconds` (0–30) for one. */
  changes(after: string, waitSeconds: number, signal?: AbortSignal): Promise<GatewayChanges>;
  /** Leases on free devices of the region (any, or only `deviceIds`), at most `max`. */
  acquireLeases(
    body: z.input<typeof AcquireLeasesBody>,
    signal?: AbortSignal,
  ): Promise<LeasesResponse>;
  /** Renews this node's leases; any number of ids (sent in batches of 1,000). */
  renewLeases(deviceIds: readonly string[], signal?: AbortSignal): Promise<LeasesResponse>;
  /** Releases this node's leases; any number of ids (sent in batches of 1,000). */
  releaseLeases(deviceIds: readonly string[], signal?: AbortSignal): Promise<LeasesResponse>;
  /** Registration reports of leased devices; per item 200, 404 or 409. */
  reportRegistrations(
    items: readonly RegistrationReport[],
    signal?: AbortSignal,
  ): Promise<ItemResults>;
  /** Call records; idempotent per (callId, leg), so a retried batch is harmless. */
  postCdrs(items: readonly CdrRecord[], signal?: AbortSignal): Promise<BatchAccepted>;
  /** SIP trace messages; idempotent per (callId, leg, seq). */
  postTraces(items: readonly SipTraceMessage[], signal?: AbortSignal): Promise<BatchAccepted>;
}

/** Resolves after `ms`, or rejects at once with the signal's reason when it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Full-jitter exponential back-off: a random delay in [0, min(max, base · 2^attempt)]. */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, "baseMs" | "maxMs">,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

/** Retry-After in milliseconds (delta seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** A Retry-After beyond this is not waited for in one go (the caller's loop retries later). */
const maxRetryAfterMs = 5 * 60_000;

/** Batches of at most `size`; none for no items (so nothing is sent). */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function isAbort(error: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (error instanceof Error && error.name === "AbortError");
}

/** A client of the gateway API for one node; see `GatewayClient`. */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const base = options.baseUrl.replace(/\/+$/, "");

  async function request<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    schema: S,
    body: unknown,
    signal: AbortSignal | undefined,
    extraTimeoutMs = 0,
  ): Promise<z.infer<S>> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(timeoutMs + extraTimeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let retryAfterMs: number | null = null;
      let failure: unknown;
      try {
        const response = await doFetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: combined,
        });
        if (response.ok) {
          const json: unknown = await response.json();
          const parsed = schema.safeParse(json);
          if (!parsed.success) throw new GatewayContractError(path, parsed.error);
          return parsed.data;
        }
        const text = await response.text().catch(() => "");
        let code: string | null = null;
        let message = response.statusText || "request failed";
        try {
          const error = JSON.parse(text) as { code?: unknown; message?: unknown };
          if (typeof error.code === "string") code = error.code;
          if (typeof error.message === "string") message = error.message;
        } catch {
          // Not JSON (a proxy's error page): keep the status text.
        }
        const error = new GatewayApiError(response.status, code, message);
        if (!error.isTransient) throw error;
        failure = error;
        retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      } catch (error) {
        if (error instanceof GatewayApiError && !error.isTransient) throw error;
        if (error instanceof GatewayContractError) throw error;
        if (isAbort(error, signal)) throw signal?.reason ?? error;
        failure = error;
      }
      if (attempt + 1 >= policy.attempts) throw failure;
      const delay =
        retryAfterMs !== null
          ? Math.min(retryAfterMs, maxRetryAfterMs)
          : backoffDelay(attempt, policy, random);
      await sleep(delay, signal);
    }
  }

  const post = <S extends z.ZodType>(
    path: string,
    schema: S,
    body: unknown,
    signal?: AbortSignal,
  ) => request("POST", path, schema, body, signal);

  async function leaseBatches(
    path: string,
    deviceIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<LeasesResponse> {
    const merged: LeasesResponse = { leases: [], lost: [], leasePeriodSeconds: 0 };
    for (const batch of chunks(deviceIds, maxGatewayBatch)) {
      const page = await post(
        path,
        LeasesResponse,
        LeaseDevicesBody.parse({ deviceIds: batch }),
        signal,
      );
      merged.leases.push(...page.leases);
      merged.lost.push(...page.lost);
      merged.leasePeriodSeconds = page.leasePeriodSeconds;
    }
    return merged;
  }

  async function acceptedBatches<T>(
    path: string,
    items: readonly T[],
    signal?: AbortSignal,
  ): Promise<BatchAccepted> {
    const total: BatchAccepted = { accepted: 0, duplicates: 0, dropped: 0 };
    for (const batch of chunks(items, maxGatewayBatch)) {
      const page = await post(path, BatchAccepted, { items: batch }, signal);
      total.accepted += page.accepted;
      total.duplicates += page.duplicates;
      total.dropped = (total.dropped ?? 0) + (page.dropped ?? 0);
    }
    return total;
  }

  return {
    snapshot: (signal) => request("GET", "/gateway/snapshot", GatewaySnapshot, undefined, signal),
    changes: (after, waitSeconds, signal) => {
      const wait = Math.max(0, Math.min(maxChangesWaitSeconds, Math.floor(waitSeconds)));
      const query = new URLSearchParams({ after, wait: String(wait) });
      return request(
        "GET",
        `/gateway/changes?${query}`,
        GatewayChanges,
        undefined,
        signal,
        wait * 1000,
      );
    },
    acquireLeases: (body, signal) =>
      post("/gateway/leases/acquire", LeasesResponse, AcquireLeasesBody.parse(body), signal),
    renewLeases: (deviceIds, signal) => leaseBatches("/gateway/leases/renew", deviceIds, signal),
    releaseLeases: (deviceIds, signal) =>
      leaseBatches("/gateway/leases/release", deviceIds, signal),
    reportRegistrations: async (items, signal) => {
      const results: ItemResults = { items: [] };
      for (const batch of chunks(items, maxGatewayBatch)) {
        const page = await post("/gateway/registrations", ItemResults, { items: batch }, signal);
        results.items.push(...page.items);
      }
      return results;
    },
    postCdrs: (items, signal) => acceptedBatches("/gateway/cdrs", items, signal),
    postTraces: (items, signal) => acceptedBatches("/gateway/traces", items, signal),
  };
}
