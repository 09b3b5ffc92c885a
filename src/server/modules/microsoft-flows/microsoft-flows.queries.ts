import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { microsoftFlows } from "../../db/schema/index.ts";
import { hashToken } from "../../lib/secrets.ts";

export type MicrosoftFlowRow = typeof microsoftFlows.$inferSelect;

/**
 * The flow a Microsoft redirect's `state` belongs to (only the state's SHA-256 is stored). Not
 * scoped: the state is the capability; an unknown one finds nothing.
 */
export async function findFlowByState(db: Db, state: string): Promise<MicrosoftFlowRow | null> {
  if (!state || state.length > 200) return null;
  const [row] = await db
    .select()
    .from(microsoftFlows)
    .where(eq(microsoftFlows.stateHash, hashToken(state)));
  return row ?? null;
}

/**
 * The newest unused flow of `purpose` waiting for Microsoft to apply an admin consent (round
 * `finishing`): registration's by the browser's flow binding (its hash), a signed-in admin's by
 * the enterprise. Null when there is none.
 */
export async function findFinishingFlow(
  db: Db,
  purpose: MicrosoftFlowRow["purpose"],
  of: { browserBindingHash: string } | { enterpriseId: string },
): Promise<MicrosoftFlowRow | null> {
  const [row] = await db
    .select()
    .from(microsoftFlows)
    .where(
      and(
        eq(microsoftFlows.purpose, purpose),
        "browserBindingHash" in of
          ? eq(microsoftFlows.browserBindingHash, of.browserBindingHash)
          : eq(microsoftFlows.enterpriseId, of.enterpriseId),
        eq(microsoftFlows.round, "finishing"),
        isNull(microsoftFlows.usedAt),
      ),
    )
    .orderBy(desc(microsoftFlows.createdAt))
    .limit(1);
  return row ?? null;
}
