import { rootCertificates } from "node:tls";
import { Agent, fetch, type RequestInit, type Response } from "undici";

/**
 * The HTTPS client every Microsoft call goes through (msal, id-token keys, Graph). It trusts the
 * system's CAs plus an optional extra CA (the emulator's) on its own connection pool only: the
 * process-wide trust store and NODE_TLS_REJECT_UNAUTHORIZED are never touched.
 */
export interface HttpTransport {
  fetch(url: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export function createHttpTransport(options: { caPem?: string | undefined } = {}): HttpTransport {
  const agent = new Agent({
    connect: options.caPem ? { ca: [...rootCertificates, options.caPem] } : {},
    keepAliveTimeout: 10_000,
  });
  return {
    fetch: (url, init = {}) => fetch(url, { ...init, dispatcher: agent }),
    close: () => agent.close(),
  };
}

/** A short description of a transport failure for logs (`cause`), without request headers. */
export function describeNetworkError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const inner = error.cause instanceof Error ? error.cause : undefined;
  return {
    name: error.name,
    message: error.message,
    ...(inner ? { reason: inner.message, code: (inner as { code?: unknown }).code } : {}),
  };
}
