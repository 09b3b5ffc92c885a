import { sql } from "drizzle-orm";
import type { UserSyncTrigger } from "../../../../shared/contracts/users.ts";
import type { Db } from "../../../db/client.ts";
import { enqueue } from "../../../jobs/queue.ts";
import type { Services } from "../../../services.ts";
import { syncUsersJob } from "../jobs/sync-users.job.ts";

/**
 * Asks for a user sync of the enterprise inside the caller's transaction (the outbox): the state
 * shows `queued` (a running sync keeps `running`) and the job exists once the transaction commits.
 * A sync already queued for the enterprise absorbs this one (singletonKey on a stately queue).
 */
export async function requestUserSync(
  tx: Db,
  services: Pick<Services, "boss" | "now">,
  enterpriseId: string,
  trigger: UserSyncTrigger,
): Promise<void> {
  const now = services.now();
  await tx.execute(sql`
    INSERT INTO user_sync_state (enterprise_id, status, updated_at)
    VALUES (${enterpriseId}, 'queued', ${now})
    ON CONFLICT (enterprise_id) DO UPDATE SET
      status = CASE WHEN user_sync_state.status = 'running' THEN 'running' ELSE 'queued' END,
      updated_at = excluded.updated_at`);
  await enqueue(
    services.boss,
    tx,
    syncUsersJob,
    { enterpriseId, trigger },
    { singletonKey: enterpriseId },
  );
}
