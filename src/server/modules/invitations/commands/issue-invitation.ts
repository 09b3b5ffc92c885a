import { and, eq, isNull } from "drizzle-orm";
import { newId } from "../../../../shared/ids.ts";
import type { Ctx } from "../../../context.ts";
import { invitations } from "../../../db/schema/index.ts";
import { hashCode, hashToken, humanCode, randomToken, seal } from "../../../lib/secrets.ts";
import { sendInvitationEmailJob } from "../jobs/send-invitation-email.job.ts";

export type InvitationKind = (typeof invitations.$inferSelect)["kind"];

/**
 * Issues a fresh invitation for a target (organization or enterprise) in the context's
 * transaction: any earlier invitation of the target is revoked, the link token (256 bits) and the
 * short code are stored only as hashes, and the e-mail is queued with both sealed (encrypted).
 */
export async function issueInvitation(
  ctx: Ctx,
  input: { kind: InvitationKind; targetId: string; email: string; createdBy: string | null },
): Promise<typeof invitations.$inferSelect> {
  const { tx, now, services } = ctx;
  await tx
    .update(invitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(invitations.targetId, input.targetId),
        isNull(invitations.usedAt),
        isNull(invitations.revokedAt),
      ),
    );
  const token = randomToken();
  const code = humanCode();
  const [row] = await tx
    .insert(invitations)
    .values({
      id: newId("invitation"),
      kind: input.kind,
      targetId: input.targetId,
      email: input.email.toLowerCase(),
      tokenHash: hashToken(token),
      codeHash: hashCode(services.secret, code),
      expiresAt: new Date(now.getTime() + services.env.INVITATION_TTL_DAYS * 86_400_000),
      createdBy: input.createdBy,
      createdAt: now,
    })
    .returning();
  await ctx.enqueue(sendInvitationEmailJob, {
    invitationId: row!.id,
    sealed: seal(services.secret, { token, code }),
  });
  return row!;
}
