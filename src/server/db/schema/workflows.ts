import { sql } from "drizzle-orm";
import {
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

export const workflowRunStatuses = [
  "running",
  "waiting",
  "succeeded",
  "failed",
  "undoing",
  "undone",
] as const;
export const workflowStepStatuses = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "undone",
] as const;

/**
 * One run of a workflow (`src/server/workflows/`) for a subject, e.g. Direct Routing for an
 * enterprise. Advanced one step at a time by the `workflows.advance` job, which holds the run's
 * lease (`leaseOwner`, alive while `leaseHeartbeatAt` is recent; `lib/lease.ts`) so two workers
 * never run its steps at once.
 */
export const workflowRuns = pgTable(
  "workflow_runs",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    subjectLabel: text("subject_label"),
    masterResellerId: text("master_reseller_id"),
    resellerId: text("reseller_id"),
    enterpriseId: text("enterprise_id"),
    status: text("status", { enum: workflowRunStatuses }).notNull(),
    /** The workflow's input, valid against its schema. */
    input: jsonb("input").notNull(),
    leaseOwner: text("lease_owner"),
    leaseHeartbeatAt: timestamp("lease_heartbeat_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** Drift (a finished run's read-back): when someone asked for a check that has not run yet. */
    checkRequestedAt: timestamp("check_requested_at", { withTimezone: true }),
    /** When the steps' checks last read the world back (their differences are on the steps). */
    checkedAt: timestamp("checked_at", { withTimezone: true }),
    /** Why the last check could not finish (Microsoft unavailable, permissions), or null. */
    checkError: text("check_error"),
  },
  (t) => [
    // One live run of a workflow per subject; finished runs stay as history.
    uniqueIndex("workflow_runs_live_key")
      .on(t.name, t.subjectType, t.subjectId)
      .where(sql`status IN ('running', 'waiting', 'failed', 'undoing')`),
    index("workflow_runs_subject_idx").on(t.subjectId, t.createdAt),
  ],
);

/** A step of a run: its state, attempts, memoised external results and last error. */
export const workflowSteps = pgTable(
  "workflow_steps",
  {
    runId: text("run_id")
      .notNull()
      .references(() => workflowRuns.id, { onDelete: "cascade" }),
    stepId: text("step_id").notNull(),
    position: integer("position").notNull(),
    status: text("status", { enum: workflowStepStatuses }).notNull().default("pending"),
    /** Times the step started running (a wait or a transient failure runs it again). */
    attempt: integer("attempt").notNull().default(0),
    /** Results of external calls made through `io.once`, by key: a rerun reuses them. */
    memo: jsonb("memo").notNull().default({}),
    /** Our message, and what the remote side said (with its correlation id when it gave one). */
    error: text("error"),
    correlationId: text("correlation_id"),
    /** While waiting: why, and when the step runs again. */
    waitReason: text("wait_reason"),
    waitUntil: timestamp("wait_until", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /**
     * How the world differs from what the step guarantees, as its last check found it (a list of
     * sentences; null when it matched or was not checked). Cleared when the step runs again.
     */
    drift: jsonb("drift").$type<string[]>(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.stepId] })],
);
