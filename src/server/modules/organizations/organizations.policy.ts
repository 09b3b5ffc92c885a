import {
  type AdminAbility,
  type OrganizationAbility,
  type OrganizationStatus,
  type OrganizationVerb,
  organizationVerbs,
} from "../../../shared/contracts/organizations.ts";
import type { Action } from "../../../shared/permissions.ts";
import type { PortalActor } from "../../authz/actor.ts";
import { authorize, can, isInSubtree } from "../../authz/policy.ts";
import { organizationPosition } from "../../authz/tenancy.ts";

export { organizationPosition };

import type { organizations } from "../../db/schema/index.ts";
import { AppError, forbidden } from "../../lib/errors.ts";

/** An organization row of any tier (operator, master reseller, reseller). */
export type Organization = typeof organizations.$inferSelect;
/** A master reseller or a reseller: the tiers this module creates and manages. */
export type ManagedKind = "master_reseller" | "reseller";

/** The role permission that edits, disables, enables and re-invites an organization of this kind. */
export function manageActionOf(kind: ManagedKind): Action {
  return kind === "master_reseller" ? "master_reseller.manage" : "reseller.manage";
}

const allowedStatuses: Partial<Record<OrganizationVerb, readonly OrganizationStatus[]>> = {
  disable: ["invited", "active"],
  enable: ["disabled"],
  resend_invitation: ["invited"],
  manage_admins: ["active", "disabled"],
};

const stateMessages: Record<OrganizationVerb, string> = {
  update: "This organization cannot be edited now",
  disable: "This organization is already disabled",
  enable: "Only a disabled organization can be enabled",
  resend_invitation:
    "Only an organization that has not been activated yet can be sent a new invitation",
  add_reseller: "Resellers cannot be added here now",
  manage_admins:
    "This organization has not been activated yet; its first admin is created by the activation",
};

/** True when the verb is allowed on an organization in this status (regardless of role). */
export function statusAllows(verb: OrganizationVerb, status: OrganizationStatus): boolean {
  return allowedStatuses[verb]?.includes(status) ?? true;
}

/** Throws 409 `invalid_state` unless the organization's status allows the verb. */
export function assertStatusAllows(verb: OrganizationVerb, status: OrganizationStatus): void {
  if (!statusAllows(verb, status)) throw new AppError("invalid_state", stateMessages[verb]);
}

/**
 * True when the actor may manage the admins of this organization: every admin those of its own
 * organization, the operator those of any organization. Call after scoping (foreign → 404).
 */
export function canManageAdminsOf(actor: PortalActor, org: Pick<Organization, "id">): boolean {
  return (
    can(actor, "admin.manage") && (actor.role === "operator" || org.id === actor.organizationId)
  );
}

export type AdminAction = "reset_password" | "delete";

/**
 * Why the actor may not take `action` on an admin of an organization whose admins it manages, or
 * null when it may. The commands refuse with it (409 `invalid_state`) and the Admins page offers
 * exactly the actions it allows. Nobody resets or deletes their own account here (their own
 * password changes from the account menu); the first admin may not be deleted, and only the
 * operator resets its password (account recovery), so another admin cannot take it over.
 */
export function adminActionRefusal(
  actor: PortalActor,
  target: { id: string; isFirstAdmin: boolean },
  action: AdminAction,
): string | null {
  if (target.id === actor.accountId)
    return action === "delete"
      ? "You cannot delete your own account"
      : "Change your own password from your account menu";
  if (target.isFirstAdmin && action === "delete")
    return "The first admin of an organization cannot be deleted by the other admins";
  if (target.isFirstAdmin && actor.role !== "operator")
    return "The password of the organization's first admin can only be reset by that admin or by the operator";
  return null;
}

/** The actions the actor may take on one admin, as the Admins page offers them. */
export function adminAbilities(
  actor: PortalActor,
  org: Pick<Organization, "id">,
  target: { id: string; isFirstAdmin: boolean },
): AdminAbility[] {
  if (!canManageAdminsOf(actor, org)) return [];
  return (["reset_password", "delete"] as const)
    .filter((action) => adminActionRefusal(actor, target, action) === null)
    .map((action) => `admin.${action}` as const);
}

/** Throws 403 unless `canManageAdminsOf` (e.g. a master reseller acting on its reseller's admins). */
export function authorizeAdminsOf(actor: PortalActor, org: Pick<Organization, "id">): void {
  authorize(actor, "admin.manage");
  if (!canManageAdminsOf(actor, org))
    throw forbidden("Only the organization's own admins or the operator may manage its admins");
}

/**
 * The row actions this actor may take on an organization it can see, as `<kind>.<verb>`, so the
 * portal shows exactly the actions that would succeed.
 */
export function organizationAbilities(
  actor: PortalActor,
  org: Organization,
): OrganizationAbility[] {
  if (org.kind === "operator")
    return canManageAdminsOf(actor, org) ? ["operator.manage_admins"] : [];
  const position = organizationPosition(org);
  if (!isInSubtree(actor, position)) return [];
  const kind = org.kind;
  const manages = can(actor, manageActionOf(kind));
  const status = org.status;
  return organizationVerbs
    .filter((verb) => {
      if (verb === "manage_admins") return canManageAdminsOf(actor, org);
      if (verb === "add_reseller")
        return kind === "master_reseller" && can(actor, "reseller.manage");
      return manages;
    })
    .filter((verb) => statusAllows(verb, status))
    .map((verb): OrganizationAbility => `${kind}.${verb}`);
}
