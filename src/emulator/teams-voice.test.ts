import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Emulator,
  roleTemplateIds,
  skus,
  startEmulator,
  teamsAdminResource,
} from "./index.ts";
import { clientCredentialsGrant, type Fetch, fetchTrusting, requestJson } from "./testing.ts";

/** The Teams voice origin: what Teams PowerShell manages for Direct Routing, with Microsoft's rules. */

const admin = { clientId: "6e2f1d55-4b1f-4c1a-9a65-1b2c3d4e5f61", clientSecret: "voice-secret" };
const norole = { clientId: "6e2f1d55-4b1f-4c1a-9a65-1b2c3d4e5f62", clientSecret: "norole-secret" };
const carrier = "use1.sbc.example.net";
const trunk = `northwind.${carrier}`;

let emu: Emulator;
let f: Fetch;
let tenantId: string;
let graphToken: string;
let teamsToken: string;
let phoneUserId: string;

async function token(app: typeof admin, scope: string): Promise<string> {
  const { body } = await clientCredentialsGrant(f, emu.loginUrl, tenantId, app, scope);
  if (typeof body.access_token !== "string") throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

const call = (url: string, init: { method?: string; body?: unknown; token: string }) =>
  requestJson(f, url, init);

const voice = (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
  call(`${emu.graphUrl}/teams-voice/${tenantId}${path}`, {
    ...init,
    token: init.token ?? teamsToken,
  });
const graph = (path: string, init: { method?: string; body?: unknown } = {}) =>
  call(`${emu.graphUrl}/v1.0${path}`, { ...init, token: graphToken });

const route = (identity: string, extra: Record<string, unknown> = {}) => ({
  identity,
  numberPattern: "^\\+1(\\d{10})$",
  onlinePstnGatewayList: [trunk],
  onlinePstnUsages: ["Teamgate"],
  priority: 1,
  ...extra,
});

async function verificationCode(): Promise<string> {
  const records = await graph(`/domains/${trunk}/verificationDnsRecords`);
  return records.body.value.find((r: any) => r.recordType === "Txt").text as string;
}

beforeAll(async () => {
  emu = await startEmulator();
  f = fetchTrusting(emu.caPem);
  const redirectUris = ["https://portal.test/cb"];
  emu.control.registerApp({
    ...admin,
    redirectUris,
    appRoles: [
      "Domain.ReadWrite.All",
      "User.ReadWrite.All",
      "LicenseAssignment.ReadWrite.All",
      "RoleManagement.ReadWrite.Directory",
    ],
  });
  emu.control.registerApp({ ...norole, redirectUris, appRoles: [] });
  emu.control.addCarrierTrunk(carrier);
  const seeded = emu.control.seedTenant({
    displayName: "Northwind",
    domain: "northwind",
    users: [
      {
        userPrincipalName: "phone@northwind.onmicrosoft.com",
        displayName: "Phone User",
        password: "pw",
        licenses: ["teams", "teamsPhone"],
      },
      {
        userPrincipalName: "plain@northwind.onmicrosoft.com",
        displayName: "Plain User",
        password: "pw",
        licenses: ["teams"],
      },
    ],
  });
  tenantId = seeded.tenantId;
  phoneUserId = seeded.users[0]!.id;
  emu.control.grantAdminConsent(tenantId, admin.clientId, { longAgo: true });
  emu.control.grantAdminConsent(tenantId, norole.clientId, { longAgo: true });
  graphToken = await token(admin, "https://graph.microsoft.com/.default");
  const sp = emu.control
    .tenantState(tenantId)
    .servicePrincipals.find((s) => s.appId === admin.clientId)!;
  const assigned = await graph("/roleManagement/directory/roleAssignments", {
    method: "POST",
    body: {
      principalId: sp.id,
      roleDefinitionId: roleTemplateIds.teamsAdministrator,
      directoryScopeId: "/",
    },
  });
  expect(assigned.status).toBe(201);
  teamsToken = await token(admin, `${teamsAdminResource}/.default`);
});
afterAll(() => emu.stop());

describe("authentication", () => {
  it("issues Teams admin API tokens without roles, with the service principal's wids", () => {
    const claims = decodeJwt(teamsToken);
    expect(claims.aud).toBe(teamsAdminResource);
    expect(claims.roles).toBeUndefined();
    expect(claims.wids).toEqual([roleTemplateIds.teamsAdministrator]);
  });

  it("refuses (403) an application without the Teams Administrator role", async () => {
    const bare = await token(norole, `${teamsAdminResource}/.default`);
    const res = await voice("/pstnUsages", { token: bare });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Forbidden");
    expect(res.headers.get("x-ms-correlation-id")).toBe(res.body.error.innerError["request-id"]);
  });

  it("refuses a Graph token (401) and a token of another tenant's path (403)", async () => {
    expect((await voice("/pstnUsages", { token: graphToken })).status).toBe(401);
    const other = emu.control.seedTenant({ displayName: "Other", domain: "other", users: [] });
    const res = await call(`${emu.graphUrl}/teams-voice/${other.tenantId}/pstnUsages`, {
      token: teamsToken,
    });
    expect(res.status).toBe(403);
  });
});

describe("PSTN usages", () => {
  it("adds idempotently, counts every create call, answers with a correlation id", async () => {
    const first = await voice("/pstnUsages", { method: "PATCH", body: { add: ["Teamgate"] } });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ms-correlation-id")).toMatch(/^[0-9a-f-]{36}$/);
    const again = await voice("/pstnUsages", { method: "PATCH", body: { add: ["teamgate"] } });
    expect(again.body).toEqual({ identity: "Global", usage: ["Teamgate"] });
    expect(emu.control.teamsVoice(tenantId).createCalls.pstnUsage).toBe(2);
  });

  it("removes an unused usage, absent is no error", async () => {
    await voice("/pstnUsages", { method: "PATCH", body: { add: ["Spare"] } });
    const res = await voice("/pstnUsages", {
      method: "PATCH",
      body: { remove: ["Spare", "Never"] },
    });
    expect(res.status).toBe(200);
    expect(res.body.usage).toEqual(["Teamgate"]);
  });
});

describe("derived trunk activation and voice routes", () => {
  it("refuses a gateway until its domain is verified, licensed and activated", async () => {
    emu.control.setDirectRoutingActivationDelay(600);
    const refused = async (reason: string) => {
      const res = await voice("/voiceRoutes", { method: "POST", body: route("US and Canada") });
      expect(res.status, reason).toBe(400);
      expect(res.body.error.message).toBe(`Cannot find specified Gateway "${trunk}".`);
      expect(emu.control.getDomainActivation(tenantId, trunk).reason).toBe(reason);
    };
    await refused("domain_not_in_tenant");
    const added = await graph("/domains", { method: "POST", body: { id: trunk } });
    expect(added.status).toBe(201);
    await refused("domain_not_verified");
    emu.control.publishTxt(trunk, await verificationCode());
    expect((await graph(`/domains/${trunk}/verify`, { method: "POST" })).status).toBe(200);
    await refused("no_licensed_user");

    const user = await graph("/users", {
      method: "POST",
      body: {
        accountEnabled: false,
        displayName: "Direct Routing activation",
        mailNickname: "teamgate-activation",
        userPrincipalName: `teamgate-activation@${trunk}`,
        passwordProfile: { password: "Activ8-Only!x" },
        usageLocation: "US",
      },
    });
    expect(user.status).toBe(201);
    await refused("no_licensed_user");
    const licensed = await graph(`/users/${user.body.id}/assignLicense`, {
      method: "POST",
      body: { addLicenses: [{ skuId: skus.teams.skuId }], removeLicenses: [] },
    });
    expect(licensed.status).toBe(200);
    await refused("activating");
    expect((await voice(`/derivedTrunks/${trunk}`)).body).toEqual({
      fqdn: trunk,
      activation: "pending",
    });

    await new Promise((r) => setTimeout(r, 700));
    expect((await voice(`/derivedTrunks/${trunk}`)).body.activation).toBe("active");
    const created = await voice("/voiceRoutes", { method: "POST", body: route("US and Canada") });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ ...route("US and Canada"), description: "" });
    expect((await voice("/voiceRoutes/us AND canada")).body.identity).toBe("US and Canada");
    emu.control.setDirectRoutingActivationDelay(0);
  });

  it("refuses a name that is not a derived trunk of a carrier trunk, even if verified", async () => {
    expect(emu.control.getDomainActivation(tenantId, "northwind.onmicrosoft.com").reason).toBe(
      "not_a_derived_trunk",
    );
    expect(emu.control.getDomainActivation(tenantId, `a.b.${carrier}`).reason).toBe(
      "not_a_derived_trunk",
    );
    const res = await voice("/voiceRoutes", {
      method: "POST",
      body: route("Other", { onlinePstnGatewayList: ["northwind.onmicrosoft.com"] }),
    });
    expect(res.status).toBe(400);
  });

  it("refuses a duplicate identity (409, any case) and counts it", async () => {
    const before = emu.control.teamsVoice(tenantId).createCalls.voiceRoute;
    const res = await voice("/voiceRoutes", { method: "POST", body: route("us and canada") });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("Conflict");
    expect(emu.control.teamsVoice(tenantId).createCalls.voiceRoute).toBe(before + 1);
  });

  it("needs existing usages and valid .NET patterns", async () => {
    const usage = await voice("/voiceRoutes", {
      method: "POST",
      body: route("R2", { onlinePstnUsages: ["Nope"] }),
    });
    expect(usage.status).toBe(400);
    expect(usage.body.error.message).toMatch(/PSTN usage "Nope"/);
    for (const numberPattern of ["^(\\d{3}$", "^\\q\\d+$"]) {
      const res = await voice("/voiceRoutes", {
        method: "POST",
        body: route("R2", { numberPattern }),
      });
      expect(res.status, numberPattern).toBe(400);
    }
    expect(
      (
        await voice("/voiceRoutes", {
          method: "POST",
          body: route("R2", { numberPattern: "\\\\q" }),
        })
      ).status,
    ).toBe(201);
  });

  it("replaces a route with PUT and removes it with DELETE (404 once gone)", async () => {
    const set = await voice("/voiceRoutes/R2", {
      method: "PUT",
      body: route("ignored", { priority: 5, numberPattern: ".*" }),
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ identity: "R2", priority: 5, numberPattern: ".*" });
    expect((await voice("/voiceRoutes/R2", { method: "DELETE" })).status).toBe(204);
    expect((await voice("/voiceRoutes/R2", { method: "DELETE" })).status).toBe(404);
    expect((await voice("/voiceRoutes/R2")).status).toBe(404);
    expect((await voice("/voiceRoutes/R3", { method: "PUT", body: route("R3") })).status).toBe(404);
  });
});

