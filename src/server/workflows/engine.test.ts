/**
 * The workflow engine on both databases: steps in order with their events, waits, transient and
 * permanent failures, manual retry, undo in reverse, `io.once`, the run's lease, and (PostgreSQL)
 * a worker killed with SIGKILL in the middle of a step.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { fileURLToPath } from "node:url";
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
import { effectWorkflow } from "./engine.test-support.ts";
import {
  advanceRun,
  advanceWorkflowJobSpec,
  latestRun,
  retryWorkflow,
  startWorkflow,
  undoWorkflow,
} from "./engine.ts";

let s: TestServices;
const who: Who = { actor: null, label: "test", clientAddress: null };

/** What the steps of the test workflows did, by subject. */
const calls = new Map<string, string[]>();
const did = (subject: string, what: string) =>
  calls.set(subject, [...(calls.get(subject) ?? []), what]);
/** How each subject's steps behave on their next run. */
const script = new Map<
  string,
  (step: string, attempt: number) => Error | { wait: number } | null
>();

const input = z.object({ subject: z.string() });
const step = (id: string) =>
  defineStep<z.infer<typeof input>>({
    id: `test.${id}`,
    title: `Step ${id}`,
    async run({ input: { subject }, attempt, io }) {
      const outcome = script.get(subject)?.(id, attempt) ?? null;
      await io.once("seen", async () => {
        did(subject, `once ${id}`);
        return { id };
      });
      if (outcome instanceof Error) throw outcome;
      did(subject, `run ${id}`);
      return outcome ? { waitSeconds: outcome.wait, reason: `waiting in ${id}` } : undefined;
    },
    async finish(ctx, { input: { subject } }) {
      did(subject, `finish ${id}`);
      await ctx.emit("enterprise.user_sync_requested", {
        subject: { type: "enterprise", id: subject },
        path: {},
        payload: {},
      });
    },
    async undo({ input: { subject } }) {
      did(subject, `undo ${id}`);
    },
  });
const threeSteps = defineWorkflow({
  name: "test.three",
  subject: "enterprise",
  input,
  steps: [step("a"), step("b"), step("c")],
});
const registry: WorkflowDefinition[] = [threeSteps, effectWorkflow];

/** Runs the due advance jobs with the test registry, as a worker would. */
const testAdvanceJob = {
  ...advanceWorkflowJobSpec,
  handle: (services: typeof s, data: { runId: string }, meta: { isLastAttempt: boolean }) =>
    advanceRun(services, data.runId, registry, { isLastAttempt: meta.isLastAttempt }),
};
async function advanceAll(): Promise<void> {
  while ((await runQueuedJobs(s, advanceWorkflowJobSpec.name, [testAdvanceJob as never])) > 0) {}
}

/** As if every queued advance were due now (waits and retry back-offs elapsed). */
async function timePasses() {
  await s.db.execute(
    sql`UPDATE pgboss.job SET start_after = now() - interval '1 second' WHERE name = ${advanceWorkflowJobSpec.name} AND state IN ('created', 'retry')`,
  );
}

let n = 0;
async function start(
  behaviour?: (step: string, attempt: number) => Error | { wait: number } | null,
) {
  const subject = `ent_wf_${process.pid}_${++n}`;
  if (behaviour) script.set(subject, behaviour);
  const runId = await inTransaction(s, who, (ctx) =>
    startWorkflow(ctx, threeSteps, {
      subject: { type: "enterprise", id: subject, label: subject },
      path: { enterpriseId: subject },
      input: { subject },
    }),
  );
  return { subject, runId };
}

async function stateOf(runId: string) {
  const [run] = await s.db.select().from(workflowRuns).where(eq(workflowRuns.id, runId));
  const steps = await s.db
    .select()
    .from(workflowSteps)
    .where(eq(workflowSteps.runId, runId))
    .orderBy(asc(workflowSteps.position));
  return { run: run!, steps };
}

async function eventNamesOf(subject: string) {
  const rows = await s.db
    .select({ name: events.name, payload: events.payload })
    .from(events)
    .where(and(eq(events.subjectId, subject), sql`${events.name} like 'workflow.%'`))
    .orderBy(asc(events.id));
  return rows.map((r) => {
    const stepId = (r.payload as { stepId?: string }).stepId;
    return stepId ? `${r.name} ${stepId}` : r.name;
  });
}

beforeAll(async () => {
  s = await createTestServices();
});
afterAll(() => closeTestServices(s));

