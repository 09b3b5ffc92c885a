import { sql } from "drizzle-orm";
import type { UserSyncCounters } from "../../../../shared/contracts/users.ts";
import type { Db } from "../../../db/client.ts";
import { userSyncState } from "../../../db/schema/index.ts";
import type { DeltaUser, Microsoft } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import { type Lease, renewal } from "../../../lib/lease.ts";
import { affectedRows } from "../../../lib/sql.ts";
import type { Services } from "../../../services.ts";
import { upsertUsersStatement } from "./upsert-users.sql.ts";
import { rowsOf } from "./user-rows.ts";

/** Where a run reads its users: the enterprise's tenant through the port, and how. */
export interface SyncSource {
  microsoft: Microsoft;
  tenantId: string;
  /** The chosen groups, sorted; none: all users. */
  groupIds: string[];
  /** Users per Graph page. */
  pageSize: number;
}

/** A claim older than this is considered abandoned (a crashed worker) and may be taken over. */
export const STALE_CLAIM_MINUTES = 30;

/**
 * One run per enterprise at a time: the run holds this lease on the enterprise's
 * `user_sync_state` row (owner: the run id), renewed with every page it writes.
 */
export const userSyncLease: Lease = {
  key: userSyncState.enterpriseId,
  owner: userSyncState.currentRunId,
  heartbeat: userSyncState.heartbeatAt,
  staleAfterMs: STALE_CLAIM_MINUTES * 60_000,
};

const lostClaim = () => new AppError("conflict", "This user sync lost its claim to another run");

/** The rows a `db.execute` returned. */
export function rowsOfResult(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}

/**
 * One claimed run: its counters (numbers only) and the statements that write its pages. Every
 * write renews the run's lease and stops the run (`conflict`) when another run took it over.
 */
export class SyncRun {
  /** True until the first page was written. */
  pristine = true;
  readonly counters: UserSyncCounters = { seen: 0, created: 0, updated: 0, removed: 0 };

  constructor(
    readonly services: Services,
    readonly enterpriseId: string,
    readonly runId: string,
    private readonly onPage: ((runId: string) => Promise<void> | void) | undefined,
  ) {}

  get db(): Db {
    return this.services.db;
  }

  /** Tells the observer (tests) that a page was written and its counters saved. */
  async pageWritten(): Promise<void> {
    await this.onPage?.(this.runId);
  }

  /**
   * Writes a page of users in one statement (see `upsertUsersStatement`): counts it on the run and
   * renews the lease in the same statement. Of a user with `present`, only what it carried.
   */
  async upsert(
    users: DeltaUser[],
    kind: "upsert" | "update",
    options: { countSeen?: boolean; firstWins?: boolean } = {},
  ): Promise<void> {
    if (users.length === 0) return;
    this.pristine = false;
    const now = this.services.now();
    const [result] = rowsOfResult(
      await this.db.execute(
        upsertUsersStatement({
          rows: rowsOf(users),
          merge: users.some((u) => u.present),
          kind,
          enterpriseId: this.enterpriseId,
          runId: this.runId,
          now,
          firstWins: options.firstWins ?? false,
          countSeen: options.countSeen ?? true,
          renewal: this.renewal(now),
        }),
      ),
    );
    this.counters.created += Number(result?.created ?? 0);
    this.counters.updated += Number(result?.updated ?? 0);
    this.counters.seen += Number(result?.seen ?? 0);
    if (Number(result?.claimed ?? 0) === 0) throw lostClaim();
  }

  /** Marks the users of these object ids removed; returns how many were present. */
  async markRemoved(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    this.pristine = false;
    const now = this.services.now();
    const result = await this.db.execute(sql`
      UPDATE users SET removed_at = ${now}, updated_at = ${now}
      WHERE enterprise_id = ${this.enterpriseId} AND removed_at IS NULL
        AND ms_object_id IN (SELECT value FROM json_array_elements_text(${JSON.stringify(ids)}::json))`);
    const removed = affectedRows(result);
    this.counters.removed += removed;
    return removed;
  }

  /** Marks present users this run did not stamp removed (the end of a full sync). */
  async sweepUnseen(): Promise<void> {
    const now = this.services.now();
    const swept = await this.db.execute(sql`
      UPDATE users SET removed_at = ${now}, updated_at = ${now}
      WHERE enterprise_id = ${this.enterpriseId} AND removed_at IS NULL
        AND last_seen_run_id IS DISTINCT FROM ${this.runId}`);
    const removed = affectedRows(swept);
    this.counters.removed += removed;
    await this.progress({ removed });
  }

  /** Adds counts to the run's progress and renews the lease; stops when it was taken over. */
  async progress(delta: Partial<UserSyncCounters>): Promise<void> {
    const result = await this.db.execute(sql`
      WITH run AS (
        UPDATE user_sync_runs
        SET seen = seen + ${delta.seen ?? 0}, created = created + ${delta.created ?? 0},
            updated = updated + ${delta.updated ?? 0}, removed = removed + ${delta.removed ?? 0}
        WHERE id = ${this.runId}
      )
      ${this.renewal(this.services.now())}`);
    if (affectedRows(result) === 0) throw lostClaim();
    await this.pageWritten();
  }

  /** A chosen group's pages of members; a group deleted since it was chosen has none. */
  async *ofChosenGroup<T>(
    groupId: string,
    pages: AsyncGenerator<T[], void, undefined>,
  ): AsyncGenerator<T[], void, undefined> {
    try {
      yield* pages;
    } catch (error) {
      if (error instanceof AppError && error.code === "not_found") {
        this.services.log.warn(
          { enterpriseId: this.enterpriseId, groupId },
          "user sync: a chosen group no longer exists; its members are out of scope",
        );
        return;
      }
      throw error;
    }
  }

  private renewal(now: Date) {
    return renewal(userSyncLease, { key: this.enterpriseId, owner: this.runId, now });
  }
}
