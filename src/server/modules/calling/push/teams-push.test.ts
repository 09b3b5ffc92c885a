/**
 * The push of configured users to Teams against the Microsoft emulator over real HTTPS: Graph's
 * asynchronous number assignment, the voice routing policy and dial plan grants and voicemail of
 * the emulator's Teams voice origin, which refuse what Microsoft refuses.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createTestApp, signIn, type TestApp } from "../../../../../test/harness.ts";
import { callingUsers, phoneNumbers, users } from "../../../db/schema/index.ts";
import { buildWorld, type World } from "../../../db/seed/factories.ts";
import { registered } from "../../enterprise-portal/enterprise-portal.test-support.ts";
import { buildPhoneNumber } from "../../numbers/numbers.factories.ts";
import { buildPbx } from "../../pbx/pbx.factories.ts";
import { runWorkflows } from "../../registration/registration.test-support.ts";
import { pushUserToTeams } from "./converge.ts";

let t: TestApp;
let world: World;
let reseller: Client;
let tenant: Awaited<ReturnType<typeof registered>>;
let pbx: { id: string; sipDomain: string };
const password = "Passw0rd!Passw0rd!";

beforeAll(async () => {
  t = await createTestApp({ microsoft: true });
  world = await buildWorld(t.services.db);
  for (const region of world.regions) t.emulator!.control.addCarrierTrunk(region.carrierFqdn);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
  tenant = await registered(t, world, reseller);
  await runWorkflows(t);
  const started = await tenant.admin.post(
    `/api/v1/enterprises/${tenant.enterpriseId}/direct-routing`,
  );
  expect(started.status).toBe(202);
  await runWorkflows(t);
  pbx = await buildPbx(t.services.db, {
    enterpriseId: tenant.enterpriseId,
    pbxTypeId: world.pbxTypes[0]!.id,
  });
}, 120_000);
afterAll(() => t.close());

let n = 0;
/** A Teams Phone user of the tenant, synced, with a number of the inventory. */
async function teamsUser(licenses: ("teams" | "teamsPhone")[] = ["teams", "teamsPhone"]) {
  const upn = `push${++n}@${tenant.domain}`;
  const { id: objectId } = t.emulator!.control.addUser(tenant.tenantId, {
    userPrincipalName: upn,
    displayName: `Push ${n}`,
    password,
    licenses,
  });
  expect(
    (await tenant.admin.post(`/api/v1/enterprises/${tenant.enterpriseId}/user-sync`)).status,
  ).toBe(202);
  await t.services.drain("users.sync");
  const [user] = await t.services.db
    .select()
    .from(users)
    .where(and(eq(users.enterpriseId, tenant.enterpriseId), eq(users.msObjectId, objectId)));
  const number = await buildPhoneNumber(t.services.db, { enterpriseId: tenant.enterpriseId });
  return { user: user!, objectId, number: number.number };
}

const userUrl = (userId: string, rest = "calling") =>
  `/api/v1/enterprises/${tenant.enterpriseId}/users/${userId}/${rest}`;

