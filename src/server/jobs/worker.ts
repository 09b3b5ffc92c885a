import { errorMessageForLog } from "../lib/log-errors.ts";
import type { Services } from "../services.ts";
import type { JobDefinition } from "./define-job.ts";
import { jobs } from "./registry.ts";
import { startSchedules } from "./schedule.ts";

/**
 * What pg-boss keeps of a failed attempt (its `output`, in the database): the error's type and
 * message without any query parameter, as in the logs. A driver's raw message carries the failed
 * query's bound values (password hashes, tokens).
 */
export function storedFailure(error: unknown): Error {
  const stored = new Error(
    error instanceof Error ? errorMessageForLog(error) : "job failed with a non-error value",
  );
  if (error instanceof Error) stored.name = error.name;
  return stored;
}

/** Starts handling every registered job in this process; returns when the workers are polling. */
export async function startWorker(
  services: Services,
  options: { pollingIntervalSeconds?: number } = {},
): Promise<void> {
  for (const job of jobs)
    for (let slot = 0; slot < (job.options.concurrency ?? 1); slot++)
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
            throw storedFailure(error);
          }
        },
      );
  await startSchedules(services.boss);
}

/** Runs one queued job of the given name now, in this process (tests and CLI use it to drain). */
export async function runQueuedJobs(
  services: Services,
  name: string,
  registry: readonly JobDefinition[] = jobs,
): Promise<number> {
  const job = registry.find((j) => j.name === name);
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
      await services.boss.fail(name, item.id, { message: storedFailure(error).message });
    }
    handled++;
  }
}
