import { asc, eq, sql } from "drizzle-orm";
import type { UserSyncCounters, UserSyncTrigger } from "../../../../shared/contracts/users.ts";
import { system } from "../../../authz/actor.ts";
import { inTransaction } from "../../../context.ts";
import { enterpriseSyncGroups, enterprises } from "../../../db/schema/index.ts";
import { isRejectedDeltaLink, requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import { deltaSync } from "../sync/delta-sync.ts";
import { fullSync } from "../sync/full-sync.ts";
import { claimRun, failRun, finishRun, skipQueuedSync } from "../sync/run-lifecycle.ts";

/**
 * The Microsoft user sync engine (SPEC §2.6, §3.6; ADR 0009). It reads the tenant through the
 * Microsoft port (`integrations/microsoft/port.ts`) a page at a time and never holds the tenant in
 * memory: at most the page being written and the one being fetched (the next page is requested
 * while the current one is written). Every bookkeeping set lives in the database. The parts live
 * in `../sync/`:
 *
 * Full sync (`full-sync.ts`; first sync, scope changed since the delta link was taken, delta link
 * rejected):
 * - all users: a users delta round from the start (`usersDelta`); each page is one multi-row
 *   upsert that stamps `last_seen_run_id`; the round's delta link is kept;
 * - sync groups: a users delta link is taken first (a round from now, so nothing changed during the
 *   run is missed), then each group's transitive user members (`groupMembers`) are upserted page by
 *   page (a user in two groups is upserted twice; the second time changes nothing and counts
 *   nothing).
 * At the end, present rows not stamped by this run are marked removed.
 *
 * Delta sync (`delta-sync.ts`) follows the stored delta link: changed users are upserted (all
 * users) or updated when already in scope (groups); users who left are marked removed. The users
 * delta does not report group membership, so in group mode an ids-only pass (`membership-pass.ts`,
 * `groupMemberIds`) over the groups' transitive members writes the ids to `user_sync_members`; SQL
 * then marks in-scope rows missing from it as removed, and the staged ids without a present row
 * are read by id (`getUsers`) and inserted. The staging rows are deleted at the end of the run.
 *
 * One run per enterprise at a time (`run-lifecycle.ts`): the run holds a lease (`lib/lease.ts`) on
 * the enterprise's `user_sync_state` row (a claim whose heartbeat is older than 30 minutes may be
 * taken over); the heartbeat is renewed with every page, and a run that finds its claim gone stops.
 */

export type SyncOutcome =
  | { outcome: "skipped"; reason: string }
  | { outcome: "busy" }
  | { outcome: "succeeded"; runId: string; mode: "full" | "delta"; counters: UserSyncCounters };

export interface SyncOptions {
  /** Users per Graph page (max 999). */
  pageSize?: number;
  /** Called after each page was written and its counters saved (tests observe progress). */
  onPage?: (runId: string) => Promise<void> | void;
}

const MAX_PAGE_SIZE = 999;

/** What the portal keeps of a failure: our message and, when Graph said why, its status and code. */
export function describeSyncError(error: unknown): string {
  if (error instanceof AppError) {
    const cause = error.cause as { status?: number; code?: string; message?: string } | undefined;
    const detail = [cause?.status, cause?.code, cause?.message].filter(Boolean).join(" ");
    return (detail ? `${error.message} (${detail})` : error.message).slice(0, 1000);
  }
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}

/** Syncs one enterprise's users from its tenant; see the module comment. */
export async function syncUsers(
  services: Services,
  input: { enterpriseId: string; trigger: UserSyncTrigger },
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const { db } = services;
  const enterpriseId = input.enterpriseId;
  const pageSize = Math.min(options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  const [enterprise] = await db
    .select({ status: enterprises.status, tenantId: enterprises.tenantId })
    .from(enterprises)
    .where(eq(enterprises.id, enterpriseId));
  const skip = !enterprise
    ? "enterprise not found"
    : enterprise.status !== "registered" && enterprise.status !== "active"
      ? `enterprise is ${enterprise.status}`
      : !enterprise.tenantId
        ? "enterprise has no Microsoft tenant"
        : null;
  if (skip || !enterprise?.tenantId) {
    if (enterprise) await skipQueuedSync(services, enterpriseId);
    return { outcome: "skipped", reason: skip ?? "enterprise has no Microsoft tenant" };
  }
  const tenantId = enterprise.tenantId;
  const groupIds = (
    await db
      .select({ id: enterpriseSyncGroups.groupId })
      .from(enterpriseSyncGroups)
      .where(eq(enterpriseSyncGroups.enterpriseId, enterpriseId))
      .orderBy(asc(enterpriseSyncGroups.groupId))
  ).map((g) => g.id);

  const claimed = await claimRun(services, input, groupIds, options.onPage);
  if (!claimed) return { outcome: "busy" };
  const { run, storedLink } = claimed;
  let { mode } = claimed;
  try {
    const microsoft = requireMicrosoft(services.microsoft);
    const source = { microsoft, tenantId, groupIds, pageSize };
    let deltaLink: string | undefined;
    if (mode === "delta" && storedLink) {
      try {
        deltaLink = await deltaSync(run, source, storedLink);
      } catch (error) {
        // Only a refusal before anything was written falls back to a full sync.
        if (!run.pristine || !isRejectedDeltaLink(error)) throw error;
        services.log.info(
          { enterpriseId, err: error },
          "user sync: delta link rejected, running a full sync",
        );
        mode = "full";
        await db.execute(sql`UPDATE user_sync_runs SET mode = 'full' WHERE id = ${run.runId}`);
      }
    }
    if (mode === "full") deltaLink = await fullSync(run, source);

    const outcome = { mode, deltaLink, groupIds };
    await inTransaction(services, system, (ctx) => finishRun(ctx, run, outcome));
    const { runId, counters } = run;
    services.log.info({ enterpriseId, runId, mode, ...counters }, "user sync done");
    return { outcome: "succeeded", runId, mode, counters };
  } catch (error) {
    await failRun(services, run, describeSyncError(error));
    services.log.warn({ enterpriseId, runId: run.runId, err: error }, "user sync failed");
    throw error;
  }
}
