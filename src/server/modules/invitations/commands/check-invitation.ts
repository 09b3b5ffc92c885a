import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { invitations } from "../../../db/schema/index.ts";
import { AppError, fieldError } from "../../../lib/errors.ts";
import { equalHashes, hashCode, hashToken } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import type { InvitationKind } from "./issue-invitation.ts";

/** Wrong codes allowed per invitation before it stops accepting any (then a resend is needed). */
export const maxCodeAttempts = 10;

const invalidLink = () =>
  new AppError(
    "invitation_invalid",
    "This invitation link is invalid, has expired, was replaced by a newer one or was already used. Ask for a new invitation.",
  );

/** The live invitation behind a link token, or 410 when it is unknown, used, revoked or expired. */
export async function getLiveInvitation(
  services: Services,
  kind: InvitationKind,
  token: string,
): Promise<typeof invitations.$inferSelect> {
  const [row] = await services.db
    .select()
    .from(invitations)
    .where(and(eq(invitations.tokenHash, hashToken(token)), eq(invitations.kind, kind)));
  if (
    !row ||
    row.usedAt ||
    row.revokedAt ||
    row.expiresAt <= services.now() ||
    row.failedAttempts >= maxCodeAttempts
  ) {
    throw invalidLink();
  }
  return row;
}

/**
 * Checks the code typed for a link's invitation. A wrong code is counted (committed even though
 * the call fails) so the short code cannot be guessed: after `maxCodeAttempts` the link is dead.
 */
export async function checkInvitationCode(
  services: Services,
  input: { kind: InvitationKind; token: string; code: string },
): Promise<typeof invitations.$inferSelect> {
  const invitation = await getLiveInvitation(services, input.kind, input.token);
  if (!equalHashes(invitation.codeHash, hashCode(services.secret, input.code))) {
    await services.db
      .update(invitations)
      .set({ failedAttempts: sql`${invitations.failedAttempts} + 1` })
      .where(eq(invitations.id, invitation.id));
    const left = maxCodeAttempts - invitation.failedAttempts - 1;
    if (left <= 0) throw invalidLink();
    throw fieldError({
      code: `The invitation code is not correct (${left} attempt${left === 1 ? "" : "s"} left)`,
    });
  }
  return invitation;
}

/** Marks an invitation used inside the caller's transaction; false if another request won the race. */
export async function consumeInvitation(tx: Db, invitationId: string, now: Date): Promise<boolean> {
  const used = await tx
    .update(invitations)
    .set({ usedAt: now })
    .where(
      and(
        eq(invitations.id, invitationId),
        isNull(invitations.usedAt),
        isNull(invitations.revokedAt),
      ),
    )
    .returning({ id: invitations.id });
  return used.length === 1;
}
