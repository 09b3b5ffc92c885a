import { queryOptions } from "@tanstack/react-query";
import { createContext, useContext } from "react";
import type {
  AnySessionView,
  EnterpriseAdminSessionView,
  PortalRole,
  SessionView,
} from "../../../shared/contracts/auth.ts";
import type { Action } from "../../../shared/permissions.ts";
import { api, isApiError, setCsrfToken } from "../../api/client.ts";

export const sessionKey = ["session"] as const;

async function fetchSession(): Promise<AnySessionView | null> {
  try {
    const session = await api.get<AnySessionView>("/auth/session");
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

/**
 * Whoever is signed in (a portal account or an enterprise admin, told apart by `kind`), or null
 * when nobody is (never throws for 401).
 */
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

export const EnterpriseSessionContext = createContext<EnterpriseAdminSessionView | null>(null);

/** The enterprise admin's session; only usable below the enterprise layout, which guarantees one. */
export function useEnterpriseSession(): EnterpriseAdminSessionView {
  const session = useContext(EnterpriseSessionContext);
  if (!session) throw new Error("useEnterpriseSession() used outside the enterprise portal");
  return session;
}

/** Where a session belongs: a portal role's start page, or the enterprise dashboard. */
export function homeOf(
  session: AnySessionView,
): "/master-resellers" | "/resellers" | "/enterprises" | "/change-password" | "/enterprise" {
  if (session.kind === "enterprise_admin") return "/enterprise";
  if (session.account.mustChangePassword) return "/change-password";
  return landingPath(session.organization.kind);
}

/** Whether the user's role allows an action (the session's abilities). */
export function useCan(): (action: Action) => boolean {
  const session = useSession();
  return (action) => session.abilities.includes(action);
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
  // The enterprise portal is not a portal account's place.
  if (target === "/enterprise" || target.startsWith("/enterprise/")) return null;
  return target;
}
