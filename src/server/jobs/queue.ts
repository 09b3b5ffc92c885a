import { sql } from "drizzle-orm";
import PgBoss from "pg-boss";
import type { z } from "zod";
import type { Database, Db, SqlExecutor } from "../db/client.ts";
import type { JobDefinition, JobSpec } from "./define-job.ts";

/** Runs `$n`-parameterised SQL through a drizzle handle, so pg-boss can write inside our transaction. */
function executorOf(tx: Db): SqlExecutor {
  return async (text, values = []) => {
    const parts = text.split(/\$(\d+)/);
    const chunks = parts.map((part, i) =>
      i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1] ?? null}`,
    );
    const result = (await tx.execute(sql.join(chunks))) as unknown as { rows: unknown[] };
    return { rows: result.rows };
  };
}

/**
 * pg-boss on our database (PGlite or PostgreSQL) with a queue created for each of `jobs` (the
 * registry, passed in so that this module, which every command uses to enqueue, imports no job).
 */
export async function startQueue(
  database: Database,
  jobs: readonly JobDefinition[],
  onError: (e: Error) => void,
): Promise<PgBoss> {
  const boss = new PgBoss({
    db: { executeSql: database.execute } as never,
    schema: "pgboss",
    supervise: true,
    schedule: true,
    migrate: true,
  });
  boss.on("error", onError);
  await boss.start();
  for (const job of jobs) {
    await boss.createQueue(job.name, {
      name: job.name,
      retryLimit: job.options.retryLimit,
      retryDelay: job.options.retryDelaySeconds,
      retryBackoff: job.options.retryBackoff,
      expireInSeconds: job.options.expireInSeconds,
      ...(job.options.policy ? { policy: job.options.policy } : {}),
    });
  }
  return boss;
}

export interface EnqueueOptions {
  /** With a `stately` queue: at most one queued and one active job per key. */
  singletonKey?: string;
  startAfterSeconds?: number;
}

/**
 * Enqueues a job inside the caller's transaction (the outbox): the job exists if and only if the
 * rows that caused it were committed.
 */
export async function enqueue<S extends z.ZodType>(
  boss: PgBoss,
  tx: Db,
  job: JobSpec<S>,
  data: z.input<S>,
  options: EnqueueOptions = {},
): Promise<string | null> {
  const payload = job.schema.parse(data) as object;
  return boss.send(job.name, payload, {
    db: { executeSql: executorOf(tx) } as never,
    retryLimit: job.options.retryLimit,
    retryDelay: job.options.retryDelaySeconds,
    retryBackoff: job.options.retryBackoff,
    expireInSeconds: job.options.expireInSeconds,
    ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
    // A time rather than seconds: pg-boss's SQL uses this parameter three times, and through
    // our executor each use is a parameter of its own, one of them cast to a timestamp.
    ...(options.startAfterSeconds
      ? { startAfter: new Date(Date.now() + options.startAfterSeconds * 1000) }
      : {}),
  });
}

/**
 * Enqueues one job per payload in one statement, inside the caller's transaction (the outbox, as
 * `enqueue`); `singletonKeyOf` gives each its key on a `stately` queue (a duplicate is dropped).
 */
export async function enqueueMany<S extends z.ZodType>(
  boss: PgBoss,
  tx: Db,
  job: JobSpec<S>,
  data: readonly z.input<S>[],
  singletonKeyOf?: (data: z.input<S>) => string,
): Promise<void> {
  if (data.length === 0) return;
  await boss.insert(
    data.map((d) => ({
      name: job.name,
      data: job.schema.parse(d) as object,
      retryLimit: job.options.retryLimit,
      retryDelay: job.options.retryDelaySeconds,
      retryBackoff: job.options.retryBackoff,
      expireInSeconds: job.options.expireInSeconds,
      ...(singletonKeyOf ? { singletonKey: singletonKeyOf(d) } : {}),
    })),
    { db: { executeSql: executorOf(tx) } as never },
  );
}
