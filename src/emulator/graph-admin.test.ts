import { CryptoProvider } from "@azure/msal-node";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemoTenant } from "./demo.ts";
import { type Emulator, roleTemplateIds, startEmulator } from "./index.ts";
import { confidentialClient, type Fetch, fetchTrusting, signInThroughForms } from "./testing.ts";

const clientId = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const limitedClientId = "8b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
const clientSecret = "graph-admin-test-secret";
const redirectUri = "https://portal.test/callback";
const adminRoles = [
  "Organization.Read.All",
  "User.Read.All",
  "Group.Read.All",
  "Domain.ReadWrite.All",
  "Application.Read.All",
  "RoleManagement.ReadWrite.Directory",
  "TeamsTelephoneNumber.ReadWrite.All",
];

let emu: Emulator;
let f: Fetch;
let tenantId: string;
let otherTenantId: string;
let token: string;
let otherToken: string;
let limitedToken: string;

async function graph(
  path: string,
  init: { method?: string; body?: unknown; token?: string; version?: string } = {},
) {
  const url = path.startsWith("https://")
    ? path
    : `${emu.graphUrl}/${init.version ?? "v1.0"}${path}`;
  const res = await f(url, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${init.token ?? token}`,
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text ? JSON.parse(text) : null) as any,
  };
}

async function consent(tenant: string, app: string, login: string, password: string) {
  const url = new URL(`${emu.loginUrl}/${tenant}/v2.0/adminconsent`);
  url.search = new URLSearchParams({
    client_id: app,
    redirect_uri: redirectUri,
    scope: "https://graph.microsoft.com/.default",
    state: "s",
  }).toString();
  const journey = await signInThroughForms(f, url.toString(), { login, password });
  expect(journey.location).toContain("admin_consent=True");
}

async function appToken(tenant: string, app: string) {
  const cca = confidentialClient(emu, tenant, { clientId: app, clientSecret });
  const result = await cca.acquireTokenByClientCredential({
    scopes: ["https://graph.microsoft.com/.default"],
  });
  return result?.accessToken ?? "";
}

beforeAll(async () => {
  emu = await startEmulator();
  f = fetchTrusting(emu.caPem);
  emu.control.registerApp({
    clientId,
    clientSecret,
    redirectUris: [redirectUri],
    appRoles: adminRoles,
  });
  emu.control.registerApp({ clientId: limitedClientId, clientSecret, redirectUris: [redirectUri] });
  tenantId = seedDemoTenant(emu.control, { licensed: 10, unlicensed: 2 }).tenantId;
  otherTenantId = emu.control.seedTenant({
    displayName: "Fabrikam",
    domain: "fabrikam",
    users: [
      {
        userPrincipalName: "admin@fabrikam.onmicrosoft.com",
        displayName: "Fabrikam Admin",
        password: "Fabrikam-Admin-1",
        roles: ["globalAdministrator"],
      },
    ],
  }).tenantId;
  await consent(tenantId, clientId, "admin@contoso.onmicrosoft.com", "Contoso-Admin-1");
  await consent(tenantId, limitedClientId, "admin@contoso.onmicrosoft.com", "Contoso-Admin-1");
  await consent(otherTenantId, clientId, "admin@fabrikam.onmicrosoft.com", "Fabrikam-Admin-1");
  token = await appToken(tenantId, clientId);
  otherToken = await appToken(otherTenantId, clientId);
  limitedToken = await appToken(tenantId, limitedClientId);
});
afterAll(() => emu.stop());

describe("domains", () => {
  it("adds an unverified domain, lists it, gives a unique TXT record, verifies only once published", async () => {
    const created = await graph("/domains", {
      method: "POST",
      body: { id: "Customer1.SBC.Example.net" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: "customer1.sbc.example.net",
      isVerified: false,
      isDefault: false,
      isInitial: false,
      authenticationType: "Managed",
    });

    const list = await graph("/domains");
    expect(list.status).toBe(200);
    expect(list.body.value.map((d: { id: string }) => d.id).sort()).toEqual([
      "contoso.onmicrosoft.com",
      "customer1.sbc.example.net",
    ]);
    expect((await graph("/domains/customer1.sbc.example.net")).body.isVerified).toBe(false);
    expect((await graph("/domains/nope.example.net")).status).toBe(404);

    const records = await graph("/domains/customer1.sbc.example.net/verificationDnsRecords");
    expect(records.status).toBe(200);
    const txt = records.body.value.find((r: { recordType: string }) => r.recordType === "Txt");
    expect(txt).toMatchObject({ label: "customer1.sbc.example.net", ttl: 3600 });
    expect(txt.text).toMatch(/^MS=ms\d+$/);

    // The same name in another tenant gets its own code.
    const other = await graph("/domains", {
      method: "POST",
      body: { id: "customer1.sbc.example.net" },
      token: otherToken,
    });
    expect(other.status).toBe(201);
    const otherRecords = await graph("/domains/customer1.sbc.example.net/verificationDnsRecords", {
      token: otherToken,
    });
    const otherTxt = otherRecords.body.value.find(
      (r: { recordType: string }) => r.recordType === "Txt",
    );
    expect(otherTxt.text).toMatch(/^MS=ms\d+$/);
    expect(otherTxt.text).not.toBe(txt.text);

    const refused = await graph("/domains/customer1.sbc.example.net/verify", { method: "POST" });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("Request_BadRequest");
    expect(refused.body.error.message).toContain("Domain verification failed");
    expect(emu.control.tenantState(tenantId).domains).toContainEqual({
      id: "customer1.sbc.example.net",
      isDefault: false,
      isVerified: false,
    });

    // Another tenant's value, or one published under another name, does not verify it.
    emu.control.publishTxt("customer1.sbc.example.net", otherTxt.text);
    emu.control.publishTxt("customer2.sbc.example.net", txt.text);
    expect(
      (await graph("/domains/customer1.sbc.example.net/verify", { method: "POST" })).status,
    ).toBe(400);

    emu.control.publishTxt("customer1.sbc.example.net.", txt.text);
    const verified = await graph("/domains/customer1.sbc.example.net/verify", { method: "POST" });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ id: "customer1.sbc.example.net", isVerified: true });
    expect(emu.control.tenantState(tenantId).domains).toContainEqual({
      id: "customer1.sbc.example.net",
      isDefault: false,
      isVerified: true,
    });
    const again = await graph("/domains/customer1.sbc.example.net/verify", { method: "POST" });
    expect(again.status).toBe(400);

    // Now verified in Contoso: Fabrikam can neither verify its copy nor add it afresh.
    const otherVerify = await graph("/domains/customer1.sbc.example.net/verify", {
      method: "POST",
      token: otherToken,
    });
    expect(otherVerify.status).toBe(400);
    expect(otherVerify.body.error.message).toContain("another tenant");
  });

  it("refuses a domain verified in another tenant, a duplicate, and a bad name", async () => {
    const taken = await graph("/domains", {
      method: "POST",
      body: { id: "contoso.onmicrosoft.com" },
      token: otherToken,
    });
    expect(taken.status).toBe(400);
    expect(taken.body.error.code).toBe("Request_BadRequest");
    const duplicate = await graph("/domains", {
      method: "POST",
      body: { id: "customer1.sbc.example.net" },
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.message).toContain("conflicting object");
    expect((await graph("/domains", { method: "POST", body: { id: "not a domain" } })).status).toBe(
      400,
    );
    expect((await graph("/domains", { method: "POST", body: {} })).status).toBe(400);
  });

  it("verifies a subdomain of a verified root at once", async () => {
    const sub = await graph("/domains", {
      method: "POST",
      body: { id: "eu.customer1.sbc.example.net" },
    });
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({ isVerified: true, isRoot: false });
  });

  it("answers 403 Authorization_RequestDenied without Domain.ReadWrite.All / Domain.Read.All", async () => {
    const add = await graph("/domains", {
      method: "POST",
      body: { id: "x.example.org" },
      token: limitedToken,
    });
    expect(add.status).toBe(403);
    expect(add.body.error.code).toBe("Authorization_RequestDenied");
    expect((await graph("/domains", { token: limitedToken })).status).toBe(403);
    expect(
      (
        await graph("/domains/contoso.onmicrosoft.com/verify", {
          method: "POST",
          token: limitedToken,
        })
      ).status,
    ).toBe(403);
  });
});

describe("service principals", () => {
  it("finds the tenant's service principal of an app by appId, and by id", async () => {
    const res = await graph(`/servicePrincipals?$filter=appId eq '${clientId}'`);
    expect(res.status).toBe(200);
    expect(res.body.value).toHaveLength(1);
    const sp = res.body.value[0];
    expect(sp).toMatchObject({ appId: clientId, servicePrincipalType: "Application" });
    // The app-only token's oid is the service principal's id.
    expect(decodeJwt(token).oid).toBe(sp.id);
    expect(emu.control.tenantState(tenantId).servicePrincipals).toContainEqual(
      expect.objectContaining({ id: sp.id, appId: clientId }),
    );
    const byId = await graph(`/servicePrincipals/${sp.id}`);
    expect(byId.body).toMatchObject({ id: sp.id, appId: clientId });
    expect((await graph("/servicePrincipals/00000000-0000-0000-0000-000000000000")).status).toBe(
      404,
    );
    const none = await graph(
      "/servicePrincipals?$filter=appId eq '00000000-0000-0000-0000-000000000001'",
    );
    expect(none.body.value).toEqual([]);
    // Fabrikam's service principal of the same app is a different object.
    const other = await graph(`/servicePrincipals?$filter=appId eq '${clientId}'`, {
      token: otherToken,
    });
    expect(other.body.value[0].id).not.toBe(sp.id);
  });

  it("reaches Graph only after the consent's propagation delay: hidden, and no role for it, until then", async () => {
    const fresh = emu.control.seedTenant({
      displayName: "Northwind",
      domain: "northwind",
      users: [],
    }).tenantId;
    // Another application of the tenant, consented long ago, looks for ours.
    const readerId = "9c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f";
    emu.control.registerApp({
      clientId: readerId,
      clientSecret,
      redirectUris: [redirectUri],
      appRoles: ["Application.Read.All", "RoleManagement.ReadWrite.Directory"],
    });
    emu.control.grantAdminConsent(fresh, readerId, { longAgo: true });
    const reader = { token: await appToken(fresh, readerId) };
    emu.control.setPropagation({ consentMs: 3_000 });
    try {
      emu.control.grantAdminConsent(fresh, clientId);
    } finally {
      emu.control.setPropagation({ consentMs: 0 });
    }
    const sp = emu.control.tenantState(fresh).servicePrincipals.find((s) => s.appId === clientId)!;
    const find = () => graph(`/servicePrincipals?$filter=appId eq '${clientId}'`, reader);
    const assign = () =>
      graph("/roleManagement/directory/roleAssignments", {
        ...reader,
        method: "POST",
        body: {
          principalId: sp.id,
          roleDefinitionId: roleTemplateIds.teamsAdministrator,
          directoryScopeId: "/",
        },
      });
    expect((await find()).body.value).toEqual([]);
    expect((await graph(`/servicePrincipals/${sp.id}`, reader)).status).toBe(404);
    const early = await assign();
    expect(early.status).toBe(400);
    expect(early.body.error.message).toContain("does not exist in the directory");

    await new Promise((resolve) => setTimeout(resolve, sp.visibleAt - Date.now() + 50));
    expect((await find()).body.value).toEqual([expect.objectContaining({ id: sp.id })]);
    expect((await assign()).status).toBe(201);
  });

  it("answers 403 without Application.Read.All", async () => {
    const res = await graph(`/servicePrincipals?$filter=appId eq '${clientId}'`, {
      token: limitedToken,
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Authorization_RequestDenied");
  });
});

describe("directory role assignments", () => {
  it("assigns the Teams Administrator role to the service principal once", async () => {
    const sp = (await graph(`/servicePrincipals?$filter=appId eq '${clientId}'`)).body.value[0];
    const body = {
      principalId: sp.id,
      roleDefinitionId: roleTemplateIds.teamsAdministrator,
      directoryScopeId: "/",
    };
    const created = await graph("/roleManagement/directory/roleAssignments", {
      method: "POST",
      body,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(body);
    expect(created.body.id).toBeTruthy();

    const duplicate = await graph("/roleManagement/directory/roleAssignments", {
      method: "POST",
      body,
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.code).toBe("Request_BadRequest");
    expect(duplicate.body.error.message).toContain("conflicting object");

    const list = await graph(
      `/roleManagement/directory/roleAssignments?$filter=principalId eq '${sp.id}'`,
    );
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([expect.objectContaining({ ...body, id: created.body.id })]);
    expect(emu.control.tenantState(tenantId).roleAssignments).toEqual([
      { id: created.body.id, ...body, effectiveAt: expect.any(Number) },
    ]);
    // App-only tokens issued afterwards carry the service principal's directory roles.
    expect(decodeJwt(token).wids).toBeUndefined();
    expect(decodeJwt(await appToken(tenantId, clientId)).wids).toEqual([
      roleTemplateIds.teamsAdministrator,
    ]);
  });

  it("lists seeded users' roles and refuses an unknown principal or role", async () => {
    const admins = await graph(
      `/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '${roleTemplateIds.globalAdministrator}'`,
    );
    expect(admins.body.value).toHaveLength(1);
    const unknownPrincipal = await graph("/roleManagement/directory/roleAssignments", {
      method: "POST",
      body: {
        principalId: "00000000-0000-0000-0000-000000000000",
        roleDefinitionId: roleTemplateIds.teamsAdministrator,
        directoryScopeId: "/",
      },
    });
    expect(unknownPrincipal.status).toBe(400);
    const unknownRole = await graph("/roleManagement/directory/roleAssignments", {
      method: "POST",
      body: {
        principalId: admins.body.value[0].principalId,
        roleDefinitionId: "00000000-0000-0000-0000-000000000000",
        directoryScopeId: "/",
      },
    });
    expect(unknownRole.status).toBe(404);
  });

  it("answers 403 without RoleManagement.ReadWrite.Directory", async () => {
    const res = await graph("/roleManagement/directory/roleAssignments", {
      method: "POST",
      token: limitedToken,
      body: {
        principalId: decodeJwt(limitedToken).oid,
        roleDefinitionId: roleTemplateIds.teamsAdministrator,
        directoryScopeId: "/",
      },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Authorization_RequestDenied");
    expect(
      (await graph("/roleManagement/directory/roleAssignments", { token: limitedToken })).status,
    ).toBe(403);
  });
});

describe("groups delta", () => {
  type Delta = {
    value: Record<string, any>[];
    "@odata.nextLink"?: string;
    "@odata.deltaLink"?: string;
  };
  async function drain(start: string) {
    const value: Record<string, any>[] = [];
    let next: string | undefined = start;
    let delta: string | undefined;
    while (next) {
      const res = await graph(next);
      expect(res.status).toBe(200);
      const page = res.body as Delta;
      value.push(...page.value);
      next = page["@odata.nextLink"];
      delta = page["@odata.deltaLink"];
    }
    return { value, delta: delta ?? "" };
  }

  it("returns every group with members@delta, then only membership changes", async () => {
    const first = await drain("/groups/delta?$select=displayName,members&$top=1");
    expect(first.value.map((g) => g.displayName).sort()).toEqual(["Sales", "Support"]);
    const sales = first.value.find((g) => g.displayName === "Sales");
    expect(sales?.["members@delta"]).toHaveLength(5);
    expect(sales?.["members@delta"][0]["@odata.type"]).toBe("#microsoft.graph.user");
    expect(first.delta).toContain("$deltatoken=");

    expect((await drain(first.delta)).value).toEqual([]);

    const moved = sales?.["members@delta"][0].id as string;
    emu.control.updateUser(tenantId, moved, { groups: ["Support"] });
    const { id: added } = emu.control.addUser(tenantId, {
      userPrincipalName: "delta.new@contoso.onmicrosoft.com",
      displayName: "Delta New",
      password: "x",
      groups: ["Sales"],
    });
    const changes = await drain(first.delta);
    const byName = new Map(changes.value.map((g) => [g.displayName, g]));
    expect(byName.size).toBe(2);
    expect(byName.get("Sales")?.["members@delta"]).toEqual(
      [
        { "@odata.type": "#microsoft.graph.user", id: added },
        { "@odata.type": "#microsoft.graph.user", id: moved, "@removed": { reason: "deleted" } },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    expect(byName.get("Support")?.["members@delta"]).toEqual([
      { "@odata.type": "#microsoft.graph.user", id: moved },
    ]);
    expect((await drain(changes.delta)).value).toEqual([]);

    const latest = await drain("/groups/delta?$deltatoken=latest&$select=displayName,members");
    expect(latest.value).toEqual([]);
    emu.control.removeUser(tenantId, added);
    const removal = await drain(latest.delta);
    expect(removal.value).toEqual([
      expect.objectContaining({
        displayName: "Sales",
        "members@delta": [
          { "@odata.type": "#microsoft.graph.user", id: added, "@removed": { reason: "deleted" } },
        ],
      }),
    ]);
  });

  it("answers 403 without a group permission", async () => {
    const consentless = "9c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f";
    emu.control.registerApp({
      clientId: consentless,
      clientSecret,
      redirectUris: [redirectUri],
      appRoles: ["Organization.Read.All"],
    });
    await consent(tenantId, consentless, "admin@contoso.onmicrosoft.com", "Contoso-Admin-1");
    const res = await graph("/groups/delta", { token: await appToken(tenantId, consentless) });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Authorization_RequestDenied");
  });
});

describe("$batch dependsOn", () => {
  it("runs a request after those it depends on, and answers 424 when one failed", async () => {
    const res = await graph("/$batch", {
      method: "POST",
      body: {
        requests: [
          {
            id: "1",
            method: "POST",
            url: "/domains",
            body: { id: "batch.example.net" },
            headers: { "content-type": "application/json" },
          },
          {
            id: "2",
            method: "GET",
            url: "/domains/batch.example.net/verificationDnsRecords",
            dependsOn: ["1"],
          },
          { id: "3", method: "GET", url: "/domains/missing.example.net" },
          { id: "4", method: "GET", url: "/organization", dependsOn: ["3"] },
        ],
      },
    });
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId["1"].status).toBe(201);
    expect(byId["2"].status).toBe(200);
    expect(byId["2"].body.value[0].text).toMatch(/^MS=ms\d+$/);
    expect(byId["3"].status).toBe(404);
    expect(byId["4"].status).toBe(424);
    const bad = await graph("/$batch", {
      method: "POST",
      body: { requests: [{ id: "1", method: "GET", url: "/organization", dependsOn: ["9"] }] },
    });
    expect(bad.status).toBe(400);
  });
});

describe("Teams telephone number assignment (beta, asynchronous)", () => {
  const base = "/admin/teams/telephoneNumberManagement";
  async function userId(upn: string) {
    return (await graph(`/users/${upn}?$select=id`)).body.id as string;
  }
  async function waitFor(location: string) {
    for (let i = 0; i < 50; i++) {
      const res = await graph(location);
      expect(res.status).toBe(200);
      if (res.body.status !== "running") return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("operation did not complete");
  }

  it("answers 202 with the operation's Location, which completes after a short delay", async () => {
    const target = await userId("teams.admin@contoso.onmicrosoft.com");
    const res = await graph(`${base}/numberAssignments/assignNumber`, {
      version: "beta",
      method: "POST",
      body: {
        telephoneNumber: "12065550100",
        assignmentTargetId: target,
        numberType: "directRouting",
        assignmentCategory: "primary",
      },
    });
    expect(res.status).toBe(202);
    const location = res.headers.get("location") ?? "";
    expect(location).toMatch(
      /\/beta\/admin\/teams\/telephoneNumberManagement\/operations\('.+'\)$/,
    );

    const pending = await graph(location);
    expect(pending.body).toMatchObject({ status: "running" });
    expect(emu.control.tenantState(tenantId).numberAssignments).toEqual([
      expect.objectContaining({
        telephoneNumber: "+12065550100",
        assignmentTargetId: target,
        activationState: "assignmentPending",
      }),
    ]);

    const done = await waitFor(location);
    expect(done).toMatchObject({ id: expect.any(String), status: "succeeded" });
    expect(done.numbers[0]).toMatchObject({ status: "succeeded" });
    expect(emu.control.tenantState(tenantId).numberAssignments).toEqual([
      expect.objectContaining({ telephoneNumber: "+12065550100", activationState: "activated" }),
    ]);
    const listed = await graph(
      `${base}/numberAssignments?$filter=${encodeURIComponent("telephoneNumber eq '+12065550100'")}`,
      {
        version: "beta",
      },
    );
    expect(listed.body.value).toEqual([
      expect.objectContaining({
        assignmentTargetId: target,
        numberType: "directRouting",
        activationState: "activated",
        assignmentStatus: "userAssigned",
      }),
    ]);
  });

  it("fails the operation for a number held by another user or an unlicensed user", async () => {
    const other = await userId("adele.vance@contoso.onmicrosoft.com");
    const taken = await graph(`${base}/numberAssignments/assignNumber`, {
      version: "beta",
      method: "POST",
      body: {
        telephoneNumber: "+12065550100",
        assignmentTargetId: other,
        numberType: "directRouting",
      },
    });
    expect(taken.status).toBe(202);
    const failed = await waitFor(taken.headers.get("location") ?? "");
    expect(failed.status).toBe("failed");
    expect(failed.numbers[0].statusDetail).toContain("already assigned");
    const unlicensed = await graph(`${base}/numberAssignments/assignNumber`, {
      version: "beta",
      method: "POST",
      body: {
        telephoneNumber: "+12065550103",
        assignmentTargetId: await userId("admin@contoso.onmicrosoft.com"),
        numberType: "directRouting",
      },
    });
    const refused = await waitFor(unlicensed.headers.get("location") ?? "");
    expect(refused.numbers[0].statusDetail).toContain("not licensed for Teams Phone");
    const operations = emu.control.tenantState(tenantId).numberOperations;
    expect(operations.map((o) => o.status).sort()).toEqual(["failed", "failed", "succeeded"]);
    expect(emu.control.tenantState(tenantId).numberAssignments).toHaveLength(1);

    const bad = await graph(`${base}/numberAssignments/assignNumber`, {
      version: "beta",
      method: "POST",
      body: { telephoneNumber: "+12065550101" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("BadRequest");
  });

  it("answers 403 without TeamsTelephoneNumber.ReadWrite.All", async () => {
    const res = await graph(`${base}/numberAssignments/assignNumber`, {
      version: "beta",
      method: "POST",
      token: limitedToken,
      body: {
        telephoneNumber: "+12065550102",
        assignmentTargetId: "00000000-0000-0000-0000-000000000000",
        numberType: "directRouting",
      },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Authorization_RequestDenied");
  });

  it("serves the same assignment under /v1.0, with v1.0 operation links", async () => {
    const target = await userId("adele.vance@contoso.onmicrosoft.com");
    const res = await graph(`${base}/numberAssignments/assignNumber`, {
      version: "v1.0",
      method: "POST",
      body: {
        telephoneNumber: "+12065550104",
        assignmentTargetId: target,
        numberType: "directRouting",
      },
    });
    expect(res.status).toBe(202);
    const location = res.headers.get("location") ?? "";
    expect(location).toMatch(
      /\/v1\.0\/admin\/teams\/telephoneNumberManagement\/operations\('.+'\)$/,
    );
    const done = await waitFor(location);
    expect(done).toMatchObject({ status: "succeeded" });
    expect(done["@odata.context"]).toContain("/v1.0/$metadata#");
    const filter = encodeURIComponent("telephoneNumber eq '+12065550104'");
    for (const version of ["v1.0", "beta"] as const) {
      const listed = await graph(`${base}/numberAssignments?$filter=${filter}`, { version });
      expect(listed.status).toBe(200);
      expect(listed.body["@odata.context"]).toContain(`/${version}/$metadata#`);
      expect(listed.body.value).toEqual([
        expect.objectContaining({ assignmentTargetId: target, activationState: "activated" }),
      ]);
    }
  });
});