describe("Running a workflow", () => {
  it("runs the steps in order, each committed with its effects and events, then succeeds", async () => {
    const { subject, runId } = await start();
    await advanceAll();
    const { run, steps } = await stateOf(runId);
    expect(run).toMatchObject({
      status: "succeeded",
      leaseOwner: null,
      finishedAt: expect.any(Date),
    });
    expect(steps.map((x) => [x.stepId, x.status, x.attempt])).toEqual([
      ["test.a", "succeeded", 1],
      ["test.b", "succeeded", 1],
      ["test.c", "succeeded", 1],
    ]);
    expect(calls.get(subject)).toEqual([
      "once a",
      "run a",
      "finish a",
      "once b",
      "run b",
      "finish b",
      "once c",
      "run c",
      "finish c",
    ]);
    expect(await eventNamesOf(subject)).toEqual([
      "workflow.started",
      "workflow.step_succeeded test.a",
      "workflow.step_succeeded test.b",
      "workflow.step_succeeded test.c",
      "workflow.succeeded",
    ]);
    const latest = await latestRun(s.db, threeSteps, subject);
    expect(latest?.steps.map((x) => x.title)).toEqual(["Step a", "Step b", "Step c"]);
  });

  it("allows one live run per subject", async () => {
    const { subject } = await start();
    await expect(
      inTransaction(s, who, (ctx) =>
        startWorkflow(ctx, threeSteps, {
          subject: { type: "enterprise", id: subject },
          path: {},
          input: { subject },
        }),
      ),
    ).rejects.toMatchObject({ code: "invalid_state" });
  });

  it("waits when a step asks to, saying why and until when, then runs it again", async () => {
    const { subject, runId } = await start((id, attempt) =>
      id === "b" && attempt === 1 ? { wait: 120 } : null,
    );
    await advanceAll();
    const waiting = await stateOf(runId);
    expect(waiting.run.status).toBe("waiting");
    expect(waiting.steps[1]).toMatchObject({
      status: "waiting",
      attempt: 1,
      waitReason: "waiting in b",
      waitUntil: expect.any(Date),
    });
    expect(waiting.steps[1]!.waitUntil!.getTime()).toBeGreaterThan(Date.now() + 100_000);

    await timePasses();
    await advanceAll();
    const done = await stateOf(runId);
    expect(done.run.status).toBe("succeeded");
    expect(done.steps[1]).toMatchObject({ status: "succeeded", attempt: 2, waitReason: null });
    // The step's external call was made once across both runs.
    expect(calls.get(subject)?.filter((c) => c === "once b")).toHaveLength(1);
    expect(await eventNamesOf(subject)).toContain("workflow.step_waiting test.b");
  });

  it("retries a transient failure with back-off, keeping what io.once saved", async () => {
    const { subject, runId } = await start((id, attempt) =>
      id === "a" && attempt === 1
        ? new AppError("microsoft_unavailable", "Microsoft is unavailable right now")
        : null,
    );
    await advanceAll();
    const retrying = await stateOf(runId);
    expect(retrying.run.status).toBe("running");
    expect(retrying.steps[0]).toMatchObject({
      status: "pending",
      attempt: 1,
      error: "Microsoft is unavailable right now",
      memo: { seen: { id: "a" } },
    });
    await timePasses();
    await advanceAll();
    expect((await stateOf(runId)).run.status).toBe("succeeded");
    expect(calls.get(subject)?.filter((c) => c === "once a")).toHaveLength(1);
  });

  it("fails the step and the run on any other error, with the remote correlation id; Retry resumes it", async () => {
    let broken = true;
    const { subject, runId } = await start((id) =>
      id === "b" && broken
        ? new AppError("microsoft_error", "Microsoft answered with an error", {
            cause: { status: 400, code: "BadRequest", message: "Bad name", requestId: "req-42" },
          })
        : null,
    );
    await advanceAll();
    const failed = await stateOf(runId);
    expect(failed.run.status).toBe("failed");
    expect(failed.steps.map((x) => x.status)).toEqual(["succeeded", "failed", "pending"]);
    expect(failed.steps[1]).toMatchObject({
      error: "Microsoft answered with an error (400 BadRequest Bad name)",
      correlationId: "req-42",
    });
    expect(await eventNamesOf(subject)).toEqual([
      "workflow.started",
      "workflow.step_succeeded test.a",
      "workflow.step_failed test.b",
      "workflow.failed test.b",
    ]);

    broken = false;
    await inTransaction(s, who, (ctx) => retryWorkflow(ctx, runId));
    await advanceAll();
    const done = await stateOf(runId);
    expect(done.run.status).toBe("succeeded");
    expect(done.steps[1]).toMatchObject({ status: "succeeded", attempt: 2, error: null });
    await expect(inTransaction(s, who, (ctx) => retryWorkflow(ctx, runId))).rejects.toMatchObject({
      code: "invalid_state",
    });
  });

  it("undoes the succeeded steps in reverse order", async () => {
    const { subject, runId } = await start();
    await advanceAll();
    calls.delete(subject);
    await inTransaction(s, who, (ctx) => undoWorkflow(ctx, runId));
    await advanceAll();
    const undone = await stateOf(runId);
    expect(undone.run.status).toBe("undone");
    expect(undone.steps.map((x) => x.status)).toEqual(["undone", "undone", "undone"]);
    expect(calls.get(subject)).toEqual(["undo c", "undo b", "undo a"]);
  });

  it("undoes a failed run from its failed step (which may have done part of its work), not the steps after it", async () => {
    const { subject, runId } = await start((id) => (id === "b" ? new Error("refused") : null));
    await advanceAll();
    expect((await stateOf(runId)).run.status).toBe("failed");
    calls.delete(subject);
    await inTransaction(s, who, (ctx) => undoWorkflow(ctx, runId));
    await advanceAll();
    const undone = await stateOf(runId);
    expect(undone.run.status).toBe("undone");
    expect(undone.steps.map((x) => x.status)).toEqual(["undone", "undone", "pending"]);
    expect(calls.get(subject)).toEqual(["undo b", "undo a"]);
  });

  it("never lets two workers run the same step: the second finds the run held", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const gated = defineWorkflow({
      name: "test.gated",
      subject: "enterprise",
      input,
      steps: [
        defineStep<z.infer<typeof input>>({
          id: "test.gated.only",
          title: "Only",
          async run() {
            runs += 1;
            await gate;
            return undefined;
          },
        }),
      ],
    });
    const runId = await inTransaction(s, who, (ctx) =>
      startWorkflow(ctx, gated, {
        subject: { type: "enterprise", id: `gated-${process.pid}` },
        path: {},
        input: { subject: "gated" },
      }),
    );
    const first = advanceRun(s, runId, [gated], { owner: "worker-1" });
    // Let the first worker take the lease and start the step.
    for (let i = 0; i < 100 && runs === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await expect(advanceRun(s, runId, [gated], { owner: "worker-2" })).rejects.toThrow(
      /held by another worker/,
    );
    release();
    await first;
    expect(runs).toBe(1);
    expect((await stateOf(runId)).steps[0]?.status).toBe("succeeded");
  });
});

