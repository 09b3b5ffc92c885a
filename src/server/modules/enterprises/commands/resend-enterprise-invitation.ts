import type { PortalActor } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { issueInvitation } from "../../invitations/index.ts";
import { assertStatusAllows } from "../enterprises.policy.ts";
import { type EnterpriseRow, getEnterprise } from "../enterprises.queries.ts";
import { auditPathOf } from "./enterprise-rules.ts";

/**
 * "Resend invitation" (seed 3, only while invited): issues a new code and link to the admin
 * e-mail, which revokes the previous ones, and queues the e-mail in the context's transaction.
 */
export async function resendEnterpriseInvitation(
  ctx: Ctx,
  actor: PortalActor,
  target: Scoped<EnterpriseRow>,
): Promise<EnterpriseRow> {
  const enterprise = await getEnterprise(ctx.tx, actor, target.id, { lock: true });
  assertStatusAllows("enterprise.resend_invitation", enterprise.status);
  const invitation = await issueInvitation(ctx, {
    kind: "enterprise_registration",
    targetId: enterprise.id,
    email: enterprise.adminEmail,
    createdBy: actor.accountId,
  });
  await ctx.emit("enterprise.invitation_resent", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: {
      after: { email: invitation.email, expiresAt: invitation.expiresAt.toISOString() },
    },
  });
  return enterprise;
}
