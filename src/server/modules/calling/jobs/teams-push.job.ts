import { z } from "zod";
import { defineJob } from "../../../jobs/define-job.ts";
import { pushUserToTeams } from "../push/converge.ts";

/**
 * Brings one user's Teams side in line with its calling configuration (`pushUserToTeams`). One
 * queued and one running per user (`stately`, keyed by the user): a change made while a push
 * runs is pushed again after it. Throttling, outages and number operations still running are
 * retried with back-off; the last attempt records the failure for a Retry.
 */
export const teamsPushJob = defineJob({
  name: "calling.teams-push",
  schema: z.object({ enterpriseId: z.string(), userId: z.string() }),
  options: {
    retryLimit: 8,
    retryDelaySeconds: 2,
    retryBackoff: true,
    expireInSeconds: 300,
    policy: "stately",
    // A push mostly waits on Microsoft (the number operation takes its time): many at once.
    concurrency: 10,
  },
  async handle(services, data, meta) {
    await pushUserToTeams(services, data, meta);
  },
});
