import type { z } from "zod";
import type { EventName } from "../shared/events.ts";
import type { Who } from "./authz/actor.ts";
import type { Db } from "./db/client.ts";
import { appendEvent, type EventInput } from "./events/append-event.ts";
import type { JobSpec } from "./jobs/define-job.ts";
import { type EnqueueOptions, enqueue, enqueueMany } from "./jobs/queue.ts";
import type { Services } from "./services.ts";

/**
 * Everything a write needs, one per transaction. Commands take it first and never open a
 * transaction themselves: routes (through their helper) and job runners do, with `inTransaction`,
 * so that a change, its events and the jobs it causes commit together or not at all.
 */
export interface Ctx {
  readonly services: Services;
  readonly tx: Db;
  readonly who: Who;
  /** The time of the write: one instant for everything it records. */
  readonly now: Date;
  /** Queues a job in this transaction (it exists if and only if the change committed). */
  enqueue<S extends z.ZodType>(
    job: JobSpec<S>,
    data: z.input<S>,
    options?: EnqueueOptions,
  ): Promise<string | null>;
  /** Queues one job per payload in one statement, in this transaction. */
  enqueueMany<S extends z.ZodType>(
    job: JobSpec<S>,
    data: readonly z.input<S>[],
    singletonKeyOf?: (data: z.input<S>) => string,
  ): Promise<void>;
  /** Appends a typed event of the catalogue in this transaction. */
  emit<N extends EventName>(name: N, event: EventInput<N>): Promise<void>;
}

/** A context over a transaction the caller already holds. */
export function contextOf(services: Services, tx: Db, who: Who): Ctx {
  return {
    services,
    tx,
    who,
    now: services.now(),
    enqueue: (job, data, options) => enqueue(services.boss, tx, job, data, options),
    enqueueMany: (job, data, keyOf) => enqueueMany(services.boss, tx, job, data, keyOf),
    emit: (name, event) => appendEvent(tx, who, name, event),
  };
}

/** Runs `work` in one transaction with its context; anything thrown rolls everything back. */
export function inTransaction<T>(
  services: Services,
  who: Who,
  work: (ctx: Ctx) => Promise<T>,
): Promise<T> {
  return services.db.transaction((tx) => work(contextOf(services, tx, who)));
}
