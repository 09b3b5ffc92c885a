import { sql } from "drizzle-orm";
import { z } from "zod";
import { system } from "../../../authz/actor.ts";
import { inTransaction } from "../../../context.ts";
import { defineJob } from "../../../jobs/define-job.ts";
import { staleBefore } from "../../../lib/lease.ts";
import { requestUserSync } from "../commands/request-user-sync.ts";
import { userSyncLease } from "../sync/sync-run.ts";

const CHUNK = 500;

/**
 * The scheduler's tick (every 15 minutes, see jobs/schedule.ts): queues a `users.sync` for every
 * registered or active enterprise whose admin has chosen the groups to sync (registration's last
 * step: the first sync waits for it) and whose next sync is due (never synced, or `nextDueAt`
 * passed) and that is not running. Reads ids in chunks; duplicates are absorbed by the singletonKey.
 */
export const syncDueUsersJob = defineJob({
  name: "users.sync-due",
  schema: z.object({}).passthrough(),
  options: { retryLimit: 2, retryDelaySeconds: 60, expireInSeconds: 15 * 60 },
  async handle(services) {
    const now = services.now();
    const stale = staleBefore(userSyncLease, now);
    let after = "";
    let queued = 0;
    for (;;) {
      const result = (await services.db.execute(sql`
        SELECT e.id FROM enterprises e
        LEFT JOIN user_sync_state s ON s.enterprise_id = e.id
        WHERE e.status IN ('registered', 'active') AND e.tenant_id IS NOT NULL
          AND e.sync_groups_chosen_at IS NOT NULL
          AND e.id > ${after}
          AND (s.enterprise_id IS NULL OR s.next_due_at IS NULL OR s.next_due_at <= ${now})
          AND (s.status IS DISTINCT FROM 'running' OR s.heartbeat_at < ${stale})
        ORDER BY e.id LIMIT ${CHUNK}`)) as unknown as { rows: { id: string }[] };
      if (result.rows.length === 0) break;
      for (const { id } of result.rows) {
        await inTransaction(services, system, (ctx) => requestUserSync(ctx, id, "scheduled"));
        queued++;
      }
      after = result.rows[result.rows.length - 1]?.id ?? after;
    }
    if (queued > 0) services.log.info({ queued }, "scheduled user syncs queued");
  },
});
