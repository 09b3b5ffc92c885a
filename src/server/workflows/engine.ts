import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { WorkflowRunView } from "../../shared/contracts/workflows.ts";
import type { EventName } from "../../shared/events.ts";
import { newId } from "../../shared/ids.ts";
import { system } from "../authz/actor.ts";
import { type Ctx, inTransaction } from "../context.ts";
import type { Db } from "../db/client.ts";
import { workflowRuns, workflowSteps } from "../db/schema/index.ts";
import { subjectColumns } from "../events/append-event.ts";
import type { JobSpec } from "../jobs/define-job.ts";
import { AppError, describeRemoteError, isTransient } from "../lib/errors.ts";
import { acquireLease, type Lease, releaseLease, renewLease } from "../lib/lease.ts";
import type { Services } from "../services.ts";
import type {
  StepDefinition,
  StepIo,
  WorkflowDefinition,
  WorkflowPath,
  WorkflowSubject,
} from "./define.ts";

type RunRow = typeof workflowRuns.$inferSelect;
type StepRow = typeof workflowSteps.$inferSelect;

/** Workflow transitions are the platform's doing, whoever started the run. */

/** How long a worker's hold on a run lasts without renewal (a dead worker's run is free after). */
export const defaultLeaseMs = 5 * 60_000;

/**
 * The job that advances one run by one step, queued by every transition that leaves work to do
 * (its handler, `advance.job.ts`, knows the registered workflows).
 */
export const advanceWorkflowJobSpec: JobSpec<z.ZodObject<{ runId: z.ZodString }>> = {
  name: "workflows.advance",
  schema: z.object({ runId: z.string() }),
  options: {
    retryLimit: 12,
    retryDelaySeconds: 10,
    retryBackoff: true,
    expireInSeconds: defaultLeaseMs / 1000,
    policy: "stately",
  },
};

export async function queueAdvance(ctx: Ctx, runId: string, startAfterSeconds?: number) {
  await ctx.enqueue(
    advanceWorkflowJobSpec,
    { runId },
    { singletonKey: runId, ...(startAfterSeconds ? { startAfterSeconds } : {}) },
  );
}

export async function emitFor(
  ctx: Ctx,
  run: Pick<RunRow, "id" | "name" | "subjectType" | "subjectId" | "subjectLabel"> & WorkflowPath,
  name: EventName,
  payload: Record<string, unknown>,
) {
  await ctx.emit(name, {
    subject: subjectOf(run),
    path: {
      masterResellerId: run.masterResellerId ?? null,
      resellerId: run.resellerId ?? null,
      enterpriseId: run.enterpriseId ?? null,
    },
    payload: { runId: run.id, workflow: run.name, ...payload } as never,
  });
}

/**
 * Starts a run of `workflow` for `subject` in the caller's transaction: the run, one pending row
 * per step, `workflow.started`, and the first advance, all committed together. 409
 * `invalid_state` when a run of this workflow is already live for the subject.
 */
export async function startWorkflow<S extends z.ZodType>(
  ctx: Ctx,
  workflow: WorkflowDefinition<S>,
  target: { subject: WorkflowSubject; path: WorkflowPath; input: z.input<S> },
): Promise<string> {
  const input = workflow.input.parse(target.input) as object;
  const id = newId("workflowRun");
  const run = { id, name: workflow.name, ...subjectColumns(target.subject, target.path) };
  const inserted = await ctx.tx
    .insert(workflowRuns)
    .values({ ...run, status: "running", input, createdAt: ctx.now, updatedAt: ctx.now })
    .onConflictDoNothing()
    .returning({ id: workflowRuns.id });
  if (inserted.length === 0)
    throw new AppError(
      "invalid_state",
      `${workflow.name} is already running for this ${workflow.subject}`,
    );
  await ctx.tx
    .insert(workflowSteps)
    .values(workflow.steps.map((step, position) => ({ runId: id, stepId: step.id, position })));
  await emitFor(ctx, run, "workflow.started", {});
  await queueAdvance(ctx, id);
  return id;
}

/** A run is held by one worker while it runs a step; a dead worker's lease goes stale. */
function runLease(leaseMs: number): Lease {
  return {
    key: workflowRuns.id,
    owner: workflowRuns.leaseOwner,
    heartbeat: workflowRuns.leaseHeartbeatAt,
    staleAfterMs: leaseMs,
  };
}

