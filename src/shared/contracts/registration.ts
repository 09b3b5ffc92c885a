/**
 * Enterprise registration through Microsoft (seed 3): why a registration ended on the failure page.
 * Every failure binds nothing; the web shows a message and what to do for each reason.
 */
export const registrationFailureReasons = [
  "invitation_invalid",
  "consent_declined",
  "not_global_admin",
  "personal_account",
  "tenant_already_bound",
  "state_invalid",
  "microsoft_unavailable",
  "sign_in_failed",
  "app_misconfigured",
  "consent_not_effective",
  "permissions_missing",
] as const;

export type RegistrationFailureReason = (typeof registrationFailureReasons)[number];

/**
 * One poll of the "Finishing the connection…" page: still waiting for Microsoft, or done (the
 * browser goes to `location`: the groups to sync, signed in, or the failure page).
 */
export type RegistrationFinishState = { status: "pending" } | { status: "done"; location: string };

/** The answer to "Sign in with Microsoft": where to send the browser. */
export interface RegistrationSignInStart {
  url: string;
}

/** The directory role template id of Global Administrator (`wids`). */
export const GLOBAL_ADMINISTRATOR_ROLE = "62e90394-69f5-4237-9190-012177145e10";
