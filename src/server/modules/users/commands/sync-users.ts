import { asc, eq, type SQL, sql } from "drizzle-orm";
import type { UserSyncCounters, UserSyncTrigger } from "../../../../shared/contracts/users.ts";
import { newId, newIds } from "../../../../shared/ids.ts";
import type { Db } from "../../../db/client.ts";
import { enterpriseSyncGroups, enterprises, userSyncRuns } from "../../../db/schema/index.ts";
import type { GraphClient } from "../../../integrations/microsoft/graph.ts";
import {
  advancedQueryHeaders,
  type DirectoryUser,
  directoryUserSelect,
  type GraphUser,
  type PresentFields,
  presentFields,
  requireMicrosoft,
  toDirectoryUser,
  transitiveUserMembersPath,
} from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import { affectedRows } from "../../../lib/sql.ts";
import type { Services } from "../../../services.ts";

/**
 * The Microsoft user sync engine (SPEC §2.6, §3.6; ADR 0009). It streams Graph pages and never
 * holds the tenant in memory: at most the page being written and the one being fetched (the next
 * page is requested while the current one is written). Every bookkeeping set lives in the database.
 *
 * Full sync (first sync, scope changed since the delta link was taken, delta link rejected):
 * - all users: `/users/delta` from the start; each page is one multi-row upsert that stamps
 *   `last_seen_run_id`; the last page's deltaLink is kept;
 * - sync groups: a users deltaLink is taken first (`$deltatoken=latest`, so nothing changed during
 *   the run is missed), then each group's transitive user members are upserted page by page (a user
 *   in two groups is upserted twice; the second time changes nothing and counts nothing).
 * At the end, present rows not stamped by this run are marked removed.
 *
 * Delta sync follows the stored deltaLink: changed users are upserted (all users) or updated when
 * already in scope (groups); `@removed` users are marked removed. The users delta does not report
 * group membership, so in group mode an ids-only pass (`$select=id`) over the groups' transitive
 * members writes the ids to `user_sync_members`; SQL then marks in-scope rows missing from it as
 * removed, and the staged ids without a present row are fetched (Graph `$batch`, 20 per request)
 * and inserted. The staging rows are deleted at the end of the run.
 *
 * One run per enterprise at a time: a conditional UPDATE on `user_sync_state` claims it (a claim
 * whose heartbeat is older than 30 minutes may be taken over); the heartbeat is renewed after
 * every page, and a run that finds its claim gone stops.
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

/** A claim older than this is considered abandoned (a crashed worker) and may be taken over. */
export const STALE_CLAIM_MINUTES = 30;
const MAX_PAGE_SIZE = 999;
const MISSING_CHUNK = 100;
const BATCH_SIZE = 20;

/** A user to write; with `present`, a delta object: only the properties present are written. */
type SyncUser = DirectoryUser & { present?: PresentFields };

const fromDelta = (u: GraphUser): SyncUser => ({
  ...toDirectoryUser(u),
  present: presentFields(u),
});

interface Row {
  id: string;
  ms: string;
  dn: string;
  upn: string;
  mail: string | null;
  ae: boolean;
  tl: boolean;
  tpl: boolean;
  /** Delta objects only: which of the values above the object carried. */
  hdn?: boolean;
  hupn?: boolean;
  hmail?: boolean;
  hae?: boolean;
  hlic?: boolean;
}

/** Two versions of one delta object in a page: the later one's properties win where present. */
function mergeVersions(earlier: SyncUser, later: SyncUser): SyncUser {
  const a = earlier.present;
  const b = later.present;
  if (!a || !b) return later;
  return {
    id: later.id,
    displayName: b.displayName ? later.displayName : earlier.displayName,
    userPrincipalName: b.userPrincipalName ? later.userPrincipalName : earlier.userPrincipalName,
    mail: b.mail ? later.mail : earlier.mail,
    accountEnabled: b.accountEnabled ? later.accountEnabled : earlier.accountEnabled,
    teamsLicensed: b.licences ? later.teamsLicensed : earlier.teamsLicensed,
    teamsPhoneLicensed: b.licences ? later.teamsPhoneLicensed : earlier.teamsPhoneLicensed,
    present: {
      displayName: a.displayName || b.displayName,
      userPrincipalName: a.userPrincipalName || b.userPrincipalName,
      mail: a.mail || b.mail,
      accountEnabled: a.accountEnabled || b.accountEnabled,
      licences: a.licences || b.licences,
    },
  };
}

