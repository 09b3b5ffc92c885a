/**
 * The user sync against the Microsoft emulator over real HTTPS (msal-node, our Graph client, the
 * emulator's delta and group endpoints, its fault injection). Nothing is mocked.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../../test/harness.ts";
import type { Emulator } from "../../../emulator/index.ts";
import { inTransaction } from "../../context.ts";
import { userSyncRuns, userSyncState } from "../../db/schema/index.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";
import { startSchedules } from "../../jobs/schedule.ts";
import type { AppError } from "../../lib/errors.ts";
import { requestUserSync } from "./commands/request-user-sync.ts";
import { type SyncOutcome, syncUsers } from "./commands/sync-users.ts";
import { syncDueUsersJob } from "./jobs/sync-due-users.job.ts";
import { listUsers, userSyncStatusOf } from "./users.queries.ts";
import {
  chooseGroups,
  numberedUsers,
  scopedEnterpriseOf,
  syncTenant,
  userRows,
} from "./users.test-support.ts";

const system = { actor: null, label: "system", clientAddress: null };
let t: TestApp;
let emulator: Emulator;
let world: World;

beforeAll(async () => {
  t = await createTestApp({ microsoft: true });
  emulator = t.emulator!;
  world = await buildWorld(t.services.db);
});
afterAll(() => t.close());
afterEach(() => emulator.control.clearFaults());

const sync = (enterpriseId: string, trigger: "manual" | "scheduled" = "manual", pageSize = 7) =>
  syncUsers(t.services, { enterpriseId, trigger }, { pageSize });

function succeeded(outcome: SyncOutcome) {
  if (outcome.outcome !== "succeeded") throw new Error(`expected success, got ${outcome.outcome}`);
  return outcome;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    return e as AppError;
  }
  throw new Error("expected a failure");
}

async function stateOf(enterpriseId: string) {
  const [state] = await t.services.db
    .select()
    .from(userSyncState)
    .where(eq(userSyncState.enterpriseId, enterpriseId));
  return state!;
}

describe("full sync, all users", () => {
  it("creates every user with licence flags, keeps a delta link, and a second run is a no-op delta", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 30) });
    const first = succeeded(await sync(tenant.enterpriseId));
    expect(first.mode).toBe("full");
    expect(first.counters).toEqual({ seen: 30, created: 30, updated: 0, removed: 0 });

    const rows = await userRows(t, tenant.enterpriseId);
    expect(rows.size).toBe(30);
    const u0 = rows.get(`u0@${tenant.domain}`)!;
    const u1 = rows.get(`u1@${tenant.domain}`)!;
    const u2 = rows.get(`u2@${tenant.domain}`)!;
    expect([u0.teamsLicensed, u0.teamsPhoneLicensed]).toEqual([false, false]);
    expect([u1.teamsLicensed, u1.teamsPhoneLicensed]).toEqual([true, false]);
    expect([u2.teamsLicensed, u2.teamsPhoneLicensed]).toEqual([true, true]);
    expect(u2.msObjectId).toBe(tenant.userIds.get(`u2@${tenant.domain}`));
    expect(u2.id).toMatch(/^usr_/);
    expect(u2.mail).toBe(`u2@${tenant.domain}`);

    const state = await stateOf(tenant.enterpriseId);
    expect(state.status).toBe("idle");
    expect(state.deltaLink).toContain("/v1.0/users/delta?$deltatoken=");
    expect(state.deltaScope).toEqual([]);
    expect(state.lastFullSyncAt).not.toBeNull();
    expect(state.nextDueAt!.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);

    const second = succeeded(await sync(tenant.enterpriseId, "scheduled"));
    expect(second.mode).toBe("delta");
    expect(second.counters).toEqual({ seen: 0, created: 0, updated: 0, removed: 0 });

    const status = await userSyncStatusOf(t.services.db, scopedEnterpriseOf(tenant));
    expect(status).toMatchObject({
      status: "idle",
      lastError: null,
      currentRun: null,
      lastRun: { mode: "delta", status: "succeeded", trigger: "scheduled" },
      // 30 users: 10 unlicensed, 20 Teams, of which 10 (the even ones) Teams Phone.
      userCounts: { total: 30, teams: 20, teamsPhone: 10, removed: 0 },
    });
  });

  it("processes page by page: the run's counters grow in the database between pages", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 23) });
    const progress: number[] = [];
    const outcome = await syncUsers(
      t.services,
      { enterpriseId: tenant.enterpriseId, trigger: "registration" },
      {
        pageSize: 5,
        onPage: async (runId) => {
          const [run] = await t.services.db
            .select()
            .from(userSyncRuns)
            .where(eq(userSyncRuns.id, runId));
          expect(run!.status).toBe("running");
          const status = await userSyncStatusOf(t.services.db, scopedEnterpriseOf(tenant));
          expect(status.currentRun?.id).toBe(runId);
          progress.push(run!.seen);
        },
      },
    );
    succeeded(outcome);
    // Pages of at most 5 users (Graph varies them), then the sweep: partial counts are visible while the run is
    // running (on PostgreSQL two pages are written at once, so hooks may observe out of order).
    expect(progress.length).toBeGreaterThanOrEqual(6);
    expect(new Set(progress.filter((n) => n > 0 && n < 23)).size).toBeGreaterThanOrEqual(2);
    expect(Math.max(...progress)).toBe(23);
    expect(progress.at(-1)).toBe(23);
  });
});

describe("delta sync, all users", () => {
  it("reflects users added, renamed, licensed and deleted in the tenant", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 12) });
    succeeded(await sync(tenant.enterpriseId));
    const id = (n: number) => tenant.userIds.get(`u${n}@${tenant.domain}`)!;
    emulator.control.addUser(tenant.tenantId, {
      userPrincipalName: `new@${tenant.domain}`,
      displayName: "Newcomer",
      password: "Passw0rd!emulator",
      licenses: ["teams", "teamsPhone"],
    });
    emulator.control.updateUser(tenant.tenantId, id(1), { displayName: "Renamed One" });
    emulator.control.updateUser(tenant.tenantId, id(3), { licenses: ["teams"] });
    emulator.control.removeUser(tenant.tenantId, id(4));
    // Touched without a change: seen, not counted as updated.
    emulator.control.updateUser(tenant.tenantId, id(5), {});

    const outcome = succeeded(await sync(tenant.enterpriseId));
    expect(outcome.mode).toBe("delta");
    expect(outcome.counters).toEqual({ seen: 4, created: 1, updated: 2, removed: 1 });
    const rows = await userRows(t, tenant.enterpriseId);
    expect(rows.get(`new@${tenant.domain}`)).toMatchObject({
      displayName: "Newcomer",
      teamsPhoneLicensed: true,
      removedAt: null,
    });
    expect(rows.get(`u1@${tenant.domain}`)!.displayName).toBe("Renamed One");
    expect(rows.get(`u3@${tenant.domain}`)!.teamsLicensed).toBe(true);
    expect(rows.get(`u4@${tenant.domain}`)!.removedAt).not.toBeNull();

    const listed = await listUsers(t.services.db, scopedEnterpriseOf(tenant), {
      page: 1,
      pageSize: 100,
    });
    expect(listed.total).toBe(12);
    const all = await listUsers(t.services.db, scopedEnterpriseOf(tenant), {
      includeRemoved: true,
      page: 1,
      pageSize: 5,
    });
    expect(all.total).toBe(13);
    expect(all.items.map((u) => u.displayName)).toEqual([
      "Newcomer",
      "Renamed One",
      "User 0000",
      "User 0002",
      "User 0003",
    ]);
    const search = await listUsers(t.services.db, scopedEnterpriseOf(tenant), {
      search: "RENAMED",
      page: 1,
      pageSize: 10,
    });
    expect(search.items.map((u) => u.userPrincipalName)).toEqual([`u1@${tenant.domain}`]);
    const unlicensed = await listUsers(t.services.db, scopedEnterpriseOf(tenant), {
      licence: "none",
      page: 1,
      pageSize: 100,
    });
    expect(unlicensed.items.every((u) => !u.teamsLicensed && !u.teamsPhoneLicensed)).toBe(true);
    expect(unlicensed.total).toBe(3); // u0, u6, u9 (u3 now licensed)
    const phone = await listUsers(t.services.db, scopedEnterpriseOf(tenant), {
      licence: "teams_phone",
      page: 1,
      pageSize: 100,
    });
    expect(phone.items.every((u) => u.teamsPhoneLicensed)).toBe(true);
  });

  it("counts a user Graph replays across delta pages once", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 40) });
    succeeded(await sync(tenant.enterpriseId));
    for (let i = 0; i < 30; i++)
      emulator.control.updateUser(tenant.tenantId, tenant.userIds.get(`u${i}@${tenant.domain}`)!, {
        displayName: `Renamed ${i}`,
      });
    // The round the sync is about to read (pages are deterministic) repeats some users.
    const link = (await stateOf(tenant.enterpriseId)).deltaLink!;
    const ids: string[] = [];
    for await (const page of t.services.microsoft!.usersDelta(
      tenant.tenantId,
      { link },
      { maxPageSize: 7 },
    ))
      ids.push(...page.users.map((u) => u.id), ...page.removedIds);
    expect(new Set(ids).size).toBe(30);
    expect(ids.length).toBeGreaterThan(30);

    const outcome = succeeded(await sync(tenant.enterpriseId));
    expect(outcome.counters).toEqual({ seen: 30, created: 0, updated: 30, removed: 0 });
  });

  it("merges minimal delta objects: only the properties present change", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 9) });
    succeeded(await sync(tenant.enterpriseId));
    const id = (n: number) => tenant.userIds.get(`u${n}@${tenant.domain}`)!;
    emulator.control.updateUser(tenant.tenantId, id(2), { displayName: "Renamed Two" });
    emulator.control.updateUser(tenant.tenantId, id(5), { accountEnabled: false });
    emulator.control.updateUser(tenant.tenantId, id(7), { licenses: ["teams", "teamsPhone"] });

    const outcome = succeeded(await sync(tenant.enterpriseId));
    expect(outcome.mode).toBe("delta");
    expect(outcome.counters).toEqual({ seen: 3, created: 0, updated: 3, removed: 0 });
    const rows = await userRows(t, tenant.enterpriseId);
    expect(rows.get(`u2@${tenant.domain}`)).toMatchObject({
      displayName: "Renamed Two",
      mail: `u2@${tenant.domain}`,
      accountEnabled: true,
      teamsLicensed: true,
      teamsPhoneLicensed: true,
    });
    expect(rows.get(`u5@${tenant.domain}`)).toMatchObject({
      displayName: "User 0005",
      mail: `u5@${tenant.domain}`,
      accountEnabled: false,
      teamsLicensed: true,
      teamsPhoneLicensed: false,
    });
    expect(rows.get(`u7@${tenant.domain}`)).toMatchObject({
      displayName: "User 0007",
      userPrincipalName: `u7@${tenant.domain}`,
      accountEnabled: true,
      teamsLicensed: true,
      teamsPhoneLicensed: true,
    });
  });

  it("runs a full sync when Graph rejects the delta link as expired", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 6) });
    succeeded(await sync(tenant.enterpriseId));
    emulator.control.removeUser(tenant.tenantId, tenant.userIds.get(`u2@${tenant.domain}`)!);
    emulator.control.expireDeltaTokens(tenant.tenantId);
    const outcome = succeeded(await sync(tenant.enterpriseId));
    expect(outcome.mode).toBe("full");
    expect(outcome.counters).toEqual({ seen: 5, created: 0, updated: 0, removed: 1 });
    const [run] = await t.services.db
      .select()
      .from(userSyncRuns)
      .where(eq(userSyncRuns.id, outcome.runId));
    expect(run!.mode).toBe("full");
  });
});

describe("group-scoped sync", () => {
  // g1: u0..u5, g2: u4..u9 (u4, u5 in both), nested (in g1): u10, u11; others: u12..u14.
  const groupsOf = (i: number) =>
    [
      i <= 5 ? "g1" : null,
      i >= 4 && i <= 9 ? "g2" : null,
      i === 10 || i === 11 ? "nested" : null,
    ].filter((g): g is string => g !== null);

  async function groupTenant() {
    const tenant = await syncTenant(t, world, {
      users: (d) => numberedUsers(d, 15, groupsOf),
      groups: ["g1", "g2", "nested", "empty"],
    });
    emulator.control.nestGroup(
      tenant.tenantId,
      tenant.groupIds.get("g1")!,
      tenant.groupIds.get("nested")!,
    );
    await chooseGroups(t, tenant, ["g1", "g2"]);
    return tenant;
  }

  it("syncs only the transitive members of the chosen groups, each once", async () => {
    const tenant = await groupTenant();
    const outcome = succeeded(await sync(tenant.enterpriseId, "manual", 4));
    expect(outcome.mode).toBe("full");
    expect(outcome.counters).toEqual({ seen: 12, created: 12, updated: 0, removed: 0 });
    const rows = await userRows(t, tenant.enterpriseId);
    expect([...rows.keys()].sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `u${i}@${tenant.domain}`).sort(),
    );
    const state = await stateOf(tenant.enterpriseId);
    expect(state.deltaScope).toEqual(
      [tenant.groupIds.get("g1")!, tenant.groupIds.get("g2")!].sort(),
    );
    expect(state.deltaLink).toContain("$deltatoken=");
  });

  it("catches membership changes, in-scope changes and deletions in a delta run", async () => {
    const tenant = await groupTenant();
    succeeded(await sync(tenant.enterpriseId));
    const id = (n: number) => tenant.userIds.get(`u${n}@${tenant.domain}`)!;
    const group = (name: string) => tenant.groupIds.get(name)!;
    emulator.control.setGroupMember(tenant.tenantId, group("g1"), id(0), false); // leaves scope
    emulator.control.setGroupMember(tenant.tenantId, group("g1"), id(4), false); // still in g2
    emulator.control.setGroupMember(tenant.tenantId, group("g2"), id(12), true); // joins scope
    emulator.control.setGroupMember(tenant.tenantId, group("nested"), id(13), true); // nested join
    emulator.control.updateUser(tenant.tenantId, id(6), { displayName: "Six Renamed" });
    emulator.control.updateUser(tenant.tenantId, id(14), { displayName: "Out Of Scope" });
    emulator.control.removeUser(tenant.tenantId, id(7));

    const outcome = succeeded(await sync(tenant.enterpriseId, "manual", 3));
    expect(outcome.mode).toBe("delta");
    expect(outcome.counters).toMatchObject({ created: 2, updated: 1, removed: 2 });
    const rows = await userRows(t, tenant.enterpriseId);
    expect(rows.get(`u0@${tenant.domain}`)!.removedAt).not.toBeNull();
    expect(rows.get(`u4@${tenant.domain}`)!.removedAt).toBeNull();
    expect(rows.get(`u7@${tenant.domain}`)!.removedAt).not.toBeNull();
    expect(rows.get(`u12@${tenant.domain}`)).toMatchObject({
      removedAt: null,
      teamsLicensed: false,
    });
    expect(rows.get(`u13@${tenant.domain}`)).toMatchObject({ teamsLicensed: true });
    expect(rows.get(`u13@${tenant.domain}`)!.removedAt).toBeNull();
    expect(rows.get(`u6@${tenant.domain}`)!.displayName).toBe("Six Renamed");
    expect(rows.has(`u14@${tenant.domain}`)).toBe(false);
    const [{ n }] = (
      (await t.services.db.execute(
        sql`SELECT count(*)::int AS n FROM user_sync_members WHERE run_id = ${outcome.runId}`,
      )) as unknown as { rows: { n: number }[] }
    ).rows as [{ n: number }];
    expect(n).toBe(0);

    // Back in scope: the removed row is restored, not duplicated.
    emulator.control.setGroupMember(tenant.tenantId, group("g2"), id(0), true);
    const again = succeeded(await sync(tenant.enterpriseId));
    expect(again.counters).toMatchObject({ created: 0, updated: 1, removed: 0 });
    expect(
      (await userRows(t, tenant.enterpriseId)).get(`u0@${tenant.domain}`)!.removedAt,
    ).toBeNull();
  });

  it("runs a full sync when the chosen groups changed since the delta link was taken", async () => {
    const tenant = await groupTenant();
    succeeded(await sync(tenant.enterpriseId));
    await chooseGroups(t, tenant, ["g2"]);
    const outcome = succeeded(await sync(tenant.enterpriseId, "manual"));
    expect(outcome.mode).toBe("full");
    // g2 = u4..u9 stay; u0..u3, u10, u11 leave the scope.
    expect(outcome.counters).toEqual({ seen: 6, created: 0, updated: 0, removed: 6 });
    await chooseGroups(t, tenant, []);
    const all = succeeded(await sync(tenant.enterpriseId));
    expect(all.mode).toBe("full");
    expect(all.counters).toMatchObject({ seen: 15, created: 3, updated: 6, removed: 0 });
  });
});

describe("failures and concurrency", () => {
  it("completes despite 429 (Retry-After) and 503 answers from Graph", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 20) });
    emulator.control.injectFault({
      path: "/v1.0/users/delta",
      tenantId: tenant.tenantId,
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
    });
    emulator.control.injectFault({
      path: "skiptoken",
      tenantId: tenant.tenantId,
      status: 503,
      times: 2,
    });
    const outcome = succeeded(await sync(tenant.enterpriseId, "manual", 5));
    expect(outcome.counters.created).toBe(20);
  });

  it("records a failed run and state on a persistent 503, and rethrows for pg-boss", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 10) });
    emulator.control.injectFault({ path: "skiptoken", tenantId: tenant.tenantId, status: 503 });
    const error = await failure(sync(tenant.enterpriseId, "manual", 4));
    expect(error.code).toBe("microsoft_unavailable");
    const status = await userSyncStatusOf(t.services.db, scopedEnterpriseOf(tenant));
    expect(status.status).toBe("failed");
    expect(status.lastError).toMatch(
      /Microsoft is unavailable right now \(503 serviceNotAvailable/,
    );
    // The first page held up to 4 users (Graph may serve fewer than the page size asked for).
    expect(status.lastRun).toMatchObject({ status: "failed" });
    const firstPage = status.lastRun!.counters.seen;
    expect(firstPage).toBeGreaterThan(0);
    expect(firstPage).toBeLessThanOrEqual(4);
    expect(status.lastRun!.error).toBe(status.lastError);
    expect(status.currentRun).toBeNull();

    // Once Microsoft is back, the next run (still a full one) completes.
    emulator.control.clearFaults();
    const outcome = succeeded(await sync(tenant.enterpriseId));
    expect(outcome.mode).toBe("full");
    expect(outcome.counters).toMatchObject({ created: 10 - firstPage, seen: 10 });
    expect((await stateOf(tenant.enterpriseId)).lastError).toBeNull();
  });

  it("records Microsoft's refusal (consent revoked: 403) with Graph's code", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 3) });
    emulator.control.injectFault({ path: "/v1.0/users", tenantId: tenant.tenantId, status: 403 });
    const error = await failure(sync(tenant.enterpriseId));
    expect(error.code).toBe("microsoft_forbidden");
    const state = await stateOf(tenant.enterpriseId);
    expect(state.status).toBe("failed");
    expect(state.lastError).toMatch(/^Microsoft refused.*\(403/);
  });

  it("refuses a second run while one holds a fresh claim, and takes over a stale one", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 3) });
    await t.services.db.insert(userSyncState).values({
      enterpriseId: tenant.enterpriseId,
      status: "running",
      currentRunId: "usy_other",
      heartbeatAt: new Date(),
    });
    expect(await sync(tenant.enterpriseId)).toEqual({ outcome: "busy" });
    await t.services.db
      .update(userSyncState)
      .set({ heartbeatAt: new Date(Date.now() - 31 * 60_000) })
      .where(eq(userSyncState.enterpriseId, tenant.enterpriseId));
    expect(succeeded(await sync(tenant.enterpriseId)).counters.created).toBe(3);
  });

  it("refuses a concurrent run started during a running one", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 9) });
    let inner: SyncOutcome | undefined;
    succeeded(
      await syncUsers(
        t.services,
        { enterpriseId: tenant.enterpriseId, trigger: "manual" },
        {
          pageSize: 3,
          onPage: async () => {
            inner ??= await sync(tenant.enterpriseId);
          },
        },
      ),
    );
    expect(inner).toEqual({ outcome: "busy" });
  });

  it("skips a disabled enterprise and one without a tenant", async () => {
    const disabled = await syncTenant(t, world, {
      users: (d) => numberedUsers(d, 2),
      status: "disabled",
    });
    expect(await sync(disabled.enterpriseId)).toEqual({
      outcome: "skipped",
      reason: "enterprise is disabled",
    });
    const invited = await syncTenant(t, world, {
      users: (d) => numberedUsers(d, 2),
      status: "invited",
    });
    expect((await sync(invited.enterpriseId)).outcome).toBe("skipped");
    expect((await userRows(t, disabled.enterpriseId)).size).toBe(0);
  });
});

describe("jobs", () => {
  it("schedules the due-sync tick every 15 minutes", async () => {
    await startSchedules(t.services.boss);
    await startSchedules(t.services.boss); // idempotent
    const schedules = await t.services.boss.getSchedules();
    expect(schedules.filter((s) => s.name === "users.sync-due")).toMatchObject([
      { cron: "*/15 * * * *" },
    ]);
  });

  it("requestUserSync queues one job per enterprise that the worker runs", async () => {
    const tenant = await syncTenant(t, world, { users: (d) => numberedUsers(d, 4) });
    await inTransaction(t.services, system, async (ctx) => {
      await requestUserSync(ctx, tenant.enterpriseId, "registration");
      await requestUserSync(ctx, tenant.enterpriseId, "manual");
    });
    expect((await userSyncStatusOf(t.services.db, scopedEnterpriseOf(tenant))).status).toBe(
      "queued",
    );
    expect(await t.services.drain("users.sync")).toBe(1);
    const status = await userSyncStatusOf(t.services.db, scopedEnterpriseOf(tenant));
    expect(status).toMatchObject({
      status: "idle",
      lastRun: { trigger: "registration", status: "succeeded", counters: { created: 4 } },
      userCounts: { total: 4 },
    });
  });

  it("the scheduler queues only registered or active enterprises that are due", async () => {
    await t.services.drain("users.sync");
    const due = await syncTenant(t, world, { users: (d) => numberedUsers(d, 1) });
    const activeDue = await syncTenant(t, world, {
      users: (d) => numberedUsers(d, 1),
      status: "active",
    });
    const notDue = await syncTenant(t, world, { users: (d) => numberedUsers(d, 1) });
    succeeded(await sync(notDue.enterpriseId));
    const overdue = await syncTenant(t, world, { users: (d) => numberedUsers(d, 1) });
    succeeded(await sync(overdue.enterpriseId));
    await t.services.db
      .update(userSyncState)
      .set({ nextDueAt: new Date(Date.now() - 1000) })
      .where(eq(userSyncState.enterpriseId, overdue.enterpriseId));
    const disabled = await syncTenant(t, world, {
      users: (d) => numberedUsers(d, 1),
      status: "disabled",
    });
    const invited = await syncTenant(t, world, {
      users: (d) => numberedUsers(d, 1),
      status: "invited",
    });
    // Registered, but its admin has not chosen the groups yet: the first sync waits for them.
    const undecided = await syncTenant(t, world, {
      users: (d) => numberedUsers(d, 1),
      groupsChosen: false,
    });

    await syncDueUsersJob.handle(t.services, {}, { id: "x", attempt: 1, isLastAttempt: true });
    const jobs = await t.services.boss.fetch<{ enterpriseId: string; trigger: string }>(
      "users.sync",
      { batchSize: 100 },
    );
    const queued = new Set(jobs.map((j) => j.data.enterpriseId));
    for (const e of [due, activeDue, overdue]) expect(queued.has(e.enterpriseId)).toBe(true);
    for (const e of [notDue, disabled, invited, undecided])
      expect(queued.has(e.enterpriseId)).toBe(false);
    expect(jobs.every((j) => j.data.trigger === "scheduled")).toBe(true);
    for (const j of jobs) await t.services.boss.complete("users.sync", j.id);
    expect((await stateOf(due.enterpriseId)).status).toBe("queued");
  });
});
