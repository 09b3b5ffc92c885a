import { and, eq } from "drizzle-orm";
import type { ActivateBody } from "../../../../shared/contracts/organizations.ts";
import { organizations } from "../../../db/schema/index.ts";
import { AppError, fieldError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import { createAccount, pathOf, transferEmail } from "../../accounts/index.ts";
import { recordAudit } from "../../audit/index.ts";
import { checkInvitationCode, consumeInvitation } from "../../invitations/index.ts";
import { findActivatableOrganization, invitationUnusable } from "../organizations.queries.ts";

/**
 * Completes an activation (seed 2): checks the code (a wrong one is counted) and the invited
 * e-mail, then in one transaction uses up the invitation, creates the first admin, hands it the
 * e-mail claim and makes the organization `active`. Any refusal (e.g. a taken username) writes
 * nothing, so the code stays usable.
 */
export async function activateOrganization(
  services: Services,
  input: ActivateBody,
  clientAddress: string | null,
): Promise<void> {
  const invitation = await checkInvitationCode(services, {
    kind: "organization_activation",
    token: input.token,
    code: input.code,
  });
  if (input.email.toLowerCase() !== invitation.email.toLowerCase())
    throw fieldError({ email: "Use the e-mail address this invitation was sent to" });
  const organization = await findActivatableOrganization(services.db, invitation.targetId);
  const now = services.now();
  await services.db.transaction(async (tx) => {
    if (!(await consumeInvitation(tx, invitation.id, now)))
      throw new AppError("invitation_invalid", "This invitation has already been used.");
    const account = await createAccount(tx, {
      organizationId: organization.id,
      name: organization.contactName ?? organization.name,
      email: invitation.email,
      username: input.username,
      password: input.password,
      isFirstAdmin: true,
      emailAlreadyClaimed: true,
    });
    await transferEmail(
      tx,
      invitation.email,
      { type: "organization", id: organization.id },
      { type: "account", id: account.id },
    );
    const activated = await tx
      .update(organizations)
      .set({ status: "active", updatedAt: now })
      .where(and(eq(organizations.id, organization.id), eq(organizations.status, "invited")))
      .returning({ id: organizations.id });
    if (activated.length === 0) throw invitationUnusable();
    await recordAudit(
      tx,
      { actor: null, label: invitation.email, clientAddress },
      {
        action: `${organization.kind}.activated`,
        target: { type: organization.kind, id: organization.id, label: organization.name },
        path: pathOf(organization),
        before: { status: "invited" },
        after: {
          status: "active",
          firstAdmin: { id: account.id, username: account.username, email: account.email },
        },
      },
    );
  });
}
