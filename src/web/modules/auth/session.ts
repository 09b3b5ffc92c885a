import { queryOptions } from "@tanstack/react-query";
import { createContext, useContext } from "react";
import type { PortalRole, SessionView } from "../../../shared/contracts/auth.ts";
import type { Action } from "../../../shared/permissions.ts";
import { api, isApiError, setCsrfToken } from "../../api/client.ts";

export const sessionKey = ["session"] as const;

async function fetchSession(): Promise<SessionView | null> {
  try {
    const session = await api.get<SessionView>("/auth/session");
    setCsrfToken(session.csrfToken);
    return session;
  } catch (error) {
    if (isApiError(error) && error.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw error;
  }
}

/** The signed-in account, or null when nobody is signed in (never throws for 401). */
export const sessionQuery = queryOptions({
  queryKey: sessionKey,
  queryFn: fetchSession,
  staleTime: 5 * 60_000,
});

export const SessionContext = createContext<SessionView | null>(null);

/** The session of the signed-in area; only usable below the app layout, which guarantees one. */
export function useSession(): SessionView {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession() used outside the signed-in area");
  return session;
}

/** Whether the user's role allows an action (the session's abilities). */
export function useCan(): (action: Action) => boolean {
  const session = useSession();
  return (action) => session.abilities.includes(action);
}

/**
 * Whether a row action (`enterprise.disable`, `reseller.resend_invitation`…) is offered on a
 * record: the record's own `abilities` decide when the server sent any; otherwise `fallback`.
 */
export function rowAllows(
  record: { abilities: string[] },
  action: string,
  fallback: boolean,
): boolean {
  return record.abilities.length > 0 ? record.abilities.includes(action) : fallback;
}

export const roleLabels: Record<PortalRole, string> = {
  operator: "Operator",
  master_reseller: "Master reseller",
  reseller: "Reseller",
};

/** Where each role lands after signing in (seed 3: a reseller starts on Enterprises). */
export function landingPath(role: PortalRole): "/master-resellers" | "/resellers" | "/enterprises" {
  switch (role) {
    case "operator":
      return "/master-resellers";
    case "master_reseller":
      return "/resellers";
    case "reseller":
      return "/enterprises";
  }
}

/** A same-origin path to return to after signing in; anything else is ignored. */
export function safeRedirect(target: string | undefined): string | null {
  if (!target?.startsWith("/") || target.startsWith("//")) return null;
  if (target.startsWith("/sign-in") || target.startsWith("/change-password")) return null;
  return target;
}
