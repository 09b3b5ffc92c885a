import { eq, sql } from "drizzle-orm";
import type { UserSyncTrigger } from "../../../../shared/contracts/users.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Ctx } from "../../../context.ts";
import { userSyncRuns, userSyncState } from "../../../db/schema/index.ts";
import { acquireLease, releaseLease } from "../../../lib/lease.ts";
import type { Services } from "../../../services.ts";
import { SyncRun, userSyncLease } from "./sync-run.ts";

/** A sync that cannot run (the enterprise is gone, disabled or has no tenant): queued → idle. */
export async function skipQueuedSync(services: Services, enterpriseId: string): Promise<void> {
  await services.db.execute(sql`
    UPDATE user_sync_state SET status = 'idle', updated_at = ${services.now()}
    WHERE enterprise_id = ${enterpriseId} AND status = 'queued'`);
}

const sameScope = (a: readonly string[] | null, b: readonly string[]) =>
  a !== null && a.length === b.length && a.every((x, i) => x === b[i]);

/** A run that holds the enterprise's lease, and how it syncs. */
export interface ClaimedRun {
  run: SyncRun;
  /** Delta when a delta link was kept for the same scope (sorted group ids); else full. */
  mode: "full" | "delta";
  storedLink: string | null;
}

/**
 * Claims the enterprise's sync for a new run (the lease on its `user_sync_state` row, without
 * holding a transaction open) and records the run, `running`. Null when another run holds a
 * fresh claim.
 */
export async function claimRun(
  services: Services,
  input: { enterpriseId: string; trigger: UserSyncTrigger },
  groupIds: string[],
  onPage: ((runId: string) => Promise<void> | void) | undefined,
): Promise<ClaimedRun | null> {
  const { db } = services;
  const { enterpriseId } = input;
  const runId = newId("userSyncRun");
  const started = services.now();
  await db.execute(sql`
    INSERT INTO user_sync_state (enterprise_id, status, updated_at)
    VALUES (${enterpriseId}, 'idle', ${started}) ON CONFLICT (enterprise_id) DO NOTHING`);
  const claimed = await acquireLease(
    db,
    userSyncLease,
    { key: enterpriseId, owner: runId, now: started },
    sql`status = 'running', updated_at = ${started}`,
  );
  if (!claimed) return null;
  // Read once claimed: only the lease's owner writes the delta link.
  const [stored] = await db
    .select({ link: userSyncState.deltaLink, scope: userSyncState.deltaScope })
    .from(userSyncState)
    .where(eq(userSyncState.enterpriseId, enterpriseId));
  const storedLink = stored?.link ?? null;
  const mode = storedLink && sameScope(stored?.scope ?? null, groupIds) ? "delta" : "full";
  await db.insert(userSyncRuns).values({
    id: runId,
    enterpriseId,
    trigger: input.trigger,
    mode,
    status: "running",
    startedAt: started,
  });
  return { run: new SyncRun(services, enterpriseId, runId, onPage), mode, storedLink };
}

/**
 * The run succeeded: its counters, and the state idle with the new delta link and its scope, the
 * next due time, and the lease released (in the context's transaction).
 */
export async function finishRun(
  ctx: Ctx,
  run: SyncRun,
  outcome: { mode: "full" | "delta"; deltaLink: string | undefined; groupIds: string[] },
): Promise<void> {
  const { tx, now: finished } = ctx;
  const { counters, runId, enterpriseId } = run;
  const interval = ctx.services.env.USER_SYNC_INTERVAL_MINUTES;
  await tx.execute(sql`
    UPDATE user_sync_runs
    SET status = 'succeeded', finished_at = ${finished}, seen = ${counters.seen},
        created = ${counters.created}, updated = ${counters.updated},
        removed = ${counters.removed}
    WHERE id = ${runId}`);
  await releaseLease(
    tx,
    userSyncLease,
    { key: enterpriseId, owner: runId },
    sql`status = 'idle',
        delta_link = ${outcome.deltaLink ?? null},
        delta_scope = ARRAY(
          SELECT g.id FROM json_array_elements_text(${JSON.stringify(outcome.groupIds)}::json)
            WITH ORDINALITY AS g(id, n)
          ORDER BY g.n)::text[],
        last_sync_at = ${finished},
        last_full_sync_at = ${outcome.mode === "full" ? finished : sql`last_full_sync_at`},
        last_error = NULL,
        next_due_at = ${new Date(finished.getTime() + interval * 60_000)},
        updated_at = ${finished}`,
  );
}

/**
 * The run failed: its staging rows deleted, its counters and our message on it, the state
 * `failed` with the message and the next due time, and the lease released.
 */
export async function failRun(services: Services, run: SyncRun, message: string): Promise<void> {
  const { db } = services;
  const { counters, runId, enterpriseId } = run;
  const finished = services.now();
  await db
    .execute(sql`DELETE FROM user_sync_members WHERE run_id = ${runId}`)
    .catch(() => undefined);
  await db.execute(sql`
    UPDATE user_sync_runs
    SET status = 'failed', finished_at = ${finished}, error = ${message},
        seen = ${counters.seen}, created = ${counters.created},
        updated = ${counters.updated}, removed = ${counters.removed}
    WHERE id = ${runId}`);
  await releaseLease(
    db,
    userSyncLease,
    { key: enterpriseId, owner: runId },
    sql`status = 'failed', last_error = ${message},
        next_due_at = ${new Date(finished.getTime() + services.env.USER_SYNC_INTERVAL_MINUTES * 60_000)},
        updated_at = ${finished}`,
  );
}
