/**
 * Drift in the engine (ADR 0018): a finished run read back through its steps' checks, the
 * differences stored per step with an event only when they change, a check that cannot finish,
 * Repair running only the steps that differ, and the hourly tick choosing what to check.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { closeTestServices, createTestServices, type TestServices } from "../../../test/harness.ts";
import type { Who } from "../authz/actor.ts";
import { inTransaction } from "../context.ts";
import { events, workflowRuns, workflowSteps } from "../db/schema/index.ts";
import { runQueuedJobs } from "../jobs/worker.ts";
import { AppError } from "../lib/errors.ts";
import { defineStep, defineWorkflow, type WorkflowDefinition } from "./define.ts";
import { checkRun, repairWorkflow, requestCheck, runsDueForCheck } from "./drift.ts";
import { advanceRun, advanceWorkflowJobSpec, startWorkflow } from "./engine.ts";

let s: TestServices;
const who: Who = { actor: null, label: "test", clientAddress: null };

/** What exists outside, per subject and step: the step creates it, someone may delete it. */
const outside = new Map<string, Set<string>>();
/** Runs of each step, per subject. */
const runs = new Map<string, string[]>();
/** A failure the checks of a subject throw, if any. */
const checkFailure = new Map<string, Error>();

const input = z.object({ subject: z.string() });
const step = (id: string, checked = true) =>
  defineStep<z.infer<typeof input>>({
    id: `drift.${id}`,
    title: `Object ${id}`,
    async run({ input: { subject } }) {
      runs.set(subject, [...(runs.get(subject) ?? []), id]);
      outside.get(subject)?.add(id);
      return undefined;
    },
    ...(checked
      ? {
          async check({ input: { subject } }: { input: { subject: string } }) {
            const failure = checkFailure.get(subject);
            if (failure) throw failure;
            return outside.get(subject)?.has(id) ? [] : [`${id} is missing`];
          },
        }
      : {}),
  });
const checked = defineWorkflow({
  name: "test.checked",
  subject: "enterprise",
  input,
  steps: [step("a"), step("b"), step("c", false)],
});
const registry: WorkflowDefinition[] = [checked];

const advanceJob = {
  ...advanceWorkflowJobSpec,
  handle: (services: typeof s, data: { runId: string }) =>
    advanceRun(services, data.runId, registry),
};
async function advanceAll() {
  while ((await runQueuedJobs(s, advanceWorkflowJobSpec.name, [advanceJob as never])) > 0) {}
}

let n = 0;
async function finishedRun() {
  const subject = `ent_drift_${process.pid}_${++n}`;
  outside.set(subject, new Set());
  const runId = await inTransaction(s, who, (ctx) =>
    startWorkflow(ctx, checked, {
      subject: { type: "enterprise", id: subject, label: subject },
      path: { enterpriseId: subject },
      input: { subject },
    }),
  );
  await advanceAll();
  runs.set(subject, []);
  return { subject, runId };
}

async function driftOf(runId: string) {
  const steps = await s.db
    .select({ stepId: workflowSteps.stepId, drift: workflowSteps.drift })
    .from(workflowSteps)
    .where(eq(workflowSteps.runId, runId))
    .orderBy(asc(workflowSteps.position));
  return Object.fromEntries(steps.filter((x) => x.drift).map((x) => [x.stepId, x.drift]));
}

async function driftEvents(subject: string) {
  const rows = await s.db
    .select({ name: events.name })
    .from(events)
    .where(and(eq(events.subjectId, subject), sql`${events.name} like 'workflow.drift%'`))
    .orderBy(asc(events.id));
  return rows.map((r) => r.name);
}

beforeAll(async () => {
  s = await createTestServices();
});
afterAll(() => closeTestServices(s));

describe("Drift", () => {
  it("stores what each checked step finds, and records an event only when that changes", async () => {
    const { subject, runId } = await finishedRun();
    await checkRun(s, runId, registry);
    expect(await driftOf(runId)).toEqual({});
    expect(await driftEvents(subject)).toEqual([]);

    outside.get(subject)!.delete("b");
    outside.get(subject)!.delete("c"); // not checked: never reported
    await checkRun(s, runId, registry);
    await checkRun(s, runId, registry);
    expect(await driftOf(runId)).toEqual({ "drift.b": ["b is missing"] });
    expect(await driftEvents(subject)).toEqual(["workflow.drift_detected"]);

    outside.get(subject)!.add("b"); // put back by hand
    await checkRun(s, runId, registry);
    expect(await driftOf(runId)).toEqual({});
    expect(await driftEvents(subject)).toEqual([
      "workflow.drift_detected",
      "workflow.drift_cleared",
    ]);
    const [run] = await s.db.select().from(workflowRuns).where(eq(workflowRuns.id, runId));
    expect(run?.checkedAt).not.toBeNull();
  });

  it("retries a check Microsoft could not answer, and keeps what it found when it gives up", async () => {
    const { subject, runId } = await finishedRun();
    outside.get(subject)!.delete("a");
    await checkRun(s, runId, registry);
    checkFailure.set(subject, new AppError("microsoft_unavailable", "Microsoft is unavailable"));
    await expect(checkRun(s, runId, registry)).rejects.toThrow("Microsoft is unavailable");
    await checkRun(s, runId, registry, { isLastAttempt: true });
    checkFailure.delete(subject);
    const [run] = await s.db.select().from(workflowRuns).where(eq(workflowRuns.id, runId));
    expect(run?.checkError).toBe("Microsoft is unavailable");
    expect(await driftOf(runId)).toEqual({ "drift.a": ["a is missing"] });
  });

  it("repairs by running again only the steps that differ, each afresh", async () => {
    const { subject, runId } = await finishedRun();
    await expect(inTransaction(s, who, (ctx) => repairWorkflow(ctx, runId))).rejects.toThrow(
      "Nothing to repair",
    );
    outside.get(subject)!.delete("b");
    await checkRun(s, runId, registry);
    const stepIds = await inTransaction(s, who, (ctx) => repairWorkflow(ctx, runId));
    expect(stepIds).toEqual(["drift.b"]);
    // A check asked for while the repair runs is answered by the repair.
    await expect(inTransaction(s, who, (ctx) => requestCheck(ctx, runId))).rejects.toThrow(
      "Only a finished set-up can be checked",
    );
    await advanceAll();
    expect(runs.get(subject)).toEqual(["b"]);
    expect(outside.get(subject)!.has("b")).toBe(true);
    const [run] = await s.db.select().from(workflowRuns).where(eq(workflowRuns.id, runId));
    expect(run?.status).toBe("succeeded");
    expect(await driftOf(runId)).toEqual({});
    const [b] = await s.db
      .select({ attempt: workflowSteps.attempt })
      .from(workflowSteps)
      .where(and(eq(workflowSteps.runId, runId), eq(workflowSteps.stepId, "drift.b")));
    expect(b?.attempt).toBe(1);
  });

  it("chooses for the hourly tick the latest finished run of each subject not checked lately", async () => {
    const first = await finishedRun();
    const second = await finishedRun();
    const due = await runsDueForCheck(s.db, registry, new Date(Date.now() - 60_000));
    expect(due).toEqual(expect.arrayContaining([first.runId, second.runId]));
    await checkRun(s, first.runId, registry);
    const later = await runsDueForCheck(s.db, registry, new Date(Date.now() - 60_000));
    expect(later).not.toContain(first.runId);
    expect(later).toContain(second.runId);
    // Workflows without checks are never read back.
    expect(await runsDueForCheck(s.db, [], new Date())).toEqual([]);
  });
});