describe("voice routing policies, dial plans and grants", () => {
  it("creates a policy on existing usages only; refuses duplicates", async () => {
    const bad = await voice("/voiceRoutingPolicies", {
      method: "POST",
      body: { identity: "Teamgate", onlinePstnUsages: ["Nope"] },
    });
    expect(bad.status).toBe(400);
    const ok = await voice("/voiceRoutingPolicies", {
      method: "POST",
      body: { identity: "Teamgate", onlinePstnUsages: ["Teamgate"], description: "Calls" },
    });
    expect(ok.status).toBe(201);
    expect(
      (
        await voice("/voiceRoutingPolicies", {
          method: "POST",
          body: { identity: "TEAMGATE", onlinePstnUsages: [] },
        })
      ).status,
    ).toBe(409);
  });

  it("creates a dial plan with normalization rules, validating identity, rules and patterns", async () => {
    const plan = {
      identity: "Teamgate-DP",
      description: "Extensions",
      normalizationRules: [
        {
          name: "Ext",
          pattern: "^(\\d{4})$",
          translation: "+3120555$1",
          isInternalExtension: true,
        },
      ],
    };
    const created = await voice("/tenantDialPlans", { method: "POST", body: plan });
    expect(created.status).toBe(201);
    expect(created.body.normalizationRules[0]).toMatchObject({
      name: "Ext",
      isInternalExtension: true,
      description: "",
    });
    for (const body of [
      { ...plan, identity: ".dots" },
      { ...plan, identity: "has space" },
      { ...plan, identity: "x".repeat(50) },
      {
        ...plan,
        identity: "P2",
        normalizationRules: [{ name: "A", pattern: "(", translation: "" }],
      },
      {
        ...plan,
        identity: "P3",
        normalizationRules: [plan.normalizationRules[0], plan.normalizationRules[0]],
      },
      {
        ...plan,
        identity: "P4",
        normalizationRules: Array.from({ length: 51 }, (_, i) => ({
          name: `R${i}`,
          pattern: "^1$",
          translation: "+1",
        })),
      },
    ]) {
      const res = await voice("/tenantDialPlans", { method: "POST", body });
      expect(res.status, body.identity).toBe(400);
    }
    expect((await voice("/tenantDialPlans", { method: "POST", body: plan })).status).toBe(409);
  });

  it("grants to users, shows them on the online user, and refuses removing what is granted", async () => {
    const user = await voice(`/users/${phoneUserId}`);
    expect(user.body).toEqual({
      id: phoneUserId,
      userPrincipalName: "phone@northwind.onmicrosoft.com",
      enterpriseVoiceEnabled: true,
      onlineVoiceRoutingPolicy: null,
      tenantDialPlan: null,
      lineUri: null,
      voicemailEnabled: true,
    });
    expect(
      (await voice("/users/plain@northwind.onmicrosoft.com")).body.enterpriseVoiceEnabled,
    ).toBe(false);
    expect((await voice("/users/nobody@northwind.onmicrosoft.com")).status).toBe(404);

    for (const [path, name] of [
      ["onlineVoiceRoutingPolicy", "teamgate"],
      ["tenantDialPlan", "TEAMGATE-DP"],
    ] as const) {
      const res = await voice(`/users/${phoneUserId}/${path}`, {
        method: "PUT",
        body: { policyName: name },
      });
      expect(res.status).toBe(204);
    }
    expect(
      (
        await voice(`/users/${phoneUserId}/onlineVoiceRoutingPolicy`, {
          method: "PUT",
          body: { policyName: "Missing" },
        })
      ).status,
    ).toBe(404);
    expect((await voice(`/users/${phoneUserId}`)).body).toMatchObject({
      onlineVoiceRoutingPolicy: "Teamgate",
      tenantDialPlan: "Teamgate-DP",
    });

    const policy = await voice("/voiceRoutingPolicies/Teamgate", { method: "DELETE" });
    expect(policy.status).toBe(400);
    expect(policy.body.error.message).toMatch(/granted to 1 user/);
    expect((await voice("/tenantDialPlans/Teamgate-DP", { method: "DELETE" })).status).toBe(400);

    const usage = await voice("/pstnUsages", { method: "PATCH", body: { remove: ["Teamgate"] } });
    expect(usage.status).toBe(400);
    expect(usage.body.error.message).toMatch(/voice route "US and Canada" uses it/);

    for (const path of ["onlineVoiceRoutingPolicy", "tenantDialPlan"])
      await voice(`/users/${phoneUserId}/${path}`, { method: "PUT", body: { policyName: null } });
    expect((await voice(`/users/${phoneUserId}`)).body.onlineVoiceRoutingPolicy).toBeNull();
    expect((await voice("/voiceRoutingPolicies/Teamgate", { method: "DELETE" })).status).toBe(204);
    expect((await voice("/tenantDialPlans/Teamgate-DP", { method: "DELETE" })).status).toBe(204);
    expect((await voice("/voiceRoutes/US and Canada", { method: "DELETE" })).status).toBe(204);
    expect(
      (await voice("/pstnUsages", { method: "PATCH", body: { remove: ["Teamgate"] } })).body.usage,
    ).toEqual([]);
  });
});

