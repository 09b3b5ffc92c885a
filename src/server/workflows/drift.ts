import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { system } from "../authz/actor.ts";
import { type Ctx, inTransaction } from "../context.ts";
import type { Db } from "../db/client.ts";
import { workflowRuns, workflowSteps } from "../db/schema/index.ts";
import type { JobSpec } from "../jobs/define-job.ts";
import { AppError, describeRemoteError, isTransient } from "../lib/errors.ts";
import type { Services } from "../services.ts";
import type { WorkflowDefinition } from "./define.ts";
import { emitFor, liveRun, queueAdvance, subjectOf } from "./engine.ts";

/*
 * Drift (ADR 0018): a finished run read back through its steps' `check`, the differences stored
 * on the steps, and Repair, which runs again only the steps that differ.
 */

/** The job that reads a finished run back through its steps' checks (drift). */
export const checkWorkflowJobSpec: JobSpec<z.ZodObject<{ runId: z.ZodString }>> = {
  name: "workflows.check",
  schema: z.object({ runId: z.string() }),
  options: {
    retryLimit: 4,
    retryDelaySeconds: 30,
    retryBackoff: true,
    expireInSeconds: 15 * 60,
    policy: "stately",
  },
};

/** A step's differences as events carry them. */
interface StepDrift {
  stepId: string;
  differences: string[];
}

/**
 * "Check now": asks for a read-back of a finished run; the check job runs it and the portal
 * shows "Checking…" until it has. 409 unless the run has succeeded (a live run is checked by
 * running it; an undone one guarantees nothing).
 */
export async function requestCheck(ctx: Ctx, runId: string): Promise<void> {
  const run = await liveRun(ctx, runId);
  if (run.status !== "succeeded")
    throw new AppError("invalid_state", "Only a finished set-up can be checked");
  await ctx.tx
    .update(workflowRuns)
    .set({ checkRequestedAt: ctx.now })
    .where(eq(workflowRuns.id, runId));
  await emitFor(ctx, run, "workflow.check_requested", {});
  await ctx.enqueue(checkWorkflowJobSpec, { runId }, { singletonKey: runId });
}

/**
 * The read-back of a succeeded run: every step's `check`, in order, then the differences stored
 * on the steps and the run's check time, in one transaction. An event is recorded when what
 * differs changes (found, changed or gone), not at every check. A transient failure is thrown so
 * the job retries; on the job's last attempt, or any other failure, the error is kept on the run
 * and the differences found before stay as they were.
 */
export async function checkRun(
  services: Services,
  runId: string,
  registry: readonly WorkflowDefinition[],
  options: { isLastAttempt?: boolean } = {},
): Promise<void> {
  const [run] = await services.db.select().from(workflowRuns).where(eq(workflowRuns.id, runId));
  if (!run) return;
  if (run.status !== "succeeded") {
    // A repair or an undo started since the check was asked for: it answers instead.
    if (run.checkRequestedAt)
      await services.db
        .update(workflowRuns)
        .set({ checkRequestedAt: null })
        .where(eq(workflowRuns.id, run.id));
    return;
  }
  const workflow = registry.find((w) => w.name === run.name);
  if (!workflow) throw new Error(`Unknown workflow ${run.name}`);
  const input = workflow.input.parse(run.input);
  const found: StepDrift[] = [];
  try {
    for (const step of workflow.steps) {
      if (!step.check) continue;
      const differences = await step.check({
        services,
        input,
        run: { id: run.id, subject: subjectOf(run), path: run },
      });
      if (differences.length > 0) found.push({ stepId: step.id, differences });
    }
  } catch (error) {
    if (isTransient(error) && !options.isLastAttempt) throw error;
    const message = describeRemoteError(error).message.slice(0, 1000);
    await services.db
      .update(workflowRuns)
      .set({ checkError: message, checkedAt: services.now(), checkRequestedAt: null })
      .where(and(eq(workflowRuns.id, run.id), eq(workflowRuns.status, "succeeded")));
    return;
  }
  await inTransaction(services, system, async (ctx) => {
    // A repair or an undo may have started while the checks ran: their steps decide then.
    const locked = await liveRun(ctx, run.id);
    if (locked.status !== "succeeded") return;
    const steps = await ctx.tx
      .select({ stepId: workflowSteps.stepId, drift: workflowSteps.drift })
      .from(workflowSteps)
      .where(eq(workflowSteps.runId, run.id))
      .orderBy(asc(workflowSteps.position));
    const before: StepDrift[] = steps.flatMap((s) =>
      s.drift && s.drift.length > 0 ? [{ stepId: s.stepId, differences: s.drift }] : [],
    );
    for (const s of steps) {
      const now = found.find((f) => f.stepId === s.stepId)?.differences ?? null;
      if (JSON.stringify(now) !== JSON.stringify(s.drift ?? null))
        await ctx.tx
          .update(workflowSteps)
          .set({ drift: now })
          .where(and(eq(workflowSteps.runId, run.id), eq(workflowSteps.stepId, s.stepId)));
    }
    await ctx.tx
      .update(workflowRuns)
      .set({ checkedAt: ctx.now, checkRequestedAt: null, checkError: null })
      .where(eq(workflowRuns.id, run.id));
    if (JSON.stringify(found) === JSON.stringify(before)) return;
    if (found.length > 0) await emitFor(ctx, run, "workflow.drift_detected", { drift: found });
    else await emitFor(ctx, run, "workflow.drift_cleared", {});
  });
}

