import { sql } from "drizzle-orm";
import { z } from "zod";
import { affectedRows } from "../lib/sql.ts";
import { defineJob } from "./define-job.ts";

/** Ended Microsoft flows are kept this long (their failure reason helps support), then purged. */
export const FLOW_RETENTION_DAYS = 7;
/** Finished user sync runs are kept this long as history. */
export const SYNC_RUN_RETENTION_DAYS = 90;

/**
 * Housekeeping (hourly, see schedule.ts): deletes expired sessions, password-reset tokens and
 * Microsoft flows past their retention (and, at once, the delegated token of any flow that
 * ended or expired), and old user sync runs. Each is one DELETE, counted
 * without returning its rows; running it twice changes nothing.
 */
export const purgeExpiredJob = defineJob({
  name: "maintenance.purge-expired",
  schema: z.object({}).passthrough(),
  options: { retryLimit: 2, retryDelaySeconds: 300 },
  async handle(services) {
    const now = services.now();
    const days = (n: number) => new Date(now.getTime() - n * 86_400_000);
    const counts: Record<string, number> = {};
    const purge = async (what: string, statement: ReturnType<typeof sql>) => {
      counts[what] = affectedRows(await services.db.execute(statement));
    };
    await purge("sessions", sql`DELETE FROM sessions WHERE expires_at < ${now}`);
    await purge("passwordResets", sql`DELETE FROM password_resets WHERE expires_at < ${days(1)}`);
    await purge(
      "flowGraphTokens",
      sql`UPDATE microsoft_flows SET sealed_graph_token = NULL
          WHERE sealed_graph_token IS NOT NULL AND (used_at IS NOT NULL OR expires_at < ${now})`,
    );
    await purge(
      "microsoftFlows",
      sql`DELETE FROM microsoft_flows WHERE expires_at < ${days(FLOW_RETENTION_DAYS)}`,
    );
    await purge(
      "userSyncRuns",
      sql`DELETE FROM user_sync_runs
          WHERE status <> 'running' AND started_at < ${days(SYNC_RUN_RETENTION_DAYS)}
            AND id NOT IN (SELECT current_run_id FROM user_sync_state WHERE current_run_id IS NOT NULL)`,
    );
    services.log.info(counts, "expired records purged");
  },
});
