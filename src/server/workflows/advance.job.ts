import { defineJob } from "../jobs/define-job.ts";
import { advanceRun, advanceWorkflowJobSpec } from "./engine.ts";
import { workflows } from "./registry.ts";

/** Advances one run of a registered workflow by one step (ADR 0015). */
export const advanceWorkflowJob = defineJob({
  ...advanceWorkflowJobSpec,
  async handle(services, data, meta) {
    await advanceRun(services, data.runId, workflows, { isLastAttempt: meta.isLastAttempt });
  },
});
