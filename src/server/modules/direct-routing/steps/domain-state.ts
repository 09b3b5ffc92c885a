import { and, eq, inArray } from "drizzle-orm";
import type { Ctx } from "../../../context.ts";
import { directRoutes, type domainStates } from "../../../db/schema/index.ts";

type DomainState = (typeof domainStates)[number];

/** Moves the enterprise's derived trunks that are in one of `from` to `to` (never backwards). */
export async function advanceDomainState(
  ctx: Ctx,
  enterpriseId: string,
  from: DomainState[],
  to: DomainState,
): Promise<void> {
  await ctx.tx
    .update(directRoutes)
    .set({ domainState: to, updatedAt: ctx.now })
    .where(
      and(eq(directRoutes.enterpriseId, enterpriseId), inArray(directRoutes.domainState, from)),
    );
}
