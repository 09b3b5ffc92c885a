import type PgBoss from "pg-boss";
import { syncDueUsersJob } from "../modules/users/index.ts";
import { checkDueWorkflowsJob } from "../workflows/check.job.ts";
import type { JobDefinition } from "./define-job.ts";
import { purgeExpiredJob } from "./purge-expired.job.ts";

/** Every recurring job: pg-boss sends it on the cron schedule (UTC) from any process with a queue. */
export const schedules: { job: JobDefinition; cron: string; data: object }[] = [
  { job: syncDueUsersJob, cron: "*/15 * * * *", data: {} },
  { job: purgeExpiredJob, cron: "17 * * * *", data: {} },
  { job: checkDueWorkflowsJob, cron: "41 * * * *", data: {} },
];

/** Registers (or updates) every schedule; idempotent, called where the worker starts. */
export async function startSchedules(boss: PgBoss): Promise<void> {
  for (const s of schedules) await boss.schedule(s.job.name, s.cron, s.data, { tz: "UTC" });
}
