import { eq } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";
import { enterprises, invitations, organizations } from "../../../db/schema/index.ts";
import type { MailMessage } from "../../../integrations/mail/mailer.ts";
import { activationMail, enterpriseInvitationMail } from "../../../integrations/mail/templates.ts";
import { defineJob } from "../../../jobs/define-job.ts";
import { unseal } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";

const parent = alias(organizations, "parent");

async function messageFor(
  services: Services,
  invitation: typeof invitations.$inferSelect,
  secrets: { token: string; code: string },
): Promise<MailMessage | null> {
  const link = (path: string) =>
    `${services.publicUrl}${path}?token=${encodeURIComponent(secrets.token)}`;
  if (invitation.kind === "organization_activation") {
    const [row] = await services.db
      .select({ organization: organizations, parentName: parent.name, parentKind: parent.kind })
      .from(organizations)
      .leftJoin(parent, eq(parent.id, organizations.parentId))
      .where(eq(organizations.id, invitation.targetId));
    if (!row) return null;
    return activationMail({
      to: invitation.email,
      organizationName: row.organization.name,
      invitedBy:
        row.parentKind === "operator" || !row.parentName ? "The Teamgate operator" : row.parentName,
      code: secrets.code,
      // The invited address rides along so the activation form can start with it filled in; the
      // person can still change it, and the server checks it as before.
      url: `${link("/activate")}&email=${encodeURIComponent(invitation.email)}`,
      expiresAt: invitation.expiresAt,
    });
  }
  const [row] = await services.db
    .select({ enterprise: enterprises, resellerName: organizations.name })
    .from(enterprises)
    .innerJoin(organizations, eq(organizations.id, enterprises.resellerId))
    .where(eq(enterprises.id, invitation.targetId));
  if (!row) return null;
  return enterpriseInvitationMail({
    to: invitation.email,
    enterpriseName: row.enterprise.name,
    resellerName: row.resellerName,
    code: secrets.code,
    url: link("/complete"),
    expiresAt: invitation.expiresAt,
  });
}

/**
 * Sends an invitation e-mail (activation of an organization, or registration of an enterprise).
 * The outcome is written on the invitation so the portal shows queued / sent / failed.
 */
export const sendInvitationEmailJob = defineJob({
  name: "invitations.send-email",
  schema: z.object({ invitationId: z.string(), sealed: z.string() }),
  options: { retryLimit: 6, retryDelaySeconds: 10 },
  async handle(services, data, meta) {
    const [invitation] = await services.db
      .select()
      .from(invitations)
      .where(eq(invitations.id, data.invitationId));
    // A revoked or used invitation must not be mailed late; a sent one must not be mailed twice.
    if (!invitation || invitation.revokedAt || invitation.usedAt || invitation.mailState === "sent")
      return;
    try {
      const message = await messageFor(services, invitation, unseal(services.secret, data.sealed));
      if (!message) return;
      await services.mailer.send(message);
      await services.db
        .update(invitations)
        .set({ mailState: "sent", mailSentAt: services.now(), mailError: null })
        .where(eq(invitations.id, invitation.id));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await services.db
        .update(invitations)
        .set({
          mailState: meta.isLastAttempt ? "failed" : "queued",
          mailError: reason.slice(0, 500),
        })
        .where(eq(invitations.id, invitation.id));
      throw error;
    }
  },
});
