/**
 * Workflows for the engine's tests, and the worker process of its crash test: run with
 * `node --import tsx engine.test-support.ts <database url> <run id> <counter url>`, it advances
 * the run with a short lease and hangs inside the step after its external effect, until killed.
 */
import pino from "pino";
import { z } from "zod";
import { openPostgres } from "../db/client.ts";
import type { Services } from "../services.ts";
import { defineStep, defineWorkflow } from "./define.ts";
import { advanceRun } from "./engine.ts";

/** A workflow whose one step makes one external call (a POST to `counterUrl`) through `io.once`. */
export const effectWorkflow = defineWorkflow({
  name: "test.effect",
  subject: "enterprise",
  input: z.object({ counterUrl: z.string() }),
  steps: [
    defineStep<{ counterUrl: string }>({
      id: "test.effect.call",
      title: "Call the remote side once",
      async run({ input, io }) {
        const created = await io.once("created", async () => {
          const res = await fetch(input.counterUrl, { method: "POST" });
          return (await res.json()) as { id: number };
        });
        if (process.env.HANG_AFTER_EFFECT) {
          process.stdout.write(`effect ${created.id}\n`);
          await new Promise(() => {});
        }
        return undefined;
      },
    }),
  ],
});

async function main() {
  const [url, runId] = process.argv.slice(2);
  if (!url || !runId) throw new Error("usage: <database url> <run id>");
  const database = await openPostgres(url, 2);
  const services = {
    database,
    db: database.db,
    log: pino({ level: "silent" }),
    now: () => new Date(),
  } as unknown as Services;
  await advanceRun(services, runId, [effectWorkflow], { leaseMs: 3_000 });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
