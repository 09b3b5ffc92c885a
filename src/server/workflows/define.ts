import type { z } from "zod";
import type { Ctx } from "../context.ts";
import type { Services } from "../services.ts";

/** What a run is about: shown in the portal and recorded on every event of the run. */
export interface WorkflowSubject {
  type: string;
  id: string;
  label?: string | null;
}

/** Where the subject sits in the tree, so each tier sees its runs and their events. */
export interface WorkflowPath {
  masterResellerId?: string | null;
  resellerId?: string | null;
  enterpriseId?: string | null;
}

/** External calls of a step, remembered in its row so a rerun after a crash does not repeat them. */
export interface StepIo {
  /**
   * Runs `fn` once per run, step and key: its JSON result is saved in the step's memo before
   * `once` returns, and a rerun of the step gets the saved result without calling `fn`.
   */
  once<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** What a step sees while it runs: services for external work, never a transaction. */
export interface StepRun<I> {
  services: Services;
  input: I;
  run: { id: string; subject: WorkflowSubject; path: WorkflowPath };
  /** 1 for the first run of the step, then one more for each rerun (after a wait or a retry). */
  attempt: number;
  io: StepIo;
}

/** A step that must wait (a DNS record to appear, Microsoft to apply a change) asks to run again. */
export interface StepWait {
  waitSeconds: number;
  /** Shown in the portal while the step waits, e.g. "Waiting for the TXT record to resolve". */
  reason: string;
}

/** What a step's `check` sees: it reads the world back, changes nothing and keeps nothing. */
export interface StepCheck<I> {
  services: Services;
  input: I;
  run: { id: string; subject: WorkflowSubject; path: WorkflowPath };
}

export interface StepDefinition<I> {
  /** Stable, dotted: `<workflow area>.<what it does>`; stored in `workflow_steps.step_id`. */
  id: string;
  /** What the portal shows, e.g. "Verify the domain". */
  title: string;
  /**
   * The step's external work. It looks before it creates (idempotent), keeps results of calls
   * that must not repeat with `io.once`, returns a wait to run again later, and throws to fail:
   * an `AppError` that is transient (Microsoft throttling or unavailable) is retried with
   * back-off; anything else fails the step and the run.
   */
  run(step: StepRun<I>): Promise<StepWait | undefined>;
  /** Database effects of the step, committed in the same transaction as its success. */
  finish?(
    ctx: Ctx,
    step: { input: I; memo: Record<string, unknown>; runId: string },
  ): Promise<void>;
  /**
   * Reverses the step's effects: an undo of the run walks the steps that ran (succeeded, or
   * failed part-way) in reverse, so it must look before it removes.
   */
  undo?(step: StepRun<I>): Promise<void>;
  /**
   * Drift: reads back what the step guarantees once its run has succeeded (an object edited or
   * deleted by hand since) and says how the world differs, one sentence per difference (empty
   * when it matches). A repair runs again exactly the steps whose check found a difference, so a
   * check also reports what its own `run` needs that an earlier step's object lost. A step that
   * guarantees nothing outside the database has no check.
   */
  check?(step: StepCheck<I>): Promise<string[]>;
}

export interface WorkflowDefinition<S extends z.ZodType = z.ZodType> {
  /** Stable, dotted, e.g. `direct-routing.provision`. */
  name: string;
  /** The subject type its runs are about, e.g. `enterprise`. */
  subject: string;
  input: S;
  steps: readonly StepDefinition<z.infer<S>>[];
}

export function defineStep<I>(step: StepDefinition<I>): StepDefinition<I> {
  return step;
}

/** A workflow: named steps run in order; step ids must be unique within it. */
export function defineWorkflow<S extends z.ZodType>(
  workflow: WorkflowDefinition<S>,
): WorkflowDefinition<S> {
  const ids = new Set<string>();
  for (const step of workflow.steps) {
    if (ids.has(step.id)) throw new Error(`Workflow ${workflow.name}: step ${step.id} twice`);
    ids.add(step.id);
  }
  return workflow;
}