async function configure(
  u: Awaited<ReturnType<typeof teamsUser>>,
  extra: Record<string, unknown> = {},
) {
  const res = await tenant.admin.put(userUrl(u.user.id), {
    pbxId: pbx.id,
    regionId: world.regions[0]!.id,
    sipUser: `${700 + n}@${pbx.sipDomain}`,
    phoneNumber: u.number,
    sipAuthId: `${700 + n}`,
    sipPassword: "pbx-pw-1",
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.body;
}

function teamsOf(objectId: string) {
  const control = t.emulator!.control;
  const voice = control.teamsVoice(tenant.tenantId);
  const assignment = control
    .tenantState(tenant.tenantId)
    .numberAssignments.find((a) => a.assignmentTargetId === objectId);
  return {
    number: assignment?.activationState === "activated" ? assignment.telephoneNumber : null,
    grant: voice.grants[objectId] ?? {},
    // Teams' default for a Teams Phone user is on, until someone sets it.
    voicemail: voice.voicemail[objectId] ?? true,
  };
}

async function calling(userId: string) {
  const [row] = await t.services.db
    .select()
    .from(callingUsers)
    .where(eq(callingUsers.userId, userId));
  return row;
}

describe("push to Teams", () => {
  it("assigns the number, grants the policy and dial plan and turns voicemail off, in seconds", async () => {
    const u = await teamsUser();
    const configured = await configure(u);
    expect(configured.calling.teams.state).toBe("pending");
    expect(await t.services.drain("calling.teams-push")).toBe(1);
    expect(teamsOf(u.objectId)).toEqual({
      number: u.number,
      grant: { voiceRoutingPolicy: "Teamgate", tenantDialPlan: "Teamgate" },
      voicemail: false,
    });
    const detail = (
      await tenant.admin.get(`/api/v1/enterprises/${tenant.enterpriseId}/users/${u.user.id}`)
    ).body;
    expect(detail.calling.teams).toMatchObject({
      state: "done",
      number: u.number,
      policyGranted: true,
      error: null,
    });
    expect(detail.calling.teams.numberAssignedAt).not.toBeNull();
    // Nothing differs: a second push makes no call that changes Teams.
    const before = t.emulator!.control.tenantState(tenant.tenantId).numberAssignments.length;
    expect(
      await pushUserToTeams(
        t.services,
        { enterpriseId: tenant.enterpriseId, userId: u.user.id },
        { isLastAttempt: true },
      ),
    ).toBe("done");
    expect(t.emulator!.control.tenantState(tenant.tenantId).numberAssignments.length).toBe(before);
  });

  it("rides out a 429 on the number assignment (Retry-After honoured)", async () => {
    const u = await teamsUser();
    await configure(u);
    t.emulator!.control.injectFault({
      method: "POST",
      path: "numberAssignments/assignNumber",
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
    });
    await t.services.drain("calling.teams-push");
    expect(teamsOf(u.objectId).number).toBe(u.number);
    expect((await calling(u.user.id))?.teamsState).toBe("done");
  });

  it("keeps throttling for the queue's retries, and records it on the last attempt", async () => {
    const u = await teamsUser();
    await configure(u);
    t.emulator!.control.injectFault({
      method: "POST",
      path: "numberAssignments/assignNumber",
      status: 429,
      retryAfterSeconds: 0,
    });
    const data = { enterpriseId: tenant.enterpriseId, userId: u.user.id };
    await expect(pushUserToTeams(t.services, data, { isLastAttempt: false })).rejects.toMatchObject(
      {
        code: "microsoft_throttled",
      },
    );
    expect((await calling(u.user.id))?.teamsState).toBe("pending");
    expect(await pushUserToTeams(t.services, data, { isLastAttempt: true })).toBe("failed");
    expect((await calling(u.user.id))?.teamsError).toMatch(/429|throttl/i);
    t.emulator!.control.clearFaults();
  });

  it("shows Microsoft's words when the number assignment fails, and Retry succeeds once fixed", async () => {
    const u = await teamsUser();
    // Teams Phone taken away in Microsoft 365 after the last sync: the assignment operation fails.
    t.emulator!.control.updateUser(tenant.tenantId, u.objectId, { licenses: ["teams"] });
    await configure(u);
    await t.services.drain("calling.teams-push");
    const failed = (
      await tenant.admin.get(`/api/v1/enterprises/${tenant.enterpriseId}/users/${u.user.id}`)
    ).body;
    expect(failed.calling.teams.state).toBe("failed");
    expect(failed.calling.teams.error).toMatch(/not licensed for Teams Phone/);
    expect(failed.abilities).toContain("calling.push");
    t.emulator!.control.updateUser(tenant.tenantId, u.objectId, {
      licenses: ["teams", "teamsPhone"],
    });
    const retry = await tenant.admin.post(userUrl(u.user.id, "teams-push"));
    expect([retry.status, retry.body.calling.teams.state]).toEqual([202, "pending"]);
    await t.services.drain("calling.teams-push");
    expect(teamsOf(u.objectId).number).toBe(u.number);
  });

  it("takes the number and policies off Teams when calling is disabled, and frees the number on delete", async () => {
    const u = await teamsUser();
    await configure(u, { teamsVoicemail: true, assignDialPlan: false });
    await t.services.drain("calling.teams-push");
    expect(teamsOf(u.objectId)).toEqual({
      number: u.number,
      grant: { voiceRoutingPolicy: "Teamgate" },
      voicemail: true,
    });
    expect((await tenant.admin.post(userUrl(u.user.id, "disable"))).status).toBe(200);
    await t.services.drain("calling.teams-push");
    expect(teamsOf(u.objectId)).toMatchObject({ number: null, grant: {} });
    expect((await tenant.admin.delete(userUrl(u.user.id))).status).toBe(200);
    await t.services.drain("calling.teams-push");
    expect(await calling(u.user.id)).toBeUndefined();
    const [number] = await t.services.db
      .select()
      .from(phoneNumbers)
      .where(eq(phoneNumbers.number, u.number));
    expect([number?.state, number?.assignedUserId]).toEqual(["available", null]);
  });
});
