import { eq } from "drizzle-orm";
import type { PortalActor } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Ctx } from "../../../context.ts";
import { organizations } from "../../../db/schema/index.ts";
import { notFound } from "../../../lib/errors.ts";
import { pathOf } from "../../accounts/index.ts";
import { issueInvitation } from "../../invitations/index.ts";
import {
  assertStatusAllows,
  type ManagedKind,
  type Organization,
} from "../organizations.policy.ts";

/**
 * Sends a new activation e-mail to an organization still `invited` (else 409 `invalid_state`).
 * The previous code and link stop working in the same transaction that queues the new e-mail.
 */
export async function resendActivation(
  ctx: Ctx,
  actor: PortalActor,
  org: Scoped<Organization>,
): Promise<Organization> {
  const [row] = await ctx.tx
    .select()
    .from(organizations)
    .where(eq(organizations.id, org.id))
    .for("update");
  if (!row) throw notFound("Organization");
  assertStatusAllows("resend_invitation", row.status);
  const invitation = await issueInvitation(ctx, {
    kind: "organization_activation",
    targetId: row.id,
    email: row.email,
    createdBy: actor.accountId,
  });
  const kind = row.kind as ManagedKind;
  await ctx.emit(`${kind}.invitation_resent`, {
    subject: { type: kind, id: row.id, label: row.name },
    path: pathOf(row),
    payload: {
      after: { email: invitation.email, expiresAt: invitation.expiresAt.toISOString() },
    },
  });
  return row;
}
