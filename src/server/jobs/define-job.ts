import type { z } from "zod";
import type { Services } from "../services.ts";

export interface JobOptions {
  retryLimit: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
  expireInSeconds: number;
  /**
   * pg-boss queue policy: `stately` keeps at most one queued and one active job per singletonKey
   * (a sync asked for while one runs is queued once, not piled up).
   */
  policy?: "standard" | "short" | "singleton" | "stately";
  /**
   * How many of the queue's jobs one worker process runs at once (default 1). For jobs that
   * mostly wait on a remote service, such as a user's push to Teams.
   */
  concurrency?: number;
}

/** What queueing a job needs: its name, payload schema and options (not its handler). */
export type JobSpec<S extends z.ZodType = z.ZodType> = Pick<
  JobDefinition<S>,
  "name" | "schema" | "options"
>;

/** A durable job: a dotted name, a payload schema and an idempotent handler. */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  schema: S;
  options: JobOptions;
  handle(
    services: Services,
    data: z.infer<S>,
    meta: { id: string; attempt: number; isLastAttempt: boolean },
  ): Promise<void>;
}

const defaults: JobOptions = {
  retryLimit: 8,
  retryDelaySeconds: 5,
  retryBackoff: true,
  expireInSeconds: 120,
};

export function defineJob<S extends z.ZodType>(definition: {
  name: string;
  schema: S;
  options?: Partial<JobOptions>;
  handle: JobDefinition<S>["handle"];
}): JobDefinition<S> {
  return { ...definition, options: { ...defaults, ...definition.options } };
}
