import { and, eq } from "drizzle-orm";
import type { ActivateBody } from "../../../../shared/contracts/organizations.ts";
import type { Ctx } from "../../../context.ts";
import type { invitations } from "../../../db/schema/index.ts";
import { organizations } from "../../../db/schema/index.ts";
import { AppError, fieldError } from "../../../lib/errors.ts";
import { hashPassword } from "../../../lib/passwords.ts";
import type { Services } from "../../../services.ts";
import { createAccount, pathOf, transferEmail } from "../../accounts/index.ts";
import { checkInvitationCode, consumeInvitation } from "../../invitations/index.ts";
import type { Organization } from "../organizations.policy.ts";
import { findActivatableOrganization, invitationUnusable } from "../organizations.queries.ts";

/** A checked activation: the invitation whose code was right, and the organization it activates. */
export interface Activation {
  invitation: typeof invitations.$inferSelect;
  organization: Organization;
  /** The first admin's chosen password, hashed. */
  passwordHash: string;
}

/**
 * Checks an activation before anything is written: the code (a wrong one is counted, and that
 * count commits on its own) and the invited e-mail, then finds the organization still waiting.
 */
export async function checkActivation(
  services: Services,
  input: ActivateBody,
): Promise<Activation> {
  const invitation = await checkInvitationCode(services, {
    kind: "organization_activation",
    token: input.token,
    code: input.code,
  });
  if (input.email.toLowerCase() !== invitation.email.toLowerCase())
    throw fieldError({ email: "Use the e-mail address this invitation was sent to" });
  const organization = await findActivatableOrganization(services.db, invitation.targetId);
  return { invitation, organization, passwordHash: await hashPassword(input.password) };
}

/**
 * Completes a checked activation (seed 2) in the context's transaction: uses up the invitation,
 * creates the first admin, hands it the e-mail claim and makes the organization `active`. Any
 * refusal (e.g. a taken username) writes nothing, so the code stays usable.
 */
export async function activateOrganization(
  ctx: Ctx,
  { invitation, organization, passwordHash }: Activation,
  input: ActivateBody,
): Promise<void> {
  const { tx, now } = ctx;
  if (!(await consumeInvitation(tx, invitation.id, now)))
    throw new AppError("invitation_invalid", "This invitation has already been used.");
  const account = await createAccount(tx, {
    organizationId: organization.id,
    name: organization.contactName ?? organization.name,
    email: invitation.email,
    username: input.username,
    passwordHash,
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
  await ctx.emit(`${organization.kind}.activated`, {
    subject: { type: organization.kind, id: organization.id, label: organization.name },
    path: pathOf(organization),
    payload: {
      before: { status: "invited" },
      after: {
        status: "active",
        firstAdmin: { id: account.id, username: account.username, email: account.email },
      },
    },
  });
}
