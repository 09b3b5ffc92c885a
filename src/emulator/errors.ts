import { randomUUID } from "node:crypto";
import type { GraphTokenClaims } from "./tokens.ts";

/** An error body as the Microsoft identity platform's token endpoint returns it. */
export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

function entraTimestamp(): string {
  return new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

/** `{error, error_description: "AADSTS<code>: …", error_codes, timestamp, trace_id, correlation_id}`. */
export function entraError(
  loginUrl: string,
  code: number,
  error: string,
  message: string,
  correlationId: string = randomUUID(),
): EntraErrorBody {
  const timestamp = entraTimestamp();
  const traceId = randomUUID();
  return {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${loginUrl}/error?code=${code}`,
  };
}

/** A failure the token endpoint reports with an HTTP status and an Entra error body. */
export class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly aadsts: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

/** An error body as Microsoft Graph returns it. */
export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; "request-id": string; "client-request-id": string };
  };
}

export function graphError(
  code: string,
  message: string,
  requestId: string = randomUUID(),
): GraphErrorBody {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ""),
        "request-id": requestId,
        "client-request-id": requestId,
      },
    },
  };
}

/** A failure a Graph route reports with an HTTP status and Graph's error body. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Response headers to send with it (e.g. `Location` on a delta query's 410 Gone). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The claims of the `Authorization: Bearer` token once `verify` accepts it; otherwise the 401 Graph
 * answers for a missing, expired, foreign-audience or invalid token.
 */
export async function verifiedBearer(
  authorization: string | undefined,
  verify: (token: string) => Promise<GraphTokenClaims>,
): Promise<GraphTokenClaims> {
  const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (!token) throw new GraphError(401, "InvalidAuthenticationToken", "Access token is empty.");
  try {
    return await verify(token);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new GraphError(
      401,
      "InvalidAuthenticationToken",
      code === "ERR_JWT_EXPIRED"
        ? "Lifetime validation failed, the token is expired."
        : code === "ERR_JWT_CLAIM_VALIDATION_FAILED"
          ? "Access token validation failure. Invalid audience."
          : "Access token validation failure.",
    );
  }
}