function rowsOf(users: SyncUser[]): Row[] {
  // One statement may not touch a row twice: the last occurrence of an id in a page wins.
  const byId = new Map<string, SyncUser>();
  for (const u of users) {
    const earlier = byId.get(u.id);
    byId.set(u.id, earlier ? mergeVersions(earlier, u) : u);
  }
  const ids = newIds("user", byId.size);
  const rows: Row[] = [];
  for (const u of byId.values())
    rows.push({
      id: ids[rows.length] ?? newId("user"),
      ms: u.id,
      dn: u.displayName,
      upn: u.userPrincipalName,
      mail: u.mail,
      ae: u.accountEnabled,
      tl: u.teamsLicensed,
      tpl: u.teamsPhoneLicensed,
      ...(u.present
        ? {
            hdn: u.present.displayName,
            hupn: u.present.userPrincipalName,
            hmail: u.present.mail,
            hae: u.present.accountEnabled,
            hlic: u.present.licences,
          }
        : {}),
    });
  // Sorted by object id: concurrent statements lock shared rows in the same order (no deadlock).
  return rows.sort((a, b) => (a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : 0));
}

const isUser = (u: GraphUser) => !u["@odata.type"] || u["@odata.type"] === "#microsoft.graph.user";

function rowsOfResult(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}

/** Starts fetching the next item while the consumer works on the current one. */
async function* prefetched<T>(source: AsyncGenerator<T, void, undefined>): AsyncGenerator<T> {
  let next = source.next();
  for (;;) {
    const result = await next;
    if (result.done) return;
    next = source.next();
    // If the consumer stops (an error while writing), the pending fetch must not go unhandled.
    next.catch(() => {});
    yield result.value;
  }
}

const lostClaim = () => new AppError("conflict", "This user sync lost its claim to another run");

/** Re-cuts a stream of arrays into arrays of `size` (the last one shorter); holds < 2 × size. */
async function* rechunked<T>(source: AsyncIterable<T[]>, size: number): AsyncGenerator<T[]> {
  let buffer: T[] = [];
  for await (const items of source) {
    buffer = buffer.length === 0 ? items : buffer.concat(items);
    while (buffer.length >= size) {
      yield buffer.slice(0, size);
      buffer = buffer.slice(size);
    }
  }
  if (buffer.length > 0) yield buffer;
}

/** What the portal keeps of a failure: our message and, when Graph said why, its status and code. */
export function describeSyncError(error: unknown): string {
  if (error instanceof AppError) {
    const cause = error.cause as { status?: number; code?: string; message?: string } | undefined;
    const detail = [cause?.status, cause?.code, cause?.message].filter(Boolean).join(" ");
    return (detail ? `${error.message} (${detail})` : error.message).slice(0, 1000);
  }
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}

/** Graph refused a stored delta link: expired (410), invalid (400), gone, or on another origin. */
function isRejectedDeltaLink(error: unknown): boolean {
  if (!(error instanceof AppError)) return false;
  const cause = error.cause as { status?: number; link?: string } | undefined;
  if (error.code === "not_found") return true;
  if (error.code !== "microsoft_error") return false;
  return cause?.status === 400 || cause?.status === 410 || cause?.link !== undefined;
}

