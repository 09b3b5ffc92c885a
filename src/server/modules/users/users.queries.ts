import { and, asc, count, desc, eq, ilike, isNull, or, type SQL, sql } from "drizzle-orm";
import type {
  UserLicenceFilter,
  UserListResponse,
  UserSummary,
  UserSyncRunSummary,
  UserSyncStatus,
} from "../../../shared/contracts/users.ts";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import { userSyncRuns, userSyncState, users } from "../../db/schema/index.ts";
import { containsPattern } from "../../lib/sql.ts";

type UserRow = typeof users.$inferSelect;
type RunRow = typeof userSyncRuns.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentUser(u: UserRow): UserSummary {
  return {
    id: u.id,
    msObjectId: u.msObjectId,
    displayName: u.displayName,
    userPrincipalName: u.userPrincipalName,
    mail: u.mail,
    accountEnabled: u.accountEnabled,
    teamsLicensed: u.teamsLicensed,
    teamsPhoneLicensed: u.teamsPhoneLicensed,
    removedAt: iso(u.removedAt),
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

function presentRun(r: RunRow): UserSyncRunSummary {
  return {
    id: r.id,
    trigger: r.trigger,
    mode: r.mode,
    status: r.status,
    counters: { seen: r.seen, created: r.created, updated: r.updated, removed: r.removed },
    startedAt: r.startedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
    error: r.error,
  };
}

/**
 * One enterprise's synced users, ordered by display name: search (contains, case-insensitive) on
 * display name, sign-in name and e-mail; licence filter; removed users only when asked. Takes the
 * enterprise already scoped to the actor, so it cannot list another subtree's users.
 */
export async function listUsers(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  query: {
    search?: string | undefined;
    licence?: UserLicenceFilter | undefined;
    includeRemoved?: boolean | undefined;
    page: number;
    pageSize: number;
  },
): Promise<UserListResponse> {
  const conditions: (SQL | undefined)[] = [eq(users.enterpriseId, enterprise.id)];
  if (!query.includeRemoved) conditions.push(isNull(users.removedAt));
  const search = query.search?.trim();
  if (search) {
    const pattern = containsPattern(search);
    conditions.push(
      or(
        ilike(users.displayName, pattern),
        ilike(users.userPrincipalName, pattern),
        ilike(users.mail, pattern),
      ),
    );
  }
  if (query.licence === "teams") conditions.push(eq(users.teamsLicensed, true));
  if (query.licence === "teams_phone") conditions.push(eq(users.teamsPhoneLicensed, true));
  if (query.licence === "none")
    conditions.push(and(eq(users.teamsLicensed, false), eq(users.teamsPhoneLicensed, false)));
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(users.displayName), asc(users.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ n: count() }).from(users).where(where),
  ]);
  return {
    items: rows.map(presentUser),
    total: Number(total?.n ?? 0),
    page: query.page,
    pageSize: query.pageSize,
  };
}

/** Where an enterprise's user sync stands: state, the running run's progress, the last run, counts. */
export async function userSyncStatusOf(
  db: Db,
  enterprise: Scoped<{ id: string }>,
): Promise<UserSyncStatus> {
  const enterpriseId = enterprise.id;
  const [[state], [counts], recent] = await Promise.all([
    db.select().from(userSyncState).where(eq(userSyncState.enterpriseId, enterpriseId)),
    db
      .select({
        total: sql<number>`count(*) FILTER (WHERE ${users.removedAt} IS NULL)::int`,
        teams: sql<number>`count(*) FILTER (WHERE ${users.removedAt} IS NULL AND ${users.teamsLicensed})::int`,
        teamsPhone: sql<number>`count(*) FILTER (WHERE ${users.removedAt} IS NULL AND ${users.teamsPhoneLicensed})::int`,
        removed: sql<number>`count(*) FILTER (WHERE ${users.removedAt} IS NOT NULL)::int`,
      })
      .from(users)
      .where(eq(users.enterpriseId, enterpriseId)),
    db
      .select()
      .from(userSyncRuns)
      .where(eq(userSyncRuns.enterpriseId, enterpriseId))
      .orderBy(desc(userSyncRuns.startedAt), desc(userSyncRuns.id))
      .limit(2),
  ]);
  const current = state?.currentRunId
    ? (recent.find((r) => r.id === state.currentRunId) ??
      (await db.select().from(userSyncRuns).where(eq(userSyncRuns.id, state.currentRunId)))[0])
    : undefined;
  const last = recent.find((r) => r.status !== "running");
  return {
    status: state?.status ?? "idle",
    lastSyncAt: iso(state?.lastSyncAt ?? null),
    lastFullSyncAt: iso(state?.lastFullSyncAt ?? null),
    lastError: state?.lastError ?? null,
    nextDueAt: iso(state?.nextDueAt ?? null),
    currentRun: current && current.status === "running" ? presentRun(current) : null,
    lastRun: last ? presentRun(last) : null,
    userCounts: {
      total: Number(counts?.total ?? 0),
      teams: Number(counts?.teams ?? 0),
      teamsPhone: Number(counts?.teamsPhone ?? 0),
      removed: Number(counts?.removed ?? 0),
    },
  };
}
