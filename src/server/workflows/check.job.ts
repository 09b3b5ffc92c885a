import { z } from "zod";
import { defineJob } from "../jobs/define-job.ts";
import { enqueue } from "../jobs/queue.ts";
import { checkRun, checkWorkflowJobSpec, runsDueForCheck } from "./drift.ts";
import { workflows } from "./registry.ts";

/** How often each finished run is read back at most (the scheduler ticks hourly). */
const checkEveryMs = 50 * 60_000;

/** Reads one finished run back through its steps' checks (drift). */
export const checkWorkflowJob = defineJob({
  ...checkWorkflowJobSpec,
  async handle(services, data, meta) {
    await checkRun(services, data.runId, workflows, { isLastAttempt: meta.isLastAttempt });
  },
});

/**
 * The scheduled read-back (hourly, see jobs/schedule.ts): queues a check of the latest finished
 * run of every subject whose workflow has checks and that was not checked in the last 50 minutes.
 */
export const checkDueWorkflowsJob = defineJob({
  name: "workflows.check-due",
  schema: z.object({}).passthrough(),
  options: { retryLimit: 2, retryDelaySeconds: 60, expireInSeconds: 15 * 60 },
  async handle(services) {
    const due = await runsDueForCheck(
      services.db,
      workflows,
      new Date(services.now().getTime() - checkEveryMs),
    );
    for (const runId of due)
      await enqueue(
        services.boss,
        services.db,
        checkWorkflowJobSpec,
        { runId },
        { singletonKey: runId },
      );
    if (due.length > 0) services.log.info({ queued: due.length }, "workflow checks queued");
  },
});
