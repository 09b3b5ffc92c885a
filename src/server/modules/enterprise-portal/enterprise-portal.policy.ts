import type { DashboardAbility } from "../../../shared/contracts/enterprise-portal.ts";
import type { Action } from "../../../shared/permissions.ts";
import type { Actor } from "../../authz/actor.ts";
import { managementConsentOf, mayActFor } from "../../authz/policy.ts";
import { type EnterpriseRow, missingAppPermissionsOf } from "../enterprises/index.ts";

/**
 * Each dashboard action: the permission its route declares and the state in which its command
 * accepts it. The routes check the first (role, then consent), the commands the second, and the
 * dashboard offers an action only when both hold, so a button shown is a request that succeeds.
 */
const dashboardActions: Record<
  DashboardAbility,
  { may: Action; when(state: DashboardState): boolean }
> = {
  "management_consent.grant": {
    may: "management_consent.manage",
    when: ({ registered, enterprise }) =>
      registered && managementConsentOf(enterprise) === "pending",
  },
  "management_consent.revoke": {
    may: "management_consent.manage",
    when: ({ registered, enterprise }) =>
      registered && managementConsentOf(enterprise) === "granted",
  },
  "microsoft_permissions.grant": {
    may: "microsoft_permissions.grant",
    when: ({ registered, enterprise }) =>
      registered && missingAppPermissionsOf(enterprise).length > 0,
  },
  "users.sync": { may: "users.sync", when: ({ registered }) => registered },
  "teams_admin_role.retry": {
    may: "microsoft_setup.retry",
    when: ({ registered, roleFailed }) => registered && roleFailed,
  },
  "users.teams_push": {
    may: "users.push",
    when: ({ registered, teamsPushPending }) => registered && teamsPushPending,
  },
};

interface DashboardState {
  enterprise: EnterpriseRow;
  /** Registered with its tenant and not disabled. */
  registered: boolean;
  /** The Teams Administrator role's workflow ended failed. */
  roleFailed: boolean;
  /** Users wait for an enterprise admin, or failed, in Teams (POST /enterprises/{id}/teams-push). */
  teamsPushPending: boolean;
}

/** The dashboard actions this actor may take on the enterprise now. */
export function dashboardAbilitiesOf(actor: Actor, state: DashboardState): DashboardAbility[] {
  return (Object.keys(dashboardActions) as DashboardAbility[]).filter((ability) => {
    const { may, when } = dashboardActions[ability];
    return mayActFor(actor, state.enterprise, may) && when(state);
  });
}