/**
 * "Repair": a succeeded run whose last check found differences runs again exactly the steps
 * that differ, in order, each as a fresh execution (attempts and remembered results start over:
 * an object deleted by hand is created anew). 409 when nothing differs.
 */
export async function repairWorkflow(ctx: Ctx, runId: string): Promise<string[]> {
  const run = await liveRun(ctx, runId);
  if (run.status !== "succeeded")
    throw new AppError("invalid_state", "Only a finished set-up can be repaired");
  const drifted = await ctx.tx
    .update(workflowSteps)
    .set({
      status: "pending",
      attempt: 0,
      memo: {},
      error: null,
      correlationId: null,
      waitReason: null,
      waitUntil: null,
      startedAt: null,
      finishedAt: null,
    })
    .where(
      and(
        eq(workflowSteps.runId, runId),
        sql`jsonb_array_length(coalesce(${workflowSteps.drift}, '[]'::jsonb)) > 0`,
      ),
    )
    .returning({ stepId: workflowSteps.stepId, position: workflowSteps.position });
  if (drifted.length === 0)
    throw new AppError("invalid_state", "Nothing to repair: the last check found no differences");
  await ctx.tx
    .update(workflowRuns)
    .set({ status: "running", finishedAt: null, checkRequestedAt: null, updatedAt: ctx.now })
    .where(eq(workflowRuns.id, runId));
  const stepIds = drifted.sort((a, b) => a.position - b.position).map((d) => d.stepId);
  await emitFor(ctx, run, "workflow.repair_started", { stepIds });
  await queueAdvance(ctx, runId);
  return stepIds;
}

/**
 * The latest run of each subject for the workflows that have checks, when it has succeeded and
 * was not checked since `checkedBefore`: what the scheduled read-back queues.
 */
export async function runsDueForCheck(
  db: Db,
  registry: readonly WorkflowDefinition[],
  checkedBefore: Date,
): Promise<string[]> {
  const names = registry.filter((w) => w.steps.some((s) => s.check)).map((w) => w.name);
  if (names.length === 0) return [];
  const result = (await db.execute(sql`
    SELECT id FROM (
      SELECT DISTINCT ON (name, subject_type, subject_id) id, status, checked_at
      FROM workflow_runs
      WHERE name IN (${sql.join(
        names.map((n) => sql`${n}`),
        sql`, `,
      )})
      ORDER BY name, subject_type, subject_id, created_at DESC
    ) latest
    WHERE status = 'succeeded' AND (checked_at IS NULL OR checked_at < ${checkedBefore})`)) as unknown as {
    rows: { id: string }[];
  };
  return result.rows.map((r) => r.id);
}
