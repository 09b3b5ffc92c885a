import { and, desc, inArray, isNull, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
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

/** The current invitation as `currentInvitationOf` returns it (PostgreSQL JSON, timestamps as text). */
export interface InvitationJson {
  email: string;
  sentAt: string;
  expiresAt: string;
  usedAt: string | null;
  mailState: InvitationSummary["mailState"];
  mailError: string | null;
}

/**
 * A correlated subquery yielding the current (not revoked) invitation of the row whose id is
 * `targetId`, as JSON or null: lists get their invitations in the same round trip as their rows.
 */
export function currentInvitationOf(targetId: PgColumn) {
  return sql<InvitationJson | null>`(select json_build_object(
      'email', ${invitations.email},
      'sentAt', coalesce(${invitations.mailSentAt}, ${invitations.createdAt}),
      'expiresAt', ${invitations.expiresAt},
      'usedAt', ${invitations.usedAt},
      'mailState', ${invitations.mailState},
      'mailError', ${invitations.mailError})
    from ${invitations}
    where ${invitations.targetId} = ${targetId} and ${invitations.revokedAt} is null
    order by ${invitations.createdAt} desc
    limit 1)`;
}

/** The portal's view of what `currentInvitationOf` returned (timestamps normalised to ISO 8601). */
export function invitationSummaryOf(json: InvitationJson | null): InvitationSummary | null {
  if (!json) return null;
  const iso = (value: string) => new Date(value).toISOString();
  return {
    email: json.email,
    sentAt: iso(json.sentAt),
    expiresAt: iso(json.expiresAt),
    usedAt: json.usedAt ? iso(json.usedAt) : null,
    mailState: json.mailState,
    mailError: json.mailError,
  };
}
