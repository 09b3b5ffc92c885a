import { and, eq, inArray } from "drizzle-orm";
import type { Ctx } from "../../../context.ts";
import { callingUsers } from "../../../db/schema/index.ts";
import { teamsPushJob } from "../jobs/teams-push.job.ts";

/**
 * Marks the users' Teams side as out of date and, when `push` (the actor may act in the tenant:
 * an enterprise admin, or its provider with management consent), queues one converge job per
 * user; otherwise they wait for an enterprise admin (`waiting`, an action item on the dashboard).
 */
export async function requestTeamsPush(
  ctx: Ctx,
  enterpriseId: string,
  userIds: readonly string[],
  options: { push: boolean },
): Promise<void> {
  if (userIds.length === 0) return;
  await ctx.tx
    .update(callingUsers)
    .set({
      teamsState: options.push ? "pending" : "waiting",
      teamsError: null,
      teamsRequestedAt: ctx.now,
      teamsAttempts: 0,
    })
    .where(
      and(eq(callingUsers.enterpriseId, enterpriseId), inArray(callingUsers.userId, [...userIds])),
    );
  if (!options.push) return;
  await ctx.enqueueMany(
    teamsPushJob,
    userIds.map((userId) => ({ enterpriseId, userId })),
    (d) => d.userId,
  );
}

/**
 * Direct Routing just started routing the enterprise's calls: the users whose push could not
 * happen before (failed, waiting for it) are pushed again.
 */
export async function pushUsersAfterActivation(ctx: Ctx, enterpriseId: string): Promise<void> {
  const rows = await ctx.tx
    .select({ userId: callingUsers.userId })
    .from(callingUsers)
    .where(and(eq(callingUsers.enterpriseId, enterpriseId), eq(callingUsers.teamsState, "failed")));
  await requestTeamsPush(
    ctx,
    enterpriseId,
    rows.map((r) => r.userId),
    { push: true },
  );
}