/** Runs that have a step to run (or to undo). */
const advanceable = new Set<RunRow["status"]>(["running", "waiting", "undoing"]);

/** The step's `io`, and its memo as it stands (what `once` saved, then what it adds). */
function stepIo(db: Db, row: StepRow): StepIo & { memo: Record<string, unknown> } {
  const memo = { ...(row.memo as Record<string, unknown>) };
  return {
    memo,
    async once<T>(key: string, fn: () => Promise<T>): Promise<T> {
      if (Object.hasOwn(memo, key)) return memo[key] as T;
      const result = await fn();
      // Saved before it is used: a crash after this line does not repeat the call.
      await db
        .update(workflowSteps)
        .set({
          memo: sql`${workflowSteps.memo} || jsonb_build_object(${key}::text, ${JSON.stringify(result ?? null)}::jsonb)`,
        })
        .where(and(eq(workflowSteps.runId, row.runId), eq(workflowSteps.stepId, row.stepId)));
      memo[key] = result ?? null;
      return result;
    },
  };
}

export interface AdvanceOptions {
  /** Identifies this worker's lease (default: a new one per call). */
  owner?: string;
  leaseMs?: number;
  /** The job's last attempt: a transient failure then fails the step instead of retrying. */
  isLastAttempt?: boolean;
}

/**
 * Runs the run's next step (or, while undoing, undoes its last step that ran) under the run's
 * lease, and records the outcome with its event in one transaction. Throws to have the job
 * retried: when another worker holds the run, and on a transient failure.
 */
export async function advanceRun(
  services: Services,
  runId: string,
  registry: readonly WorkflowDefinition[],
  options: AdvanceOptions = {},
): Promise<void> {
  const owner = options.owner ?? randomUUID();
  const lease = runLease(options.leaseMs ?? defaultLeaseMs);
  const acquired = await acquireLease(services.db, lease, {
    key: runId,
    owner,
    now: services.now(),
  });
  const [run] = await services.db.select().from(workflowRuns).where(eq(workflowRuns.id, runId));
  // Finished, failed or gone: nothing to do.
  if (!run || !advanceable.has(run.status)) {
    if (acquired) await releaseLease(services.db, lease, { key: runId, owner });
    return;
  }
  if (!acquired) throw new Error(`Workflow run ${runId} is held by another worker`);
  // A step may take a while: the lease stays alive while this worker is.
  const heartbeat = setInterval(
    () =>
      void renewLease(services.db, lease, { key: runId, owner, now: services.now() }).catch(
        () => {},
      ),
    Math.max(1_000, lease.staleAfterMs / 3),
  );
  try {
    const workflow = registry.find((w) => w.name === run.name);
    if (!workflow) throw new Error(`Unknown workflow ${run.name}`);
    const steps = await services.db
      .select()
      .from(workflowSteps)
      .where(eq(workflowSteps.runId, run.id))
      .orderBy(asc(workflowSteps.position));
    if (run.status === "undoing") await undoNext(services, run, workflow, steps);
    else await runNext(services, run, workflow, steps, options);
  } finally {
    clearInterval(heartbeat);
    await releaseLease(services.db, lease, { key: run.id, owner });
  }
}

function definitionOf(workflow: WorkflowDefinition, stepId: string): StepDefinition<unknown> {
  const step = workflow.steps.find((s) => s.id === stepId);
  if (!step) throw new Error(`Workflow ${workflow.name} has no step ${stepId}`);
  return step as StepDefinition<unknown>;
}

const stepKey = (row: StepRow) =>
  and(eq(workflowSteps.runId, row.runId), eq(workflowSteps.stepId, row.stepId));

