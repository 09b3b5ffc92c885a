import { and, desc, inArray, isNull } from "drizzle-orm";
import type { InvitationSummary } from "../../../shared/contracts/common.ts";
import type { Db } from "../../db/client.ts";
import { invitations } from "../../db/schema/index.ts";

/** The current (not revoked) invitation of each target, as the portal shows it. */
export async function findInvitationSummaries(
  db: Db,
  targetIds: string[],
): Promise<Map<string, InvitationSummary>> {
  const result = new Map<string, InvitationSummary>();
  if (targetIds.length === 0) return result;
  const rows = await db
    .selectDistinctOn([invitations.targetId])
    .from(invitations)
    .where(and(inArray(invitations.targetId, targetIds), isNull(invitations.revokedAt)))
    .orderBy(invitations.targetId, desc(invitations.createdAt));
  for (const row of rows) {
    result.set(row.targetId, {
      email: row.email,
      sentAt: (row.mailSentAt ?? row.createdAt).toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      usedAt: row.usedAt?.toISOString() ?? null,
      mailState: row.mailState,
      mailError: row.mailError,
    });
  }
  return result;
}