const sameScope = (a: readonly string[] | null, b: readonly string[]) =>
  a !== null && a.length === b.length && a.every((x, i) => x === b[i]);

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
    if (enterprise)
      await db.execute(sql`
        UPDATE user_sync_state SET status = 'idle', updated_at = ${services.now()}
        WHERE enterprise_id = ${enterpriseId} AND status = 'queued'`);
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

  // Claim: one run per enterprise, without holding a transaction open.
  const runId = newId("userSyncRun");
  const started = services.now();
  const staleBefore = new Date(started.getTime() - STALE_CLAIM_MINUTES * 60_000);
  await db.execute(sql`
    INSERT INTO user_sync_state (enterprise_id, status, updated_at)
    VALUES (${enterpriseId}, 'idle', ${started}) ON CONFLICT (enterprise_id) DO NOTHING`);
  const claimed = rowsOfResult(
    await db.execute(sql`
      UPDATE user_sync_state
      SET status = 'running', current_run_id = ${runId}, heartbeat_at = ${started},
          updated_at = ${started}
      WHERE enterprise_id = ${enterpriseId}
        AND (status <> 'running' OR heartbeat_at IS NULL OR heartbeat_at < ${staleBefore})
      RETURNING delta_link, delta_scope`),
  )[0];
  if (!claimed) return { outcome: "busy" };
  const storedLink = (claimed.delta_link as string | null) ?? null;
  const storedScope = (claimed.delta_scope as string[] | null) ?? null;
  let mode: "full" | "delta" = storedLink && sameScope(storedScope, groupIds) ? "delta" : "full";
  await db.insert(userSyncRuns).values({
    id: runId,
    enterpriseId,
    trigger: input.trigger,
    mode,
    status: "running",
    startedAt: started,
  });

  const counters: UserSyncCounters = { seen: 0, created: 0, updated: 0, removed: 0 };
  const engine = new Engine(services, enterpriseId, runId, counters, options.onPage);
  try {
    const graph = requireMicrosoft(services.microsoft).graphFor(tenantId);
    let deltaLink: string | undefined;
    if (mode === "delta" && storedLink) {
      try {
        deltaLink = await engine.deltaSync(graph, storedLink, groupIds, pageSize);
      } catch (error) {
        // Only a refusal before anything was written falls back to a full sync.
        if (!engine.pristine || !isRejectedDeltaLink(error)) throw error;
        services.log.info(
          { enterpriseId, err: error },
          "user sync: delta link rejected, running a full sync",
        );
        mode = "full";
        await db.execute(sql`UPDATE user_sync_runs SET mode = 'full' WHERE id = ${runId}`);
      }
    }
    if (mode === "full") deltaLink = await engine.fullSync(graph, groupIds, pageSize);

    const finished = services.now();
    const interval = services.env.USER_SYNC_INTERVAL_MINUTES;
    await db.transaction(async (tx) => {
      await tx.execute(sql`
        UPDATE user_sync_runs
        SET status = 'succeeded', finished_at = ${finished}, seen = ${counters.seen},
            created = ${counters.created}, updated = ${counters.updated},
            removed = ${counters.removed}
        WHERE id = ${runId}`);
      await tx.execute(sql`
        UPDATE user_sync_state
        SET status = 'idle', current_run_id = NULL, heartbeat_at = NULL,
            delta_link = ${deltaLink ?? null},
            delta_scope = ARRAY(
              SELECT g.id FROM json_array_elements_text(${JSON.stringify(groupIds)}::json)
                WITH ORDINALITY AS g(id, n)
              ORDER BY g.n)::text[],
            last_sync_at = ${finished},
            last_full_sync_at = ${mode === "full" ? finished : sql`last_full_sync_at`},
            last_error = NULL,
            next_due_at = ${new Date(finished.getTime() + interval * 60_000)},
            updated_at = ${finished}
        WHERE enterprise_id = ${enterpriseId} AND current_run_id = ${runId}`);
    });
    services.log.info({ enterpriseId, runId, mode, ...counters }, "user sync done");
    return { outcome: "succeeded", runId, mode, counters };
  } catch (error) {
    const message = describeSyncError(error);
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
    await db.execute(sql`
      UPDATE user_sync_state
      SET status = 'failed', current_run_id = NULL, heartbeat_at = NULL, last_error = ${message},
          next_due_at = ${new Date(finished.getTime() + services.env.USER_SYNC_INTERVAL_MINUTES * 60_000)},
          updated_at = ${finished}
      WHERE enterprise_id = ${enterpriseId} AND current_run_id = ${runId}`);
    services.log.warn({ enterpriseId, runId, err: error }, "user sync failed");
    throw error;
  }
}

