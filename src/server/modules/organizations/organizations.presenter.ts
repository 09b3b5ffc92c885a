import type { Service } from "../../../shared/contracts/common.ts";
import type { AdminView, OrganizationView } from "../../../shared/contracts/organizations.ts";
import type { PortalActor } from "../../authz/actor.ts";
import {
  adminAbilities,
  type ManagedKind,
  type Organization,
  organizationAbilities,
} from "./organizations.policy.ts";
import type { Account, OrganizationRecord } from "./organizations.queries.ts";

/** The portal's view of a master reseller or reseller, with the row actions the actor may take. */
export function presentOrganization(actor: PortalActor, org: OrganizationRecord): OrganizationView {
  return {
    id: org.id,
    kind: org.kind as ManagedKind,
    parentId: org.parentId,
    name: org.name,
    contactName: org.contactName,
    email: org.email,
    status: org.status,
    services: org.services as Service[],
    billingReference: org.billingReference,
    regionIds: org.regionIds,
    pbxTypeIds: org.pbxTypeIds,
    enterpriseCount: org.enterpriseCount,
    invitation: org.invitation,
    createdAt: org.createdAt.toISOString(),
    updatedAt: org.updatedAt.toISOString(),
    abilities: organizationAbilities(actor, org),
  };
}

/**
 * An admin account as the Admins page shows it, with what the viewer may do to it: never its
 * password hash or lock state.
 */
export function presentAdmin(
  actor: PortalActor,
  org: Pick<Organization, "id">,
  account: Account,
): AdminView {
  return {
    id: account.id,
    name: account.name,
    email: account.email,
    username: account.username,
    isFirstAdmin: account.isFirstAdmin,
    mustChangePassword: account.mustChangePassword,
    lastLoginAt: account.lastLoginAt?.toISOString() ?? null,
    createdAt: account.createdAt.toISOString(),
    abilities: adminAbilities(actor, org, account),
  };
}
