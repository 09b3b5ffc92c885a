import { AppError } from "../../lib/errors.ts";
import { createGraphClient, type RetryPolicy } from "./graph.ts";
import type { HttpTransport } from "./http.ts";

export type { RetryPolicy } from "./graph.ts";

/** JSON requests to an API that takes the Teams admin API token, answering as Graph does. */
export interface TeamsAdminApiClient {
  /** One request to an absolute URL on `origin`; resolves to the parsed body (undefined for 204). */
  request<T>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    body?: unknown,
  ): Promise<T>;
}

/**
 * A client for an API on the Graph host that authenticates with the Teams admin API token (the
 * emulator's Teams voice origin): Graph's retries of 429 and 503/504 and its error mapping to
 * `AppError`s, with 409 as `conflict` (a name that exists).
 */
export function createTeamsAdminApiClient(options: {
  origin: string;
  transport: HttpTransport;
  accessToken: () => Promise<string>;
  retry?: Partial<RetryPolicy>;
}): TeamsAdminApiClient {
  const client = createGraphClient({
    graphBase: options.origin,
    transport: options.transport,
    accessToken: options.accessToken,
    ...(options.retry ? { retry: options.retry } : {}),
  });
  return {
    async request<T>(
      method: Parameters<TeamsAdminApiClient["request"]>[0],
      url: string,
      body?: unknown,
    ) {
      try {
        return await client.request<T>(method, url, body);
      } catch (error) {
        if (
          error instanceof AppError &&
          error.code === "microsoft_error" &&
          (error.cause as { status?: number } | undefined)?.status === 409
        )
          throw new AppError("conflict", "An object with this name exists in Microsoft Teams", {
            cause: error.cause,
          });
        throw error;
      }
    },
  };
}