/**
 * Page writes in flight: up to `limit` at once (two on PostgreSQL, whose server works while this
 * process fetches and parses the next page; one on PGlite, which runs in this thread). The next
 * Graph page is fetched meanwhile in every case (`prefetched`). `run`
 * waits while the limit is reached, so at most `limit` pages plus the one being fetched are held.
 */
class Writers {
  private readonly inflight = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    this.check();
    const promise: Promise<void> = task().then(
      () => {
        this.inflight.delete(promise);
      },
      (error: unknown) => {
        this.inflight.delete(promise);
        this.failure ??= { error };
      },
    );
    this.inflight.add(promise);
    while (this.inflight.size >= this.limit) await Promise.race(this.inflight);
    this.check();
  }

  /** Waits for the writes in flight, whatever their outcome. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inflight);
  }

  async drain(): Promise<void> {
    await Promise.all(this.inflight);
    this.check();
  }

  private check() {
    if (this.failure) throw this.failure.error;
  }
}

/** The per-run state: counters (numbers only) and the statements of one run. */
class Engine {
  /** True until the first page was written. */
  pristine = true;
  /** Full sync: the first version of a user this run wrote stands (see `upsert`). */
  private firstWins = false;

  constructor(
    private readonly services: Services,
    private readonly enterpriseId: string,
    private readonly runId: string,
    private readonly counters: UserSyncCounters,
    private readonly onPage: SyncOptions["onPage"],
  ) {}

  private get db(): Db {
    return this.services.db;
  }

  async fullSync(graph: GraphClient, groupIds: string[], pageSize: number): Promise<string> {
    let deltaLink: string | undefined;
    const select = `$select=${directoryUserSelect}`;
    // Two writers on PostgreSQL in group mode, where the first version of a user stands; with
    // all users the last version must win, so pages are written in order.
    const writers = new Writers(
      this.services.database.kind === "postgres" && groupIds.length > 0 ? 2 : 1,
    );
    const write = (users: GraphUser[]) =>
      writers.run(async () => {
        await this.upsert(users.map(toDirectoryUser), "upsert");
        await this.onPage?.(this.runId);
      });
    try {
      if (groupIds.length === 0) {
        // A user changed during the enumeration may come twice: the last version wins, since the
        // delta link at the end is already past that change.
        for await (const page of prefetched(
          graph.pages<GraphUser>(`/users/delta?${select}`, { maxPageSize: pageSize }),
        )) {
          await write(page.value.filter((u) => !u["@removed"]));
          deltaLink = page.deltaLink ?? deltaLink;
        }
      } else {
        // Taken before the members are read: a change made during the run is seen next time,
        // so the first version of a user in two groups may stand (and counts once).
        this.firstWins = true;
        const latest = await graph.get<{ "@odata.deltaLink"?: string }>(
          `/users/delta?$deltatoken=latest&${select}`,
        );
        deltaLink = latest?.["@odata.deltaLink"];
        // One stream over every group (the next page is fetched across group boundaries too),
        // re-cut into full pages: a group of 1,000 is two Graph pages (999 + 1) but one statement.
        const members = async function* (engine: Engine) {
          for (const groupId of groupIds)
            yield* engine.groupMembers(graph, groupId, pageSize, directoryUserSelect);
        };
        for await (const users of rechunked(prefetched(members(this)), pageSize))
          await write(users);
      }
      await writers.drain();
    } catch (error) {
      // Let the writes in flight finish before the run is marked failed with its counters.
      await writers.settle();
      throw error;
    } finally {
      this.firstWins = false;
    }
    if (!deltaLink)
      throw new AppError("microsoft_error", "Microsoft returned no delta link for the users");
    const now = this.services.now();
    const swept = await this.db.execute(sql`
      UPDATE users SET removed_at = ${now}, updated_at = ${now}
      WHERE enterprise_id = ${this.enterpriseId} AND removed_at IS NULL
        AND last_seen_run_id IS DISTINCT FROM ${this.runId}`);
    const removed = affectedRows(swept);
    this.counters.removed += removed;
    await this.progress({ removed });
    return deltaLink;
  }

