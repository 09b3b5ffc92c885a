/**
 * The enterprise portal against the emulator over real HTTPS (msal-node, our Graph client):
 * sign-in with Microsoft, the dashboard, management consent, the groups to sync, sync now.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import {
  enterprises,
  events,
  userSyncState,
  workflowRuns,
  workflowSteps,
} from "../../db/schema/index.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";
import { runWorkflows } from "../registration/registration.test-support.ts";
import { registered } from "./enterprise-portal.test-support.ts";

let t: TestApp;
let world: World;
let reseller: Client;
let master: Client;

beforeAll(async () => {
  t = await createTestApp({ microsoft: true });
  world = await buildWorld(t.services.db);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
  master = await signIn(t.app, world.a.masterAdmin.username);
});
afterAll(() => t.close());

describe("Enterprise portal: dashboard and management consent", () => {
  it("answers 401 to anonymous callers", async () => {
    const anonymous = clientOf(t.app);
    const id = world.a.enterprise.id;
    for (const [method, url] of [
      ["GET", `/api/v1/enterprises/${id}/overview`],
      ["PUT", `/api/v1/enterprises/${id}/management-consent`],
      ["PUT", `/api/v1/enterprises/${id}/sync-groups`],
      ["POST", `/api/v1/enterprises/${id}/user-sync`],
      ["GET", `/api/v1/enterprises/${id}/users`],
      ["GET", `/api/v1/enterprises/${id}/activity`],
    ] as const) {
      expect((await anonymous.request(method, url, method === "GET" ? undefined : {})).status).toBe(
        401,
      );
    }
  });

  it("shows the action items to both sides; only the enterprise grants and revokes", async () => {
    const { enterpriseId, admin } = await registered(t, world, reseller);
    const overview = await admin.get(`/api/v1/enterprises/${enterpriseId}/overview`);
    expect(overview.status).toBe(200);
    expect(overview.body.managementConsent.state).toBe("pending");
    expect(overview.body.abilities).toEqual(["management_consent.grant", "users.sync"]);
    expect(
      overview.body.actionItems.map((i: { id: string; state: string }) => [i.id, i.state]),
    ).toEqual([
      ["management_consent", "todo"],
      ["teams_admin_role", "waiting"],
      ["sync_groups", "todo"],
      ["user_sync", "todo"],
      ["direct_routing", "todo"],
    ]);
    // The reseller sees Pending and may not sync users for the enterprise yet.
    const seen = await reseller.get(`/api/v1/enterprises/${enterpriseId}/overview`);
    expect(seen.body.managementConsent.state).toBe("pending");
    expect(seen.body.abilities).toEqual([]);
    // Only the enterprise decides.
    const byReseller = await reseller.put(`/api/v1/enterprises/${enterpriseId}/management-consent`);
    expect(byReseller.status).toBe(403);

    const granted = await admin.put(`/api/v1/enterprises/${enterpriseId}/management-consent`);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      state: "granted",
      grantedBy: expect.stringContaining("admin@"),
    });
    // Granting again changes nothing.
    expect(
      (await admin.put(`/api/v1/enterprises/${enterpriseId}/management-consent`)).body,
    ).toEqual(granted.body);
    const now = await reseller.get(`/api/v1/enterprises/${enterpriseId}/overview`);
    expect(now.body.managementConsent.state).toBe("granted");
    expect(now.body.abilities).toEqual(["users.sync"]);
    // The master reseller sees it, but may not sync users (its role).
    const byMaster = await master.get(`/api/v1/enterprises/${enterpriseId}/overview`);
    expect(byMaster.body.managementConsent.state).toBe("granted");
    expect(byMaster.body.abilities).toEqual([]);

    const revoked = await admin.delete(`/api/v1/enterprises/${enterpriseId}/management-consent`);
    expect(revoked.body).toEqual({ state: "pending", grantedAt: null, grantedBy: null });
    const actions = await t.services.db
      .select({ action: events.name })
      .from(events)
      .where(
        sql`${events.enterpriseId} = ${enterpriseId} and ${events.name} like 'enterprise.management_consent_%'`,
      )
      .orderBy(events.at);
    expect(actions.map((a) => a.action)).toEqual([
      "enterprise.management_consent_granted",
      "enterprise.management_consent_revoked",
    ]);
  });

  it("refuses management consent when the enterprise never asked for it (409)", async () => {
    const { enterpriseId, admin } = await registered(t, world, reseller);
    await t.services.db
      .update(enterprises)
      .set({ requestManagementConsent: false })
      .where(eq(enterprises.id, enterpriseId));
    const res = await admin.put(`/api/v1/enterprises/${enterpriseId}/management-consent`);
    expect(res.status).toBe(409);
    const overview = await admin.get(`/api/v1/enterprises/${enterpriseId}/overview`);
    expect(overview.body.managementConsent.state).toBe("not_requested");
    expect(overview.body.actionItems[0].id).toBe("teams_admin_role");
  });

  it("shows the enterprise's own activity, newest first", async () => {
    const { enterpriseId, admin } = await registered(t, world, reseller);
    await admin.put(`/api/v1/enterprises/${enterpriseId}/management-consent`);
    const feed = await admin.get(`/api/v1/enterprises/${enterpriseId}/activity?pageSize=5`);
    expect(feed.status).toBe(200);
    expect(feed.body.items[0].action).toBe("enterprise.management_consent_granted");
    expect(
      feed.body.items.every((e: { target: { id: string } }) => e.target.id === enterpriseId),
    ).toBe(true);
  });
});

describe("Enterprise portal: retrying the Teams Administrator role", () => {
  it("runs the failed step again, for the admin or a consented provider", async () => {
    const { enterpriseId, admin } = await registered(t, world, reseller);
    const url = `/api/v1/enterprises/${enterpriseId}/teams-admin-role/retry`;
    const overview = () => admin.get(`/api/v1/enterprises/${enterpriseId}/overview`);
    // As if Microsoft had refused the last check: the run failed at its second step.
    const fail = async () => {
      const [run] = await t.services.db
        .update(workflowRuns)
        .set({ status: "failed" })
        .where(eq(workflowRuns.subjectId, enterpriseId))
        .returning({ id: workflowRuns.id });
      await t.services.db
        .update(workflowSteps)
        .set({ status: "failed", error: "Microsoft refused" })
        .where(
          and(
            eq(workflowSteps.runId, run!.id),
            eq(workflowSteps.stepId, "teams-admin-role.effective"),
          ),
        );
    };
    // Still running (registration started it): nothing to retry.
    expect((await admin.post(url)).status).toBe(409);
    await runWorkflows(t);
    await fail();

    expect((await clientOf(t.app).post(url)).status).toBe(401);
    const failed = await overview();
    expect(failed.body.abilities).toContain("teams_admin_role.retry");
    expect(failed.body.teamsAdminRole).toMatchObject({
      status: "failed",
      steps: [{ status: "succeeded" }, { status: "failed", error: "Microsoft refused" }],
    });
    expect(
      failed.body.actionItems.find((i: { id: string }) => i.id === "teams_admin_role"),
    ).toMatchObject({ state: "failed", detail: "Microsoft refused" });
    // The provider: its role may, but not without the enterprise's consent; the master never.
    expect((await reseller.post(url)).body.code).toBe("management_consent_required");
    expect((await master.post(url)).body.code).toBe("forbidden");

    expect((await admin.post(url)).status).toBe(202);
    expect((await overview()).body.teamsAdminRole.status).toBe("running");
    await runWorkflows(t);
    const after = await overview();
    expect(after.body.teamsAdminRole).toMatchObject({
      status: "succeeded",
      steps: [{ status: "succeeded" }, { status: "succeeded", error: null }],
    });
    expect(after.body.abilities).not.toContain("teams_admin_role.retry");

    await fail();
    await admin.put(`/api/v1/enterprises/${enterpriseId}/management-consent`);
    expect((await reseller.post(url)).status).toBe(202);
  });
});

describe("Enterprise portal: user groups and sync", () => {
  it("lists the tenant's groups, live, by name prefix", async () => {
    const { enterpriseId, admin, groups } = await registered(t, world, reseller);
    const all = await admin.get(`/api/v1/enterprises/${enterpriseId}/directory-groups`);
    expect(all.status).toBe(200);
    expect(all.body.items.map((g: { displayName: string }) => g.displayName)).toEqual([
      "Engineering",
      "Sales",
    ]);
    const found = await admin.get(`/api/v1/enterprises/${enterpriseId}/directory-groups?q=Sa`);
    expect(found.body).toEqual({
      items: [{ id: groups.sales, displayName: "Sales", description: null }],
      more: false,
    });
  });

  it("saves the chosen groups and queues the first sync; bad groups change nothing", async () => {
    const { enterpriseId, admin, groups } = await registered(t, world, reseller);
    const url = `/api/v1/enterprises/${enterpriseId}/sync-groups`;
    const notUuid = await admin.put(url, { groupIds: ["nope"] });
    expect(notUuid.status).toBe(400);
    expect(notUuid.body.fields["groupIds.0"]).toBe("Not a Microsoft group id");
    const unknown = await admin.put(url, {
      groupIds: [groups.sales, "0b5e7d43-0000-4000-8000-000000000000"],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields).toEqual({
      "groupIds.1": "No such group in your Microsoft 365 directory",
    });
    expect((await admin.get(url)).body).toEqual({ chosenAt: null, groups: [] });
    const [before] = await t.services.db
      .select()
      .from(userSyncState)
      .where(eq(userSyncState.enterpriseId, enterpriseId));
    expect(before).toBeUndefined();

    const saved = await admin.put(url, { groupIds: [groups.sales] });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({
      chosenAt: expect.any(String),
      groups: [{ id: groups.sales, displayName: "Sales" }],
    });
    const status = await admin.get(`/api/v1/enterprises/${enterpriseId}/user-sync`);
    expect(status.body.status).toBe("queued");
    expect(await t.services.drain("users.sync")).toBeGreaterThanOrEqual(1);
    const list = await admin.get(`/api/v1/enterprises/${enterpriseId}/users`);
    expect(list.body.items.map((u: { displayName: string }) => u.displayName)).toEqual(["Alice"]);
    expect(list.body.items[0]).toMatchObject({ teamsLicensed: true, teamsPhoneLicensed: true });
    const overview = await admin.get(`/api/v1/enterprises/${enterpriseId}/overview`);
    const items = Object.fromEntries(
      overview.body.actionItems.map((i: { id: string; state: string }) => [i.id, i.state]),
    );
    expect(items).toMatchObject({ sync_groups: "done", user_sync: "done" });
  });

  it("lets the service provider manage users only with management consent", async () => {
    const { enterpriseId, admin } = await registered(t, world, reseller);
    const sync = `/api/v1/enterprises/${enterpriseId}/user-sync`;
    const groupsUrl = `/api/v1/enterprises/${enterpriseId}/sync-groups`;
    for (const res of [
      await reseller.post(sync),
      await reseller.put(groupsUrl, { groupIds: [] }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("management_consent_required");
    }
    // The master reseller's role never may, consent or not.
    expect((await master.post(sync)).body.code).toBe("forbidden");
    await admin.put(`/api/v1/enterprises/${enterpriseId}/management-consent`);
    expect((await reseller.post(sync)).status).toBe(202);
    expect((await reseller.put(groupsUrl, { groupIds: [] })).status).toBe(200);
    expect((await master.post(sync)).status).toBe(403);
    // Reading is always allowed to those who see the enterprise.
    expect((await master.get(`/api/v1/enterprises/${enterpriseId}/users`)).status).toBe(200);
  });

  it("syncs on demand for the enterprise admin (202) and absorbs repeated requests", async () => {
    const { enterpriseId, admin } = await registered(t, world, reseller);
    const sync = `/api/v1/enterprises/${enterpriseId}/user-sync`;
    const first = await admin.post(sync);
    expect(first.status).toBe(202);
    expect(first.body.status).toBe("queued");
    expect((await admin.post(sync)).status).toBe(202);
    await t.services.drain("users.sync");
    const done = await admin.get(sync);
    expect(done.body).toMatchObject({ status: "idle", lastRun: { status: "succeeded" } });
    // No groups chosen: every user of the tenant (the two admins and Alice).
    expect(done.body.userCounts.total).toBe(3);
  });
});
