import {
  and,
  asc,
  count,
  desc,
  eq,
  ilike,
  isNotNull,
  isNull,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { callingStatusOf } from "../../../shared/contracts/calling.ts";
import type {
  UserCallingFilter,
  UserLicenceFilter,
  UserListResponse,
  UserSummary,
  UserSyncRunSummary,
  UserSyncStatus,
} from "../../../shared/contracts/users.ts";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import {
  callingUsers,
  devices,
  userSyncRuns,
  userSyncState,
  users,
} from "../../db/schema/index.ts";
import { containsPattern } from "../../lib/sql.ts";

type UserRow = typeof users.$inferSelect;
type CallingColumns = typeof callingUsers.$inferSelect;
/** The user's calling configuration in brief, as a left join reads it (all null: none). */
type CallingBrief = {
  [K in
    | "service"
    | "phoneNumber"
    | "sipUser"
    | "callingEnabled"
    | "disabledAt"
    | "deletedAt"
    | "teamsState"]: CallingColumns[K] | null;
} & { registrationState: (typeof devices.$inferSelect)["registrationState"] | null };

const callingBrief = {
  service: callingUsers.service,
  phoneNumber: callingUsers.phoneNumber,
  sipUser: callingUsers.sipUser,
  callingEnabled: callingUsers.callingEnabled,
  disabledAt: callingUsers.disabledAt,
  deletedAt: callingUsers.deletedAt,
  teamsState: callingUsers.teamsState,
  registrationState: devices.registrationState,
};
type RunRow = typeof userSyncRuns.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentUser(u: UserRow, c: CallingBrief | null = null): UserSummary {
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
    calling:
      !c?.service || !c.phoneNumber || !c.teamsState
        ? null
        : {
            service: c.service,
            phoneNumber: c.phoneNumber,
            sipUser: c.sipUser,
            status: callingStatusOf(c),
            teamsState: c.teamsState,
            registrationState: c.registrationState,
          },
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
    calling?: UserCallingFilter | undefined;
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
        ilike(callingUsers.sipUser, pattern),
        ilike(callingUsers.phoneNumber, pattern),
      ),
    );
  }
  if (query.licence === "teams") conditions.push(eq(users.teamsLicensed, true));
  if (query.licence === "teams_phone") conditions.push(eq(users.teamsPhoneLicensed, true));
  if (query.licence === "none")
    conditions.push(and(eq(users.teamsLicensed, false), eq(users.teamsPhoneLicensed, false)));
  if (query.calling === "configured")
    conditions.push(isNotNull(callingUsers.userId), isNull(callingUsers.deletedAt));
  if (query.calling === "not_configured") conditions.push(isNull(callingUsers.userId));
  if (query.calling === "disabled")
    conditions.push(isNotNull(callingUsers.disabledAt), isNull(callingUsers.deletedAt));
  if (query.calling === "deleted") conditions.push(isNotNull(callingUsers.deletedAt));
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db
      .select({ user: users, calling: callingBrief })
      .from(users)
      .leftJoin(callingUsers, eq(callingUsers.userId, users.id))
      .leftJoin(devices, eq(devices.userId, users.id))
      .where(where)
      .orderBy(asc(users.displayName), asc(users.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db
      .select({ n: count() })
      .from(users)
      .leftJoin(callingUsers, eq(callingUsers.userId, users.id))
      .where(where),
  ]);
  return {
    items: rows.map((r) => presentUser(r.user, r.calling)),
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