  async deltaSync(
    graph: GraphClient,
    link: string,
    groupIds: string[],
    pageSize: number,
  ): Promise<string> {
    let deltaLink: string | undefined;
    // Only what changed comes back for an updated user; `upsert` merges what is present.
    const pages = graph.pages<GraphUser>(link, {
      maxPageSize: pageSize,
      headers: { prefer: "return=minimal" },
    });
    for await (const page of prefetched(pages)) {
      const removedIds: string[] = [];
      const changed: SyncUser[] = [];
      for (const u of page.value) {
        if (u["@removed"]) removedIds.push(u.id);
        else changed.push(fromDelta(u));
      }
      await this.upsert(changed, groupIds.length === 0 ? "upsert" : "update");
      await this.progress({ removed: await this.markRemoved(removedIds) });
      deltaLink = page.deltaLink ?? deltaLink;
    }
    if (!deltaLink)
      throw new AppError("microsoft_error", "Microsoft returned no delta link for the users");
    if (groupIds.length > 0) await this.membershipPass(graph, groupIds, pageSize);
    return deltaLink;
  }

  /** Transitive user members of a group, a page at a time (a deleted group has none). */
  async *groupMembers(
    graph: GraphClient,
    groupId: string,
    pageSize: number,
    fields: string,
  ): AsyncGenerator<GraphUser[], void, undefined> {
    const path = transitiveUserMembersPath(groupId, fields, pageSize);
    try {
      for await (const page of graph.pages<GraphUser>(path, { headers: advancedQueryHeaders }))
        yield page.value.filter(isUser);
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

  /**
   * Group mode, after the delta: who is in scope now. Ids only, staged in the database, compared
   * in SQL; members without a present row are fetched in `$batch`es and inserted.
   */
  private async membershipPass(graph: GraphClient, groupIds: string[], pageSize: number) {
    const { db, runId, enterpriseId } = this;
    try {
      for (const groupId of groupIds) {
        for await (const members of prefetched(this.groupMembers(graph, groupId, pageSize, "id"))) {
          if (members.length === 0) continue;
          const staged = await db.execute(sql`
            INSERT INTO user_sync_members (run_id, ms_object_id)
            SELECT ${runId}, value FROM json_array_elements_text(${JSON.stringify(members.map((m) => m.id))}::json)
            ON CONFLICT DO NOTHING`);
          const seen = affectedRows(staged);
          this.counters.seen += seen;
          await this.progress({ seen });
        }
      }
      const now = this.services.now();
      const gone = await db.execute(sql`
        UPDATE users u SET removed_at = ${now}, updated_at = ${now}
        WHERE u.enterprise_id = ${enterpriseId} AND u.removed_at IS NULL
          AND NOT EXISTS (
            SELECT 1 FROM user_sync_members m
            WHERE m.run_id = ${runId} AND m.ms_object_id = u.ms_object_id)`);
      const removed = affectedRows(gone);
      this.counters.removed += removed;
      await this.progress({ removed });

      let after = "";
      for (;;) {
        const missing = rowsOfResult(
          await db.execute(sql`
            SELECT m.ms_object_id AS id FROM user_sync_members m
            WHERE m.run_id = ${runId} AND m.ms_object_id > ${after}
              AND NOT EXISTS (
                SELECT 1 FROM users u
                WHERE u.enterprise_id = ${enterpriseId} AND u.ms_object_id = m.ms_object_id
                  AND u.removed_at IS NULL)
            ORDER BY m.ms_object_id LIMIT ${MISSING_CHUNK}`),
        ).map((r) => String(r.id));
        if (missing.length === 0) break;
        after = missing[missing.length - 1] ?? after;
        const batches: string[][] = [];
        for (let i = 0; i < missing.length; i += BATCH_SIZE)
          batches.push(missing.slice(i, i + BATCH_SIZE));
        const answers = await Promise.all(
          batches.map((ids) =>
            graph.batch(
              ids.map((id, n) => ({
                id: String(n + 1),
                method: "GET" as const,
                url: `/users/${encodeURIComponent(id)}?$select=${directoryUserSelect}`,
              })),
            ),
          ),
        );
        const users: DirectoryUser[] = [];
        for (const response of answers.flat()) {
          if (response.status === 404) continue; // deleted since the membership was read
          if (response.error) throw response.error;
          users.push(toDirectoryUser(response.body as GraphUser));
        }
        await this.upsert(users, "upsert", false);
        await this.progress({});
      }
    } finally {
      await db.execute(sql`DELETE FROM user_sync_members WHERE run_id = ${runId}`);
    }
  }

  /**
   * One statement per page. `upsert` inserts new users and updates known ones (restoring removed
   * ones); `update` only touches rows present in scope. `updated_at` moves only when something
   * changed, which is how the statement tells updated from merely seen (RETURNING has no old
   * values). In a full sync a row this run already stamped is left alone (a user in two groups
   * counts once); in a delta round a repeated object is written again (the last one wins).
   */
  private async upsert(users: SyncUser[], kind: "upsert" | "update", countSeen = true) {
    if (users.length === 0) return;
    this.pristine = false;
    const rows = rowsOf(users);
    const now = this.services.now();
    const { enterpriseId, runId } = this;
    // Delta objects carry what changed: a property absent keeps the stored value (a user not
    // stored yet takes the object's values, absent ones defaulted as in a full read).
    const merge = users.some((u) => u.present);
    const pick = (flag: string, value: string, column: string) =>
      sql.raw(`CASE WHEN t.${flag} OR u.id IS NULL THEN t.${value} ELSE u.${column} END`);
    const input = merge
      ? sql`input AS (
        SELECT t.id, t.ms,
          ${pick("hdn", "dn", "display_name")} AS dn,
          ${pick("hupn", "upn", "user_principal_name")} AS upn,
          ${pick("hmail", "mail", "mail")} AS mail,
          ${pick("hae", "ae", "account_enabled")} AS ae,
          ${pick("hlic", "tl", "teams_licensed")} AS tl,
          ${pick("hlic", "tpl", "teams_phone_licensed")} AS tpl
        FROM json_to_recordset(${JSON.stringify(rows)}::json)
          AS t(id text, ms text, dn text, upn text, mail text, ae boolean, tl boolean, tpl boolean,
               hdn boolean, hupn boolean, hmail boolean, hae boolean, hlic boolean)
        LEFT JOIN users u ON u.enterprise_id = ${enterpriseId} AND u.ms_object_id = t.ms
      )`
      : sql`input AS (
        SELECT * FROM json_to_recordset(${JSON.stringify(rows)}::json)
          AS t(id text, ms text, dn text, upn text, mail text, ae boolean, tl boolean, tpl boolean)
      )`;
    const changedUsers = sql`ROW(u.display_name, u.user_principal_name, u.mail, u.account_enabled,
                     u.teams_licensed, u.teams_phone_licensed, u.removed_at IS NULL)`;
    const write: SQL =
      kind === "upsert"
        ? sql`up AS (
        INSERT INTO users AS u (id, enterprise_id, ms_object_id, display_name, user_principal_name,
          mail, account_enabled, teams_licensed, teams_phone_licensed, removed_at,
          last_seen_run_id, created_at, updated_at)
        SELECT i.id, ${enterpriseId}, i.ms, i.dn, i.upn, i.mail, i.ae, i.tl, i.tpl, NULL,
          ${runId}, ${now}, ${now}
        FROM input i
        ON CONFLICT (enterprise_id, ms_object_id) DO UPDATE SET
          display_name = excluded.display_name,
          user_principal_name = excluded.user_principal_name,
          mail = excluded.mail,
          account_enabled = excluded.account_enabled,
          teams_licensed = excluded.teams_licensed,
          teams_phone_licensed = excluded.teams_phone_licensed,
          removed_at = NULL,
          last_seen_run_id = excluded.last_seen_run_id,
          updated_at = CASE
            WHEN ${changedUsers}
              IS DISTINCT FROM ROW(excluded.display_name, excluded.user_principal_name,
                     excluded.mail, excluded.account_enabled, excluded.teams_licensed,
                     excluded.teams_phone_licensed, true)
            THEN excluded.updated_at ELSE u.updated_at END
        WHERE u.last_seen_run_id IS DISTINCT FROM excluded.last_seen_run_id
          ${
            this.firstWins
              ? sql``
              : sql`OR ${changedUsers} IS DISTINCT FROM ROW(excluded.display_name,
                 excluded.user_principal_name, excluded.mail, excluded.account_enabled,
                 excluded.teams_licensed, excluded.teams_phone_licensed, true)`
          }
        RETURNING (u.xmax = 0) AS inserted, (u.updated_at = ${now}) AS changed
      )`
        : sql`up AS (
        UPDATE users u SET
          display_name = i.dn, user_principal_name = i.upn, mail = i.mail,
          account_enabled = i.ae, teams_licensed = i.tl, teams_phone_licensed = i.tpl,
          last_seen_run_id = ${runId},
          updated_at = CASE
            WHEN ROW(u.display_name, u.user_principal_name, u.mail, u.account_enabled,
                     u.teams_licensed, u.teams_phone_licensed)
              IS DISTINCT FROM ROW(i.dn, i.upn, i.mail, i.ae, i.tl, i.tpl)
            THEN ${now} ELSE u.updated_at END
        FROM input i
        WHERE u.enterprise_id = ${enterpriseId} AND u.ms_object_id = i.ms
          AND u.removed_at IS NULL
        RETURNING false AS inserted, (u.updated_at = ${now}) AS changed
      )`;
    // The same statement adds the page's counts to the run (its progress) and renews the claim.
    const [result] = rowsOfResult(
      await this.db.execute(sql`
        WITH ${input}, ${write},
        counts AS (
          SELECT
            ${countSeen ? sql`count(*)::int` : sql`0`} AS seen,
            count(*) FILTER (WHERE inserted)::int AS created,
            count(*) FILTER (WHERE NOT inserted AND changed)::int AS updated
          FROM up
        ),
        run AS (
          UPDATE user_sync_runs r
          SET seen = r.seen + c.seen, created = r.created + c.created, updated = r.updated + c.updated
          FROM counts c WHERE r.id = ${runId}
        ),
        claim AS (
          UPDATE user_sync_state SET heartbeat_at = ${now}
          WHERE enterprise_id = ${enterpriseId} AND current_run_id = ${runId}
          RETURNING 1
        )
        SELECT c.seen, c.created, c.updated, (SELECT count(*)::int FROM claim) AS claimed
        FROM counts c`),
    );
    this.counters.created += Number(result?.created ?? 0);
    this.counters.updated += Number(result?.updated ?? 0);
    this.counters.seen += Number(result?.seen ?? 0);
    if (Number(result?.claimed ?? 0) === 0) throw lostClaim();
  }

  private async markRemoved(ids: string[]): Promise<number> {
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

  /** Adds counts to the run's progress and renews the claim; stops when the claim was taken over. */
  private async progress(delta: Partial<UserSyncCounters>) {
    const now = this.services.now();
    const result = await this.db.execute(sql`
      WITH run AS (
        UPDATE user_sync_runs
        SET seen = seen + ${delta.seen ?? 0}, created = created + ${delta.created ?? 0},
            updated = updated + ${delta.updated ?? 0}, removed = removed + ${delta.removed ?? 0}
        WHERE id = ${this.runId}
      )
      UPDATE user_sync_state SET heartbeat_at = ${now}
      WHERE enterprise_id = ${this.enterpriseId} AND current_run_id = ${this.runId}`);
    if (affectedRows(result) === 0) throw lostClaim();
    await this.onPage?.(this.runId);
  }
}
