import {
  type EnterpriseAbility,
  type EnterpriseStatus,
  enterpriseAbilities as enterpriseActions,
} from "../../../shared/contracts/enterprises.ts";
import type { PortalActor } from "../../authz/actor.ts";
import { can } from "../../authz/policy.ts";
import {
  type RequestedAppPermission,
  requestedAppPermissions,
} from "../../integrations/microsoft/config.ts";

export { enterprisePosition } from "../../authz/tenancy.ts";

import { AppError } from "../../lib/errors.ts";

/**
 * The row actions of the Enterprises page all need the `enterprise.manage` role permission;
 * disable, enable and resend also depend on the row's status, so the UI shows exactly the actions
 * that would succeed.
 */
type EnterpriseAction = EnterpriseAbility;

/** Which statuses each row action accepts (all statuses when absent). */
const allowedStatuses: Partial<Record<EnterpriseAction, readonly EnterpriseStatus[]>> = {
  "enterprise.disable": ["invited", "registered", "active"],
  "enterprise.enable": ["disabled"],
  "enterprise.resend_invitation": ["invited"],
};

/** Why an action is refused in a status: the message of the 409. */
const stateMessages: Record<EnterpriseAction, string> = {
  "enterprise.update": "This enterprise cannot be edited now",
  "enterprise.disable": "This enterprise is already disabled",
  "enterprise.enable": "Only a disabled enterprise can be enabled",
  "enterprise.resend_invitation": "Only an invited enterprise can be sent a new invitation",
};

/** True when the action is allowed on an enterprise in this status (regardless of role). */
export function statusAllows(action: EnterpriseAction, status: EnterpriseStatus): boolean {
  return allowedStatuses[action]?.includes(status) ?? true;
}

/** Throws 409 `invalid_state` unless the enterprise's status allows the action. */
export function assertStatusAllows(action: EnterpriseAction, status: EnterpriseStatus): void {
  if (!statusAllows(action, status)) throw new AppError("invalid_state", stateMessages[action]);
}

/** The row actions this actor may take on an enterprise it can see, in `enterpriseActions` order. */
export function enterpriseAbilities(
  actor: PortalActor,
  enterprise: { status: EnterpriseStatus },
): EnterpriseAction[] {
  if (!can(actor, "enterprise.manage")) return [];
  return enterpriseActions.filter((a) => statusAllows(a, enterprise.status));
}

type TenantFacts = { tenantId: string | null; status: EnterpriseStatus };

/** Why the enterprise's tenant cannot be acted on now (not registered, disabled), or null. */
export function unregisteredReason(enterprise: TenantFacts): string | null {
  if (!enterprise.tenantId || enterprise.status === "invited")
    return "The enterprise has not registered its Microsoft tenant yet";
  if (enterprise.status === "disabled") return "This enterprise is disabled";
  return null;
}

/** The enterprise's tenant, or 409 while it is not registered (or disabled). */
export function registeredTenantOf(enterprise: TenantFacts): string {
  const reason = unregisteredReason(enterprise);
  if (reason !== null) throw new AppError("invalid_state", reason);
  // A registered enterprise has its tenant (unregisteredReason says so otherwise).
  return enterprise.tenantId!;
}

/**
 * The application permissions Teamgate's Entra application lists (`requestedAppPermissions`) that
 * the tenant's admin consent has not granted, in that list's order: none for a tenant registered
 * since they were added; an older tenant's admin grants them with "Grant the new permissions".
 */
export function missingAppPermissionsOf(enterprise: {
  grantedPermissions: string[] | null;
}): RequestedAppPermission[] {
  const granted = new Set(enterprise.grantedPermissions ?? []);
  return requestedAppPermissions.filter((p) => !granted.has(p));
}
