import type { Services } from "../services.ts";
import { jobs } from "./registry.ts";
import { startSchedules } from "./schedule.ts";

/** Starts handling every registered job in this process; returns when the workers are polling. */
export async function startWorker(
  services: Services,
  options: { pollingIntervalSeconds?: number } = {},
): Promise<void> {
  for (const job of jobs) {
    await services.boss.work(
      job.name,
      {
        batchSize: 1,
        includeMetadata: true,
        pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1,
      },
      async ([item]) => {
        if (!item) return;
        const data = job.schema.parse(item.data);
        const log = services.log.child({
          job: job.name,
          jobId: item.id,
          attempt: item.retryCount + 1,
        });
        try {
          await job.handle(services, data, {
            id: item.id,
            attempt: item.retryCount + 1,
            isLastAttempt: item.retryCount >= item.retryLimit,
          });
          log.info("job done");
        } catch (error) {
          log.warn({ err: error }, "job failed; pg-boss retries it with back-off");
          throw error;
        }
      },
    );
  }
  await startSchedules(services.boss);
}

/** Runs one queued job of the given name now, in this process (tests and CLI use it to drain). */
export async function runQueuedJobs(services: Services, name: string): Promise<number> {
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new Error(`Unknown job ${name}`);
  let handled = 0;
  for (;;) {
    const [item] = await services.boss.fetch(name, { batchSize: 1, includeMetadata: true });
    if (!item) return handled;
    try {
      await job.handle(services, job.schema.parse(item.data), {
        id: item.id,
        attempt: item.retryCount + 1,
        isLastAttempt: item.retryCount >= item.retryLimit,
      });
      await services.boss.complete(name, item.id);
    } catch (error) {
      await services.boss.fail(name, item.id, {
        message: error instanceof Error ? error.message : String(error),
      });
    }
    handled++;
  }
}