describe("Teams telephone number unassignment (asynchronous)", () => {
  const base = "/admin/teams/telephoneNumberManagement";
  async function userId(upn: string) {
    return (await graph(`/users/${upn}?$select=id`)).body.id as string;
  }
  async function waitFor(location: string) {
    for (let i = 0; i < 50; i++) {
      const res = await graph(location);
      expect(res.status).toBe(200);
      if (res.body.status !== "running") return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("operation did not complete");
  }
  const listed = async (number: string) =>
    (
      await graph(
        `${base}/numberAssignments?$filter=${encodeURIComponent(`telephoneNumber eq '${number}'`)}`,
      )
    ).body.value;

  it("removes the number once its operation succeeds; until then it stays with its user", async () => {
    const target = await userId("adele.vance@contoso.onmicrosoft.com");
    const assigned = await graph(`${base}/numberAssignments/assignNumber`, {
      method: "POST",
      body: {
        telephoneNumber: "+12065550110",
        assignmentTargetId: target,
        numberType: "directRouting",
        assignmentCategory: "primary",
      },
    });
    expect((await waitFor(assigned.headers.get("location") ?? "")).status).toBe("succeeded");

    const res = await graph(`${base}/numberAssignments/unassignNumber`, {
      method: "POST",
      body: { telephoneNumber: "+12065550110", numberType: "directRouting" },
    });
    expect(res.status).toBe(202);
    const location = res.headers.get("location") ?? "";
    expect(location).toMatch(
      /\/v1\.0\/admin\/teams\/telephoneNumberManagement\/operations\('.+'\)$/,
    );
    expect((await graph(location)).body.status).toBe("running");
    expect(await listed("+12065550110")).toEqual([
      expect.objectContaining({ assignmentTargetId: target, activationState: "activated" }),
    ]);

    const done = await waitFor(location);
    expect(done).toMatchObject({ status: "succeeded", numbers: [{ status: "succeeded" }] });
    expect(await listed("+12065550110")).toEqual([]);
    expect(
      emu.control
        .tenantState(tenantId)
        .numberAssignments.filter((a) => a.telephoneNumber === "+12065550110"),
    ).toEqual([]);
  });

  it("fails the operation for a number that is not assigned or of another type", async () => {
    const res = await graph(`${base}/numberAssignments/unassignNumber`, {
      method: "POST",
      body: { telephoneNumber: "+12065550119", numberType: "directRouting" },
    });
    expect(res.status).toBe(202);
    const failed = await waitFor(res.headers.get("location") ?? "");
    expect(failed.status).toBe("failed");
    expect(failed.numbers[0]).toMatchObject({ status: "failed" });
    expect(failed.numbers[0].statusDetail).toContain("not assigned");

    const target = await userId("adele.vance@contoso.onmicrosoft.com");
    const assigned = await graph(`${base}/numberAssignments/assignNumber`, {
      method: "POST",
      body: {
        telephoneNumber: "+12065550111",
        assignmentTargetId: target,
        numberType: "directRouting",
      },
    });
    await waitFor(assigned.headers.get("location") ?? "");
    const wrongType = await graph(`${base}/numberAssignments/unassignNumber`, {
      method: "POST",
      body: { telephoneNumber: "+12065550111", numberType: "callingPlan" },
    });
    expect((await waitFor(wrongType.headers.get("location") ?? "")).status).toBe("failed");
    expect(await listed("+12065550111")).toHaveLength(1);
  });

  it("answers 400 for a missing field, a number that is not E.164 or an unknown numberType", async () => {
    for (const body of [
      { telephoneNumber: "+12065550112" },
      { numberType: "directRouting" },
      { telephoneNumber: "", numberType: "directRouting" },
      { telephoneNumber: "+1 206 555 0112", numberType: "directRouting" },
      { telephoneNumber: "+0123456789", numberType: "directRouting" },
      { telephoneNumber: "+1234567890123456", numberType: "directRouting" },
      { telephoneNumber: "+12065550112", numberType: "sipTrunk" },
    ]) {
      const res = await graph(`${base}/numberAssignments/unassignNumber`, { method: "POST", body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("BadRequest");
    }
  });

  it("answers 403 without TeamsTelephoneNumber.ReadWrite.All", async () => {
    const res = await graph(`${base}/numberAssignments/unassignNumber`, {
      method: "POST",
      token: limitedToken,
      body: { telephoneNumber: "+12065550110", numberType: "directRouting" },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Authorization_RequestDenied");
    const list = await graph(`${base}/numberAssignments`, { token: limitedToken });
    expect(list.status).toBe(403);
  });
});

describe("delegated writes", () => {
  const delegatedClientId = "ad1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a";
  const scopes = ["openid", "profile", "offline_access", "Domain.ReadWrite.All"];

  async function userToken(
    login: string,
    password: string,
    consentOnBehalf: boolean,
    app: { clientId: string; scopes: string[] } = { clientId: delegatedClientId, scopes },
  ) {
    const crypto = new CryptoProvider();
    const { verifier, challenge } = await crypto.generatePkceCodes();
    const url = new URL(`${emu.loginUrl}/${tenantId}/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({
      client_id: app.clientId,
      response_type: "code",
      redirect_uri: redirectUri,
      scope: app.scopes.join(" "),
      response_mode: "query",
      state: "d",
      code_challenge: challenge,
      code_challenge_method: "S256",
    }).toString();
    const journey = await signInThroughForms(f, url.toString(), {
      login,
      password,
      consentOnBehalf,
    });
    const code = new URL(journey.location ?? "https://x.invalid").searchParams.get("code") ?? "";
    expect(code).not.toBe("");
    const cca = confidentialClient(emu, tenantId, { clientId: app.clientId, clientSecret });
    const result = await cca.acquireTokenByCode({
      code,
      scopes: app.scopes,
      redirectUri,
      codeVerifier: verifier,
    });
    return result.accessToken;
  }

  it("lets a Global Administrator add a domain with a delegated token, and refuses other users", async () => {
    emu.control.registerApp({
      clientId: delegatedClientId,
      clientSecret,
      redirectUris: [redirectUri],
      delegatedScopes: scopes,
    });
    const admin = await userToken("admin@contoso.onmicrosoft.com", "Contoso-Admin-1", true);
    const user = await userToken("adele.vance@contoso.onmicrosoft.com", "Contoso-User-1", false);
    expect(String(decodeJwt(user).scp)).toContain("Domain.ReadWrite.All");
    const refused = await graph("/domains", {
      method: "POST",
      body: { id: "delegated.example.org" },
      token: user,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("Authorization_RequestDenied");
    const added = await graph("/domains", {
      method: "POST",
      body: { id: "delegated.example.org" },
      token: admin,
    });
    expect(added.status).toBe(201);
  });

  it("refuses telephone number writes to a signed-in user without the Teams Administrator role", async () => {
    const numbersClientId = "be3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b";
    const numberScopes = [...scopes, "TeamsTelephoneNumber.ReadWrite.All"];
    emu.control.registerApp({
      clientId: numbersClientId,
      clientSecret,
      redirectUris: [redirectUri],
      delegatedScopes: numberScopes,
    });
    const token = async (login: string, password: string, onBehalf: boolean) =>
      userToken(login, password, onBehalf, { clientId: numbersClientId, scopes: numberScopes });
    const admin = await token("admin@contoso.onmicrosoft.com", "Contoso-Admin-1", true);
    const user = await token("adele.vance@contoso.onmicrosoft.com", "Contoso-User-1", false);
    expect(String(decodeJwt(user).scp)).toContain("TeamsTelephoneNumber.ReadWrite.All");
    const base = "/admin/teams/telephoneNumberManagement/numberAssignments";
    for (const [action, body] of [
      ["unassignNumber", { telephoneNumber: "+12065550104", numberType: "directRouting" }],
      [
        "assignNumber",
        {
          telephoneNumber: "+12065550120",
          assignmentTargetId: decodeJwt(user).oid,
          numberType: "directRouting",
        },
      ],
    ] as const) {
      const refused = await graph(`${base}/${action}`, { method: "POST", body, token: user });
      expect(refused.status, action).toBe(403);
      expect(refused.body.error.code).toBe("Authorization_RequestDenied");
    }
    // The same call as a Global Administrator is accepted (its operation then fails: not assigned).
    const accepted = await graph(`${base}/unassignNumber`, {
      method: "POST",
      body: { telephoneNumber: "+12065550129", numberType: "directRouting" },
      token: admin,
    });
    expect(accepted.status).toBe(202);
  });
});