describe.skipIf(process.env.TEST_DATABASE_URL === undefined)(
  "A worker killed mid-step (PostgreSQL)",
  () => {
    let server: Server;
    let created = 0;
    beforeAll(async () => {
      server = createServer((_request, res) => {
        created += 1;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ id: created }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("is resumed by another worker, and the step's external effect happened exactly once", async () => {
      const address = server.address() as { port: number };
      const counterUrl = `http://127.0.0.1:${address.port}/create`;
      const runId = await inTransaction(s, who, (ctx) =>
        startWorkflow(ctx, effectWorkflow, {
          subject: { type: "enterprise", id: `crash-${process.pid}` },
          path: {},
          input: { counterUrl },
        }),
      );
      const [{ db }] = (
        (await s.db.execute(sql`SELECT current_database() AS db`)) as unknown as {
          rows: [{ db: string }];
        }
      ).rows;
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.pathname = `/${db}`;
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("./engine.test-support.ts", import.meta.url)),
          url.toString(),
          runId,
        ],
        { env: { ...process.env, HANG_AFTER_EFFECT: "1" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr += String(chunk);
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk) => {
          if (String(chunk).includes("effect")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
      });
      const exited = new Promise((resolve) => child.on("exit", resolve));
      child.kill("SIGKILL");
      await exited;

      const dead = await stateOf(runId);
      expect(dead.steps[0]).toMatchObject({
        status: "running",
        attempt: 1,
        memo: { created: { id: 1 } },
      });
      expect(dead.run.leaseOwner).not.toBeNull();
      // Every worker uses the same lease length (here the crashed worker's): another worker is
      // refused while the dead one's lease is fresh, then resumes the run.
      await expect(advanceRun(s, runId, registry, { leaseMs: 3_000 })).rejects.toThrow(/held/);
      await new Promise((resolve) => setTimeout(resolve, 3_200));
      await advanceRun(s, runId, registry, { leaseMs: 3_000 });
      await advanceAll();
      const done = await stateOf(runId);
      expect(done.run.status).toBe("succeeded");
      expect(done.steps[0]).toMatchObject({ status: "succeeded", attempt: 2 });
      expect(created).toBe(1);
    }, 60_000);
  },
);
