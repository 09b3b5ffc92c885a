import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { isApiError } from "./client.ts";

export interface AuthRedirects {
  /** The session ended or never existed (401 `unauthenticated`). */
  onUnauthenticated(): void;
  /** The account must choose a new password before anything else (403 `password_change_required`). */
  onPasswordChangeRequired(): void;
}

function routeAuthErrors(error: unknown, redirects: AuthRedirects): void {
  if (isApiError(error, "unauthenticated")) redirects.onUnauthenticated();
  else if (isApiError(error, "password_change_required")) redirects.onPasswordChangeRequired();
}

/**
 * The app's query client: client errors (4xx) are not retried, and any request that finds the
 * session gone or a password change pending sends the user to the page that resolves it.
 */
export function createQueryClient(redirects: AuthRedirects): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: (error) => routeAuthErrors(error, redirects) }),
    mutationCache: new MutationCache({ onError: (error) => routeAuthErrors(error, redirects) }),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        retry: (failures, error) =>
          !(isApiError(error) && error.status >= 400 && error.status < 500) && failures < 2,
      },
      mutations: { retry: false },
    },
  });
}
