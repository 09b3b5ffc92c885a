import type { Service } from "../../../shared/contracts/common.ts";
import type {
  EnterpriseInvitationCheck,
  EnterpriseInvitationInfo,
  EnterpriseView,
} from "../../../shared/contracts/enterprises.ts";
import type { PortalActor } from "../../authz/actor.ts";
import { managementConsentOf } from "../../authz/policy.ts";
import { enterpriseAbilities } from "./enterprises.policy.ts";
import type { EnterpriseRecord, EnterpriseRow, EnterpriseViewRow } from "./enterprises.queries.ts";

/** The API view of an enterprise, with the row actions this actor may take on it. */
export function presentEnterprise(
  actor: PortalActor,
  record: EnterpriseRecord<EnterpriseViewRow>,
): EnterpriseView {
  const e = record.enterprise;
  return {
    id: e.id,
    resellerId: e.resellerId,
    resellerName: record.resellerName,
    name: e.name,
    adminEmail: e.adminEmail,
    userLimit: e.userLimit,
    pbxMusicOnHold: e.pbxMusicOnHold,
    accessSipData: e.accessSipData,
    requestManagementConsent: e.requestManagementConsent,
    billingReference: e.billingReference,
    regionIds: record.regionIds,
    services: e.services as Service[],
    pbxTypeIds: record.pbxTypeIds,
    status: e.status,
    tenantName: e.tenantName,
    managementConsent: managementConsentOf(e),
    invitation: record.invitation,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    abilities: enterpriseAbilities(actor, e),
  };
}

/** What the public Complete page may learn from a valid link: no ids, no e-mail. */
export function presentInvitationInfo(input: {
  enterprise: EnterpriseRow;
  resellerName: string;
  invitation: { expiresAt: Date };
}): EnterpriseInvitationInfo {
  return {
    enterpriseName: input.enterprise.name,
    resellerName: input.resellerName,
    expiresAt: input.invitation.expiresAt.toISOString(),
  };
}

/** The answer to a correct code: who is being invited and what comes next. */
export function presentInvitationCheck(input: {
  enterprise: EnterpriseRow;
  resellerName: string;
}): EnterpriseInvitationCheck {
  return {
    enterpriseName: input.enterprise.name,
    resellerName: input.resellerName,
    adminEmail: input.enterprise.adminEmail,
    next: "microsoft_sign_in",
  };
}
