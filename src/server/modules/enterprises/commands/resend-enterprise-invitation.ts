import { type PortalActor, whoOf } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import { issueInvitation } from "../../invitations/index.ts";
import { assertStatusAllows } from "../enterprises.policy.ts";
import { type EnterpriseRow, getEnterprise } from "../enterprises.queries.ts";
import { auditPathOf } from "./enterprise-rules.ts";

/**
 * "Resend invitation" (seed 3, only while invited): issues a new code and link to the admin
 * e-mail, which revokes the previous ones, and queues the e-mail in the same transaction.
 */
export async function resendEnterpriseInvitation(
  services: Services,
  actor: PortalActor,
  target: Scoped<EnterpriseRow>,
): Promise<EnterpriseRow> {
  return services.db.transaction(async (tx) => {
    const enterprise = await getEnterprise(tx, actor, target.id, { lock: true });
    assertStatusAllows("enterprise.resend_invitation", enterprise.status);
    const invitation = await issueInvitation(services, tx, {
      kind: "enterprise_registration",
      targetId: enterprise.id,
      email: enterprise.adminEmail,
      createdBy: actor.accountId,
    });
    await recordAudit(tx, whoOf(actor), {
      action: "enterprise.invitation_resent",
      target: { type: "enterprise", id: enterprise.id, label: enterprise.name },
      path: auditPathOf(enterprise),
      after: { email: invitation.email, expiresAt: invitation.expiresAt },
    });
    return enterprise;
  });
}