async function runNext(
  services: Services,
  run: RunRow,
  workflow: WorkflowDefinition,
  steps: StepRow[],
  options: AdvanceOptions,
) {
  const next = steps.find((s) => s.status !== "succeeded");
  if (!next) {
    await inTransaction(services, system, async (ctx) => {
      await ctx.tx
        .update(workflowRuns)
        .set({ status: "succeeded", finishedAt: ctx.now, updatedAt: ctx.now })
        .where(eq(workflowRuns.id, run.id));
      await emitFor(ctx, run, "workflow.succeeded", {});
    });
    return;
  }
  if (next.status === "failed") return;
  const step = definitionOf(workflow, next.stepId);
  const attempt = next.attempt + 1;
  const now = services.now();
  // Committed before the work: a crash leaves the step visibly running, its attempt counted.
  await services.db.transaction(async (tx) => {
    await tx
      .update(workflowSteps)
      .set({
        status: "running",
        attempt,
        startedAt: next.startedAt ?? now,
        waitReason: null,
        waitUntil: null,
      })
      .where(stepKey(next));
    await tx
      .update(workflowRuns)
      .set({ status: "running", updatedAt: now })
      .where(eq(workflowRuns.id, run.id));
  });
  const input = workflow.input.parse(run.input);
  const io = stepIo(services.db, next);
  let wait: Awaited<ReturnType<typeof step.run>>;
  try {
    wait = await step.run({
      services,
      input,
      run: { id: run.id, subject: subjectOf(run), path: run },
      attempt,
      io,
    });
  } catch (error) {
    await recordFailure(services, run, next, attempt, error, options);
    return;
  }
  await inTransaction(services, system, async (ctx) => {
    if (wait) {
      const until = new Date(ctx.now.getTime() + wait.waitSeconds * 1000);
      await ctx.tx
        .update(workflowSteps)
        .set({ status: "waiting", waitReason: wait.reason, waitUntil: until })
        .where(stepKey(next));
      await ctx.tx
        .update(workflowRuns)
        .set({ status: "waiting", updatedAt: ctx.now })
        .where(eq(workflowRuns.id, run.id));
      await emitFor(ctx, run, "workflow.step_waiting", {
        stepId: next.stepId,
        attempt,
        reason: wait.reason,
        until: until.toISOString(),
      });
      await queueAdvance(ctx, run.id, Math.max(1, Math.ceil(wait.waitSeconds)));
      return;
    }
    await step.finish?.(ctx, { input, memo: io.memo, runId: run.id });
    await ctx.tx
      .update(workflowSteps)
      .set({
        status: "succeeded",
        error: null,
        correlationId: null,
        drift: null,
        finishedAt: ctx.now,
      })
      .where(stepKey(next));
    await emitFor(ctx, run, "workflow.step_succeeded", { stepId: next.stepId, attempt });
    await queueAdvance(ctx, run.id);
  });
}

export function subjectOf(
  run: Pick<RunRow, "subjectType" | "subjectId" | "subjectLabel">,
): WorkflowSubject {
  return { type: run.subjectType, id: run.subjectId, label: run.subjectLabel };
}

/** A transient failure goes back to pending and is retried by the job; others fail the run. */
async function recordFailure(
  services: Services,
  run: RunRow,
  step: StepRow,
  attempt: number,
  error: unknown,
  options: AdvanceOptions,
) {
  const described = describeRemoteError(error);
  const message = described.message.slice(0, 1000);
  const { correlationId } = described;
  if (isTransient(error) && !options.isLastAttempt) {
    await services.db
      .update(workflowSteps)
      .set({ status: "pending", error: message, correlationId })
      .where(stepKey(step));
    throw error;
  }
  await inTransaction(services, system, async (ctx) => {
    await ctx.tx
      .update(workflowSteps)
      .set({ status: "failed", error: message, correlationId, finishedAt: ctx.now })
      .where(stepKey(step));
    await ctx.tx
      .update(workflowRuns)
      .set({ status: "failed", updatedAt: ctx.now })
      .where(eq(workflowRuns.id, run.id));
    await emitFor(ctx, run, "workflow.step_failed", {
      stepId: step.stepId,
      attempt,
      error: message,
      correlationId,
    });
    await emitFor(ctx, run, "workflow.failed", { stepId: step.stepId });
  });
}

async function undoNext(
  services: Services,
  run: RunRow,
  workflow: WorkflowDefinition,
  steps: StepRow[],
) {
  // A failed step may have done part of its work (a user created, its licence refused): it is
  // undone too; undos look before they remove.
  const last = [...steps].reverse().find((s) => s.status === "succeeded" || s.status === "failed");
  if (!last) {
    await inTransaction(services, system, async (ctx) => {
      await ctx.tx
        .update(workflowRuns)
        .set({ status: "undone", finishedAt: ctx.now, updatedAt: ctx.now })
        .where(eq(workflowRuns.id, run.id));
      await emitFor(ctx, run, "workflow.undone", {});
    });
    return;
  }
  const step = definitionOf(workflow, last.stepId);
  await step.undo?.({
    services,
    input: workflow.input.parse(run.input),
    run: { id: run.id, subject: subjectOf(run), path: run },
    attempt: last.attempt,
    io: stepIo(services.db, last),
  });
  await inTransaction(services, system, async (ctx) => {
    await ctx.tx
      .update(workflowSteps)
      .set({ status: "undone", finishedAt: ctx.now })
      .where(stepKey(last));
    await emitFor(ctx, run, "workflow.step_undone", {
      stepId: last.stepId,
      attempt: last.attempt,
    });
    await queueAdvance(ctx, run.id);
  });
}

