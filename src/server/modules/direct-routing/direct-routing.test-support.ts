/**
 * The worker process of Direct Routing's crash test: run with
 * `node --import tsx direct-routing.test-support.ts <database url> <run id>` and the emulator's
 * settings in its environment (MS_*, DNS_EMULATOR_*), it advances the run step after step with a
 * short lease until it is killed (or the run ends).
 */
import { readFileSync } from "node:fs";
import pino from "pino";
import { testEnv } from "../../../../test/harness.ts";
import { openPostgres } from "../../db/client.ts";
import { dnsFromEnv } from "../../integrations/dns/config.ts";
import { microsoftConfigFromEnv } from "../../integrations/microsoft/config.ts";
import { createMicrosoft } from "../../integrations/microsoft/port.ts";
import { createEmulatorTeamsVoice } from "../../integrations/teams-voice/emulator.ts";
import { startQueue } from "../../jobs/queue.ts";
import { jobs } from "../../jobs/registry.ts";
import type { Services } from "../../services.ts";
import { advanceRun } from "../../workflows/engine.ts";
import { directRoutingWorkflow } from "./direct-routing.workflow.ts";

/** The variables the worker passes on from the test's environment. */
export const crashWorkerVariables = [
  "MS_CLIENT_ID",
  "MS_CLIENT_SECRET",
  "MS_LOGIN_BASE",
  "MS_GRAPH_BASE",
  "MS_CA_FILE",
  "DNS_EMULATOR_URL",
  "DNS_EMULATOR_CA_FILE",
] as const;

async function main() {
  const [url, runId] = process.argv.slice(2);
  if (!url || !runId) throw new Error("usage: <database url> <run id>");
  const env = testEnv(
    Object.fromEntries(crashWorkerVariables.map((name) => [name, process.env[name] ?? ""])),
  );
  const database = await openPostgres(url, 2);
  const microsoft = createMicrosoft(microsoftConfigFromEnv(env)!);
  const services = {
    env,
    database,
    db: database.db,
    // Sends the next advance in each step's transaction; this process runs no job itself.
    boss: await startQueue(database, jobs, () => {}),
    log: pino({ level: "silent" }),
    now: () => new Date(),
    microsoft,
    dns: dnsFromEnv(env),
    teamsVoice: createEmulatorTeamsVoice({
      microsoft,
      graphBase: env.MS_GRAPH_BASE,
      caPem: readFileSync(env.MS_CA_FILE!, "utf8"),
    }),
  } as unknown as Services;
  for (;;) {
    await advanceRun(services, runId, [directRoutingWorkflow], { leaseMs: 3_000 });
    process.stdout.write("advanced\n");
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