describe("voicemail (Get-/Set-CsOnlineVoicemailUserSettings)", () => {
  it("is on by default for a Teams Phone user, set per user, shown on the online user", async () => {
    expect((await voice(`/users/${phoneUserId}/voicemailSettings`)).body).toEqual({
      identity: phoneUserId,
      voicemailEnabled: true,
    });
    const off = await voice("/users/PHONE@northwind.onmicrosoft.com/voicemailSettings", {
      method: "PATCH",
      body: { voicemailEnabled: false },
    });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ identity: phoneUserId, voicemailEnabled: false });
    expect((await voice(`/users/${phoneUserId}`)).body.voicemailEnabled).toBe(false);
    expect(emu.control.teamsVoice(tenantId).voicemail).toEqual({ [phoneUserId]: false });
    await voice(`/users/${phoneUserId}/voicemailSettings`, {
      method: "PATCH",
      body: { voicemailEnabled: true },
    });
    expect((await voice(`/users/${phoneUserId}`)).body.voicemailEnabled).toBe(true);
  });

  it("refuses an unknown user (404), a value that is not a boolean (400), no Teams Administrator role (403)", async () => {
    for (const method of ["GET", "PATCH"]) {
      const res = await voice("/users/nobody@northwind.onmicrosoft.com/voicemailSettings", {
        method,
        ...(method === "PATCH" ? { body: { voicemailEnabled: true } } : {}),
      });
      expect(res.status, method).toBe(404);
    }
    for (const body of [{}, { voicemailEnabled: "true" }, { voicemailEnabled: 1 }]) {
      const res = await voice(`/users/${phoneUserId}/voicemailSettings`, { method: "PATCH", body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const bare = await token(norole, `${teamsAdminResource}/.default`);
    const refused = await voice(`/users/${phoneUserId}/voicemailSettings`, {
      method: "PATCH",
      body: { voicemailEnabled: false },
      token: bare,
    });
    expect(refused.status).toBe(403);
    expect((await voice(`/users/${phoneUserId}`)).body.voicemailEnabled).toBe(true);
  });
});

describe("music on hold", () => {
  it("reads and sets the Global calling policy's MusicOnHoldEnabledType", async () => {
    expect((await voice("/teamsCallingPolicies/Global")).body).toEqual({
      identity: "Global",
      musicOnHoldEnabledType: "Enabled",
    });
    const set = await voice("/teamsCallingPolicies/global", {
      method: "PATCH",
      body: { musicOnHoldEnabledType: "Disabled" },
    });
    expect(set.body.musicOnHoldEnabledType).toBe("Disabled");
    expect(
      (
        await voice("/teamsCallingPolicies/Global", {
          method: "PATCH",
          body: { musicOnHoldEnabledType: "Maybe" },
        })
      ).status,
    ).toBe(400);
    expect((await voice("/teamsCallingPolicies/Sales")).status).toBe(404);
  });
});

describe("faults and counts", () => {
  it("answers injected 429 (Retry-After) and 503 with a correlation id", async () => {
    emu.control.injectFault({
      path: "^/teams-voice/",
      status: 429,
      retryAfterSeconds: 7,
      times: 1,
    });
    const throttled = await voice("/pstnUsages");
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("7");
    expect(throttled.headers.get("x-ms-correlation-id")).toBe(
      throttled.body.error.innerError["request-id"],
    );
    emu.control.injectFault({ path: "^/teams-voice/", status: 503, tenantId, times: 1 });
    expect((await voice("/pstnUsages")).status).toBe(503);
    expect((await voice("/pstnUsages")).status).toBe(200);
  });

  it("shows every object and the create calls per kind on the control API", async () => {
    const res = await f(`${emu.loginUrl}/_control/tenants/${tenantId}/teams-voice`);
    const view = (await res.json()) as any;
    expect(view).toMatchObject({
      pstnUsages: [],
      voiceRoutes: [],
      musicOnHoldEnabledType: "Disabled",
      createCalls: { pstnUsage: 3, voiceRoute: 12, voiceRoutingPolicy: 3, tenantDialPlan: 8 },
    });
    const activation = await f(
      `${emu.loginUrl}/_control/tenants/${tenantId}/domains/${trunk}/activation`,
    );
    expect(await activation.json()).toMatchObject({ status: "active", reason: null });
  });

  it("takes an administrator's edits on the control API under the admin centers' rules", async () => {
    const edit = (body: unknown) =>
      f(`${emu.loginUrl}/_control/tenants/${tenantId}/admin-center`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect(
      (await voice("/pstnUsages", { method: "PATCH", body: { add: ["Edited"] } })).status,
    ).toBe(200);
    expect(
      (
        await voice("/voiceRoutes", {
          method: "POST",
          body: route("Edited", { onlinePstnUsages: ["Edited"] }),
        })
      ).status,
    ).toBe(201);

    // A usage a route names stays; the route goes first.
    const inUse = await edit({ kind: "removePstnUsage", usage: "Edited" });
    expect(inUse.status).toBe(400);
    expect(((await inUse.json()) as { message: string }).message).toBe(
      "The PSTN usage Edited is used by Edited",
    );
    const gateways = await edit({
      kind: "setVoiceRouteGateways",
      identity: "edited",
      gateways: ["Other.example.net"],
    });
    expect(gateways.status).toBe(200);
    expect(emu.control.teamsVoice(tenantId).voiceRoutes).toContainEqual(
      expect.objectContaining({ identity: "Edited", onlinePstnGatewayList: ["other.example.net"] }),
    );
    expect((await edit({ kind: "removeVoiceRoute", identity: "Edited" })).status).toBe(200);
    expect((await edit({ kind: "removePstnUsage", usage: "Edited" })).status).toBe(200);
    expect(emu.control.teamsVoice(tenantId).pstnUsages).not.toContain("Edited");
    expect((await edit({ kind: "removeVoiceRoute", identity: "Edited" })).status).toBe(404);

    // A domain goes only once no user signs in with it.
    const withUsers = await edit({ kind: "removeDomain", fqdn: trunk });
    expect(withUsers.status).toBe(400);
    expect(emu.control.tenantState(tenantId).domains.map((d) => d.id)).toContain(trunk);

    expect((await edit({ kind: "setMusicOnHold", value: "Loud" })).status).toBe(400);
    expect((await edit({ kind: "setMusicOnHold", value: "Enabled" })).status).toBe(200);
    expect(emu.control.teamsVoice(tenantId).musicOnHoldEnabledType).toBe("Enabled");
    expect((await edit({ kind: "paint" })).status).toBe(400);
  });
});