/** The run, locked for update in the caller's transaction; 404 when it does not exist. */
export async function liveRun(ctx: Ctx, runId: string): Promise<RunRow> {
  const [run] = await ctx.tx
    .select()
    .from(workflowRuns)
    .where(eq(workflowRuns.id, runId))
    .for("update");
  if (!run) throw new AppError("not_found", "No such workflow run");
  return run;
}

/** "Retry" on a failed run: its failed step is pending again and the run advances. */
export async function retryWorkflow(ctx: Ctx, runId: string): Promise<void> {
  const run = await liveRun(ctx, runId);
  if (run.status !== "failed")
    throw new AppError("invalid_state", "Only a failed run can be retried");
  const [failed] = await ctx.tx
    .update(workflowSteps)
    .set({ status: "pending", finishedAt: null })
    .where(and(eq(workflowSteps.runId, runId), eq(workflowSteps.status, "failed")))
    .returning({ stepId: workflowSteps.stepId });
  await ctx.tx
    .update(workflowRuns)
    .set({ status: "running", updatedAt: ctx.now })
    .where(eq(workflowRuns.id, runId));
  await emitFor(ctx, run, "workflow.retried", { stepId: failed?.stepId ?? "" });
  await queueAdvance(ctx, runId);
}

/** Undoes a run: the steps that ran (succeeded or failed part-way) are reversed, last first, by the advance job. */
export async function undoWorkflow(ctx: Ctx, runId: string): Promise<void> {
  const run = await liveRun(ctx, runId);
  if (run.status === "undoing" || run.status === "undone")
    throw new AppError("invalid_state", "This run is already undone or being undone");
  await ctx.tx
    .update(workflowRuns)
    .set({ status: "undoing", finishedAt: null, updatedAt: ctx.now })
    .where(eq(workflowRuns.id, runId));
  await emitFor(ctx, run, "workflow.undo_started", {});
  await queueAdvance(ctx, runId);
}

export interface WorkflowRunState {
  run: RunRow;
  steps: (StepRow & { title: string })[];
}

/** The latest run of `workflow` for a subject with its steps (titles from the definition). */
export async function latestRun(
  db: Db,
  workflow: WorkflowDefinition,
  subjectId: string,
): Promise<WorkflowRunState | null> {
  const [run] = await db
    .select()
    .from(workflowRuns)
    .where(and(eq(workflowRuns.name, workflow.name), eq(workflowRuns.subjectId, subjectId)))
    .orderBy(desc(workflowRuns.createdAt))
    .limit(1);
  if (!run) return null;
  const steps = await db
    .select()
    .from(workflowSteps)
    .where(eq(workflowSteps.runId, run.id))
    .orderBy(asc(workflowSteps.position));
  return {
    run,
    steps: steps.map((s) => ({
      ...s,
      title: workflow.steps.find((d) => d.id === s.stepId)?.title ?? s.stepId,
    })),
  };
}

/** A run and its steps as the portal shows them. */
export function presentWorkflowRun({ run, steps }: WorkflowRunState): WorkflowRunView {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    createdAt: run.createdAt.toISOString(),
    finishedAt: iso(run.finishedAt),
    checkedAt: iso(run.checkedAt),
    checking:
      run.checkRequestedAt !== null &&
      (run.checkedAt === null || run.checkedAt < run.checkRequestedAt),
    checkError: run.checkError,
    steps: steps.map((s) => ({
      id: s.stepId,
      title: s.title,
      status: s.status,
      attempt: s.attempt,
      error: s.error,
      correlationId: s.correlationId,
      waitReason: s.waitReason,
      waitUntil: iso(s.waitUntil),
      startedAt: iso(s.startedAt),
      finishedAt: iso(s.finishedAt),
      drift: s.drift ?? [],
    })),
  };
}
