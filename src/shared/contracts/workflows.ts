export type WorkflowRunStatus =
  | "running"
  | "waiting"
  | "succeeded"
  | "failed"
  | "undoing"
  | "undone";
export type WorkflowStepStatus =
  | "pending"
  | "running"
  | "waiting"
  | "succeeded"
  | "failed"
  | "undone";

/** One step of a workflow run as the portal shows it. */
export interface WorkflowStepView {
  id: string;
  title: string;
  status: WorkflowStepStatus;
  /** Times the step has run (waits and retries run it again). */
  attempt: number;
  /** Why it failed (or, while retrying, why the last attempt failed), in our words and Microsoft's. */
  error: string | null;
  /** The remote side's request id, for a support ticket with Microsoft. */
  correlationId: string | null;
  /** While waiting: why, and when it runs again. */
  waitReason: string | null;
  waitUntil: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** How the world differs from what the step guarantees, as the last check found it (none: matches). */
  drift: string[];
}

/** A workflow run (e.g. the Teams Administrator role, Direct Routing) with its steps, in order. */
export interface WorkflowRunView {
  id: string;
  name: string;
  status: WorkflowRunStatus;
  createdAt: string;
  finishedAt: string | null;
  /** When a finished run was last read back for drift (null: not yet). */
  checkedAt: string | null;
  /** A check was asked for and has not run yet. */
  checking: boolean;
  /** Why the last check could not finish, or null. */
  checkError: string | null;
  steps: WorkflowStepView[];
}

/** The steps whose differences the run's last check found (drift), in order. */
export function driftedSteps(run: Pick<WorkflowRunView, "steps">): WorkflowStepView[] {
  return run.steps.filter((step) => step.drift.length > 0);
}

/** How many differences the run's last check found, over all its steps. */
export function driftCount(run: Pick<WorkflowRunView, "steps">): number {
  return run.steps.reduce((n, step) => n + step.drift.length, 0);
}
