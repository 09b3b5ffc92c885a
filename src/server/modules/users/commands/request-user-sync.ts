import { sql } from "drizzle-orm";
import type { UserSyncTrigger } from "../../../../shared/contracts/users.ts";
import type { Ctx } from "../../../context.ts";
import { syncUsersJob } from "../jobs/sync-users.job.ts";

/**
 * Asks for a user sync of the enterprise inside the context's transaction (the outbox): the state
 * shows `queued` (a running sync keeps `running`) and the job exists once the transaction commits.
 * A sync already queued for the enterprise absorbs this one (singletonKey on a stately queue).
 */
export async function requestUserSync(
  ctx: Ctx,
  enterpriseId: string,
  trigger: UserSyncTrigger,
): Promise<void> {
  await ctx.tx.execute(sql`
    INSERT INTO user_sync_state (enterprise_id, status, updated_at)
    VALUES (${enterpriseId}, 'queued', ${ctx.now})
    ON CONFLICT (enterprise_id) DO UPDATE SET
      status = CASE WHEN user_sync_state.status = 'running' THEN 'running' ELSE 'queued' END,
      updated_at = excluded.updated_at`);
  await ctx.enqueue(syncUsersJob, { enterpriseId, trigger }, { singletonKey: enterpriseId });
}
