import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemoTenant } from "./demo.ts";
import { type Emulator, skus, startEmulator } from "./index.ts";
import { confidentialClient, type Fetch, fetchTrusting, signInThroughForms } from "./testing.ts";

const clientId = "0f1e2d3c-4b5a-4678-9abc-def012345678";
const clientSecret = "graph-test-secret";
const redirectUri = "https://portal.test/callback";

let emu: Emulator;
let f: Fetch;
let tenantId: string;
let token: string;
let salesId: string;

type Page = {
  value: Record<string, unknown>[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
};

async function graph(
  path: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
) {
  const url = path.startsWith("https://") ? path : `${emu.graphUrl}/v1.0${path}`;
  const res = await f(url, {
    method: init.method ?? "GET",
    headers: {
      ...init.headers,
      ...(init.token !== "" ? { authorization: `Bearer ${init.token ?? token}` } : {}),
      ...(init.body ? { "content-type": "application/json" } : {}),
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

async function appToken(tenant: string) {
  const app = confidentialClient(emu, tenant, { clientId, clientSecret });
  const result = await app.acquireTokenByClientCredential({
    scopes: ["https://graph.microsoft.com/.default"],
  });
  return result?.accessToken ?? "";
}

beforeAll(async () => {
  emu = await startEmulator();
  f = fetchTrusting(emu.caPem);
  emu.control.registerApp({ clientId, clientSecret, redirectUris: [redirectUri] });
  const seeded = seedDemoTenant(emu.control, { licensed: 250, unlicensed: 5 });
  tenantId = seeded.tenantId;
  salesId = seeded.groups.find((g) => g.displayName === "Sales")?.id ?? "";
  const consent = new URL(`${emu.loginUrl}/${tenantId}/v2.0/adminconsent`);
  consent.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: "https://graph.microsoft.com/.default",
    state: "x",
  }).toString();
  const journey = await signInThroughForms(f, consent.toString(), {
    login: "admin@contoso.onmicrosoft.com",
    password: "Contoso-Admin-1",
  });
  expect(journey.location).toContain("admin_consent=True");
  token = await appToken(tenantId);
});
afterAll(() => emu.stop());

describe("authentication", () => {
  it("answers 401 in Graph's format without or with a bad token", async () => {
    const none = await graph("/users", { token: "" });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("InvalidAuthenticationToken");
    expect(none.body.error.innerError["request-id"]).toBeTruthy();
    expect((await graph("/users", { token: `${token}x` })).status).toBe(401);
  });

  it("answers 403 when the token lacks the application role", async () => {
    const other = "11111111-2222-4333-8444-555555555555";
    emu.control.registerApp({
      clientId: other,
      clientSecret,
      redirectUris: [redirectUri],
      appRoles: ["Organization.Read.All"],
    });
    const consent = new URL(`${emu.loginUrl}/${tenantId}/adminconsent`);
    consent.search = new URLSearchParams({
      client_id: other,
      redirect_uri: redirectUri,
      state: "y",
    }).toString();
    await signInThroughForms(f, consent.toString(), {
      login: "admin@contoso.onmicrosoft.com",
      password: "Contoso-Admin-1",
    });
    const app = confidentialClient(emu, tenantId, { clientId: other, clientSecret });
    const limited =
      (
        await app.acquireTokenByClientCredential({
          scopes: ["https://graph.microsoft.com/.default"],
        })
      )?.accessToken ?? "";
    const res = await graph("/users", { token: limited });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("Authorization_RequestDenied");
    expect((await graph("/organization", { token: limited })).status).toBe(200);
  });
});

describe("directory reads", () => {
  it("returns the organization with its verified domain", async () => {
    const res = await graph("/organization");
    expect(res.status).toBe(200);
    expect(res.body.value[0]).toMatchObject({ id: tenantId, displayName: "Contoso" });
    expect(res.body.value[0].verifiedDomains[0]).toMatchObject({
      name: "contoso.onmicrosoft.com",
      isDefault: true,
    });
  });

  it("pages users through opaque nextLinks", async () => {
    const seen = new Set<string>();
    let next: string | undefined = "/users?$select=id,userPrincipalName,assignedPlans&$top=100";
    let pages = 0;
    while (next) {
      const res = await graph(next);
      expect(res.status).toBe(200);
      for (const u of res.body.value) seen.add(u.id);
      next = (res.body as Page)["@odata.nextLink"];
      pages++;
    }
    expect(seen.size).toBe(257);
    expect(pages).toBe(3);
  });

  it("selects properties and reports assigned plans with Teams Phone (MCOEV)", async () => {
    const res = await graph(
      "/users?$select=id,displayName,assignedLicenses,assignedPlans&$top=1&$filter=startswith(userPrincipalName,'teams.admin')",
    );
    const user = res.body.value[0];
    expect(Object.keys(user).sort()).toEqual([
      "assignedLicenses",
      "assignedPlans",
      "displayName",
      "id",
    ]);
    expect(user.assignedPlans.map((p: { servicePlanId: string }) => p.servicePlanId)).toEqual(
      expect.arrayContaining([
        "57ff2da0-773e-42df-b2af-ffb7a2317929",
        "4828c8ec-dc2e-4779-b502-87ac9ce28ab7",
      ]),
    );
    expect(user.assignedLicenses).toContainEqual({
      disabledPlans: [],
      skuId: skus.teamsPhone.skuId,
    });
  });

  it("filters on accountEnabled and refuses an unsupported filter or page size", async () => {
    const users = (await graph("/users?$select=id")).body.value;
    emu.control.updateUser(tenantId, users[0].id, { accountEnabled: false });
    const enabled = await graph("/users?$filter=accountEnabled eq false&$select=id,accountEnabled");
    expect(enabled.body.value).toEqual([{ id: users[0].id, accountEnabled: false }]);
    emu.control.updateUser(tenantId, users[0].id, { accountEnabled: true });
    const bad = await graph("/users?$filter=endswith(mail,'x')");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("Request_UnsupportedQuery");
    expect((await graph("/users?$top=1000")).status).toBe(400);
  });

  it("lists groups and their transitive members, paged", async () => {
    const groups = await graph("/groups?$select=id,displayName");
    expect(groups.body.value.map((g: { displayName: string }) => g.displayName).sort()).toEqual([
      "Sales",
      "Support",
    ]);
    let next: string | undefined = `/groups/${salesId}/transitiveMembers?$top=50&$select=id`;
    let count = 0;
    while (next) {
      const res = await graph(next);
      count += res.body.value.length;
      expect(res.body.value[0]["@odata.type"]).toBe("#microsoft.graph.user");
      next = res.body["@odata.nextLink"];
    }
    expect(count).toBe(125);
    expect(
      (await graph("/groups/00000000-0000-0000-0000-000000000000/transitiveMembers")).status,
    ).toBe(404);
  });

  it("keeps ' and ' inside a quoted $filter value (not a clause separator)", async () => {
    emu.control.addGroup(tenantId, "Research and Development");
    const filter = encodeURIComponent("startswith(displayName,'Research and D')");
    const found = await graph(`/groups?$select=displayName&$filter=${filter}`);
    expect(found.status).toBe(200);
    expect(found.body.value).toEqual([{ displayName: "Research and Development" }]);
    const both = encodeURIComponent(
      "startswith(displayName,'Research and') and displayName eq 'Research and Development'",
    );
    expect((await graph(`/groups?$select=displayName&$filter=${both}`)).body.value).toHaveLength(1);
  });

  it("models the government and DoD SKUs, capability statuses and disabled plans", async () => {
    const { id } = emu.control.addUser(tenantId, {
      userPrincipalName: "gov.user@contoso.onmicrosoft.com",
      displayName: "Gov User",
      password: "x",
      licenses: ["office365G3Gcc", "teamsPhoneGov", "office365E3GccHigh", "office365E3Dod"],
      licenseStatus: { teamsPhoneGov: "Warning", office365E3Dod: "Suspended" },
      disabledPlans: ["9953b155-8aef-4c56-92f3-72b0487fce41"],
    });
    const user = (await graph(`/users/${id}?$select=assignedLicenses,assignedPlans`)).body;
    const status = (planId: string) =>
      user.assignedPlans.find((p: { servicePlanId: string }) => p.servicePlanId === planId)
        ?.capabilityStatus;
    expect(status("304767db-7d23-49e8-a945-4a7eb65f9f28")).toBe("Enabled"); // TEAMS_GOV
    expect(status("db23fce2-a974-42ef-9002-d78dd42a0f22")).toBe("Warning"); // MCOEV_GOV
    expect(status("fd500458-c24c-478e-856c-a6067a8376cd")).toBe("Suspended"); // TEAMS_AR_DOD
    expect(status("9953b155-8aef-4c56-92f3-72b0487fce41")).toBeUndefined(); // disabled
    expect(user.assignedLicenses).toContainEqual({
      disabledPlans: ["9953b155-8aef-4c56-92f3-72b0487fce41"],
      skuId: skus.office365E3GccHigh.skuId,
    });
    const subscribed = (await graph("/subscribedSkus")).body.value as { skuPartNumber: string }[];
    expect(subscribed.map((s) => s.skuPartNumber)).toEqual(
      expect.arrayContaining([
        "ENTERPRISEPACK_GOV",
        "MCOEV_GOV",
        "ENTERPRISEPACK_USGOV_GCCHIGH",
        "ENTERPRISEPACK_USGOV_DOD",
      ]),
    );
    emu.control.removeUser(tenantId, id);
  });

  it("reports subscribed SKUs with consumed units", async () => {
    const res = await graph("/subscribedSkus");
    const phone = res.body.value.find(
      (s: { skuPartNumber: string }) => s.skuPartNumber === "MCOEV",
    );
    expect(phone.consumedUnits).toBe(251);
    expect(phone.servicePlans[0].servicePlanId).toBe("4828c8ec-dc2e-4779-b502-87ac9ce28ab7");
  });
});

describe("advanced queries", () => {
  const eventual = { consistencylevel: "eventual" };

  it("refuses an OData cast on (transitive) members without ConsistencyLevel and $count=true", async () => {
    for (const relation of ["transitiveMembers", "members"]) {
      const cast = `/groups/${salesId}/${relation}/microsoft.graph.user?$select=id`;
      for (const [path, headers] of [
        [cast, {}],
        [cast, eventual],
        [`${cast}&$count=true`, {}],
      ] as const) {
        const res = await graph(path, { headers });
        expect(res.status, `${relation} ${JSON.stringify(headers)} ${path}`).toBe(400);
        expect(res.body.error.code).toBe("Request_UnsupportedQuery");
        expect(Object.keys(res.body.error.innerError).sort()).toEqual([
          "client-request-id",
          "date",
          "request-id",
        ]);
      }
    }
    // Without the cast, the relationship is a plain query.
    expect((await graph(`/groups/${salesId}/transitiveMembers?$select=id`)).status).toBe(200);
  });

  it("pages the cast with both, counting every member, the header needed on each page", async () => {
    let next: string | undefined =
      `/groups/${salesId}/transitiveMembers/microsoft.graph.user?$select=id&$count=true&$top=50`;
    let count = 0;
    let pages = 0;
    while (next) {
      const res = await graph(next, { headers: eventual });
      expect(res.status).toBe(200);
      expect(res.body["@odata.count"]).toBe(125);
      count += res.body.value.length;
      pages++;
      next = res.body["@odata.nextLink"];
      if (next && pages === 1) expect((await graph(next)).status).toBe(400);
    }
    expect(count).toBe(125);
  });

  it("needs the header for $count and $search, and both for endsWith, ne, not and $filter with $orderby", async () => {
    const refused = async (path: string, headers: Record<string, string> = {}) => {
      const res = await graph(path, { headers });
      expect(res.status, path).toBe(400);
      expect(res.body.error.code, path).toBe("Request_UnsupportedQuery");
    };
    await refused("/users?$count=true&$select=id");
    await refused('/users?$search="displayName:Ada"&$select=id');
    await refused("/groups?$count=true&$select=id");
    for (const filter of [
      "endswith(mail,'@contoso.onmicrosoft.com')",
      "accountEnabled ne false",
      "not(startswith(displayName,'A'))",
    ]) {
      await refused(`/users?$select=id&$filter=${encodeURIComponent(filter)}`);
      await refused(`/users?$select=id&$filter=${encodeURIComponent(filter)}`, eventual);
      await refused(`/users?$select=id&$count=true&$filter=${encodeURIComponent(filter)}`);
    }
    await refused(
      `/users?$select=id&$orderby=displayName&$filter=${encodeURIComponent("accountEnabled eq true")}`,
      eventual,
    );
    await refused(
      `/groups?$select=id&$orderby=displayName&$filter=${encodeURIComponent("startswith(displayName,'S')")}`,
    );

    const all = await graph("/users?$count=true&$select=id&$top=1", { headers: eventual });
    expect(all.status).toBe(200);
    expect(all.body["@odata.count"]).toBeGreaterThan(1);
    const ends = await graph(
      `/users?$count=true&$select=userPrincipalName&$filter=${encodeURIComponent("endswith(userPrincipalName,'.admin@contoso.onmicrosoft.com')")}`,
      { headers: eventual },
    );
    expect(ends.status).toBe(200);
    expect(ends.body.value).toEqual([{ userPrincipalName: "teams.admin@contoso.onmicrosoft.com" }]);
    expect(ends.body["@odata.count"]).toBe(1);
    const enabled = await graph(
      `/users?$count=true&$select=id&$filter=${encodeURIComponent("accountEnabled ne false")}`,
      { headers: eventual },
    );
    expect(enabled.status).toBe(200);
    expect(enabled.body["@odata.count"]).toBe(all.body["@odata.count"]);
  });
});

describe("users delta", () => {
  it("returns everyone first, then only what changed, with @removed", async () => {
    let next: string | undefined = "/users/delta?$select=id,displayName,accountEnabled";
    let delta: string | undefined;
    const seen = new Set<string>();
    while (next) {
      const res = await graph(next);
      for (const u of res.body.value) seen.add(u.id);
      next = res.body["@odata.nextLink"];
      delta = res.body["@odata.deltaLink"];
    }
    expect(seen.size).toBe(257);
    expect(delta).toBeTruthy();

    const nothing = await graph(delta!);
    expect(nothing.body.value).toEqual([]);

    const all = (await graph("/users?$select=id&$top=3")).body.value;
    emu.control.updateUser(tenantId, all[0].id, { displayName: "Renamed" });
    emu.control.removeUser(tenantId, all[1].id);
    const { id: added } = emu.control.addUser(tenantId, {
      userPrincipalName: "new@contoso.onmicrosoft.com",
      displayName: "New Person",
      password: "x",
    });

    const changes = await graph(delta!);
    const byId = new Map(changes.body.value.map((u: { id: string }) => [u.id, u]));
    expect(byId.size).toBe(3);
    expect(byId.get(all[0].id)).toMatchObject({ displayName: "Renamed" });
    expect(byId.get(all[1].id)).toEqual({ id: all[1].id, "@removed": { reason: "changed" } });
    expect(byId.get(added)).toMatchObject({ displayName: "New Person", accountEnabled: true });
    expect(Object.keys(byId.get(added) as object).sort()).toEqual([
      "accountEnabled",
      "displayName",
      "id",
    ]);

    const after = await graph(changes.body["@odata.deltaLink"]);
    expect(after.body.value).toEqual([]);
  });

  it("gives a deltaLink from now on with $deltatoken=latest, and expires tokens on demand", async () => {
    const latest = await graph("/users/delta?$deltatoken=latest&$select=id,displayName");
    expect(latest.status).toBe(200);
    expect(latest.body.value).toEqual([]);
    const link: string = latest.body["@odata.deltaLink"];
    expect(link).toContain("$deltatoken=");
    const { id } = emu.control.addUser(tenantId, {
      userPrincipalName: "latest@contoso.onmicrosoft.com",
      displayName: "Latest Person",
      password: "x",
    });
    const changes = await graph(link);
    expect(changes.body.value).toEqual([{ id, displayName: "Latest Person" }]);

    emu.control.expireDeltaTokens(tenantId);
    const expired = await graph(changes.body["@odata.deltaLink"]);
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe("syncStateNotFound");
    // Gone, with where to restart: a full round with the same $select.
    const restart = expired.headers.get("location") ?? "";
    expect(restart).toMatch(/\/v1\.0\/users\/delta\?/);
    expect(restart).not.toContain("$deltatoken");
    const restarted = await graph(restart);
    expect(restarted.status).toBe(200);
    expect(Object.keys(restarted.body.value[0]).sort()).toEqual(["displayName", "id"]);
    const fresh = await graph("/users/delta?$deltatoken=latest");
    expect((await graph(fresh.body["@odata.deltaLink"])).status).toBe(200);
  });

  it("ignores $top, varies page sizes under odata.maxpagesize and replays objects across pages", async () => {
    const pages: string[][] = [];
    let next: string | undefined = "/users/delta?$select=id&$top=5";
    while (next) {
      const res = await graph(next, { headers: { prefer: "odata.maxpagesize=20" } });
      expect(res.status).toBe(200);
      pages.push(res.body.value.map((u: { id: string }) => u.id));
      next = res.body["@odata.nextLink"];
    }
    const sizes = pages.map((p) => p.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(20);
    expect(Math.max(...sizes)).toBeGreaterThan(5);
    expect(new Set(sizes.slice(0, -1)).size).toBeGreaterThan(1);
    const all = pages.flat();
    expect(new Set(all).size).toBe(emu.control.tenantState(tenantId).userCount);
    expect(all.length).toBeGreaterThan(new Set(all).size);
    // The same request gives the same page (a retried page must not shift the round).
    const first = await graph("/users/delta?$select=id", {
      headers: { prefer: "odata.maxpagesize=20" },
    });
    const again = await graph(first.body["@odata.nextLink"], {
      headers: { prefer: "odata.maxpagesize=20" },
    });
    const twice = await graph(first.body["@odata.nextLink"], {
      headers: { prefer: "odata.maxpagesize=20" },
    });
    expect(twice.body).toEqual(again.body);
  });

  it("with Prefer: return=minimal gives updated users' changed properties only; never-set ones are left out", async () => {
    const select = "$select=id,displayName,surname,accountEnabled,assignedPlans";
    const link = (await graph(`/users/delta?$deltatoken=latest&${select}`)).body[
      "@odata.deltaLink"
    ] as string;
    const [someone] = (await graph("/users?$select=id&$top=1")).body.value;
    emu.control.updateUser(tenantId, someone.id, { displayName: "Minimal Renamed" });
    const { id: added } = emu.control.addUser(tenantId, {
      userPrincipalName: "mononym@contoso.onmicrosoft.com",
      displayName: "Mononym",
      password: "x",
    });
    const minimal = await graph(link, { headers: { prefer: "return=minimal" } });
    const byId = new Map(minimal.body.value.map((u: { id: string }) => [u.id, u]));
    expect(byId.get(someone.id)).toEqual({ id: someone.id, displayName: "Minimal Renamed" });
    // A new user comes whole, without the properties never set (surname).
    expect(byId.get(added)).toEqual({
      id: added,
      displayName: "Mononym",
      accountEnabled: true,
      assignedPlans: [],
    });
    const full = await graph(link);
    const renamed = full.body.value.find((u: { id: string }) => u.id === someone.id);
    expect(Object.keys(renamed).sort()).toEqual(
      expect.arrayContaining(["accountEnabled", "assignedPlans", "displayName", "id"]),
    );
    emu.control.removeUser(tenantId, added);
  });
});

describe("nested groups", () => {
  it("lists users of nested groups as transitive members, not as direct members", async () => {
    const outer = emu.control.addGroup(tenantId, "Outer");
    const inner = emu.control.addGroup(tenantId, "Inner");
    const { id: a } = emu.control.addUser(tenantId, {
      userPrincipalName: "outer.a@contoso.onmicrosoft.com",
      displayName: "Outer A",
      password: "x",
      groups: ["Outer"],
    });
    const { id: b } = emu.control.addUser(tenantId, {
      userPrincipalName: "inner.b@contoso.onmicrosoft.com",
      displayName: "Inner B",
      password: "x",
      groups: ["Inner", "Outer"],
    });
    const { id: c } = emu.control.addUser(tenantId, {
      userPrincipalName: "inner.c@contoso.onmicrosoft.com",
      displayName: "Inner C",
      password: "x",
    });
    emu.control.setGroupMember(tenantId, inner.id, c, true);
    emu.control.nestGroup(tenantId, outer.id, inner.id);
    expect(() => emu.control.nestGroup(tenantId, inner.id, outer.id)).toThrow(/cycle/);

    const ids = async (path: string, headers: Record<string, string> = {}) =>
      ((await graph(path, { headers })).body.value as { id: string }[]).map((u) => u.id).sort();
    expect(
      await ids(
        `/groups/${outer.id}/transitiveMembers/microsoft.graph.user?$select=id&$count=true`,
        {
          consistencylevel: "eventual",
        },
      ),
    ).toEqual([a, b, c].sort());
    expect(await ids(`/groups/${outer.id}/members?$select=id`)).toEqual([a, b].sort());

    emu.control.setGroupMember(tenantId, inner.id, c, false);
    expect(await ids(`/groups/${outer.id}/transitiveMembers?$select=id`)).toEqual([a, b].sort());
  });
});

describe("batch and faults", () => {
  it("answers each request of a batch independently", async () => {
    const res = await graph("/$batch", {
      method: "POST",
      body: {
        requests: [
          { id: "1", method: "GET", url: "/organization" },
          { id: "2", method: "GET", url: "/users?$top=2&$select=id" },
          { id: "3", method: "GET", url: "/groups/nope" },
        ],
      },
    });
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId["1"].status).toBe(200);
    expect(byId["2"].body.value).toHaveLength(2);
    expect(byId["3"].status).toBe(404);
    const tooMany = await graph("/$batch", {
      method: "POST",
      body: {
        requests: Array.from({ length: 21 }, (_, i) => ({
          id: String(i),
          method: "GET",
          url: "/organization",
        })),
      },
    });
    expect(tooMany.status).toBe(400);
  });

  it("injects 429 with Retry-After for the tenant, a set number of times, also inside a batch", async () => {
    emu.control.injectFault({
      path: "^/v1\\.0/users",
      tenantId,
      status: 429,
      retryAfterSeconds: 3,
      times: 2,
    });
    const first = await graph("/users?$top=1");
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("3");
    expect(first.body.error.code).toBe("TooManyRequests");
    const batch = await graph("/$batch", {
      method: "POST",
      body: { requests: [{ id: "a", method: "GET", url: "/users?$top=1" }] },
    });
    expect(batch.body.responses[0]).toMatchObject({ status: 429, headers: { "Retry-After": "3" } });
    expect((await graph("/users?$top=1")).status).toBe(200);
  });

  it("injects 503 and latency, and a fault for another tenant does not apply", async () => {
    emu.control.injectFault({
      path: "/organization",
      tenantId: "00000000-0000-0000-0000-000000000000",
      status: 503,
    });
    expect((await graph("/organization")).status).toBe(200);
    emu.control.clearFaults();
    emu.control.injectFault({ method: "GET", path: "/organization", status: 503, times: 1 });
    const res = await graph("/organization");
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("serviceNotAvailable");
    emu.control.injectFault({ path: "/organization", latencyMs: 150, times: 1 });
    const started = Date.now();
    expect((await graph("/organization")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe("control API over HTTPS", () => {
  it("seeds a tenant and reads its state", async () => {
    const res = await f(`${emu.loginUrl}/_control/tenants`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        displayName: "Northwind",
        domain: "northwind",
        users: [
          { userPrincipalName: "a@northwind.onmicrosoft.com", displayName: "A", password: "p" },
        ],
      }),
    });
    expect(res.status).toBe(201);
    const seeded = (await res.json()) as { tenantId: string };
    const view = (await (
      await f(`${emu.loginUrl}/_control/tenants/${seeded.tenantId}`)
    ).json()) as { userCount: number; domains: { id: string }[] };
    expect(view.userCount).toBe(1);
    expect(view.domains[0]?.id).toBe("northwind.onmicrosoft.com");
    expect((await f(`${emu.loginUrl}/_control/tenants/nope`)).status).toBe(404);
  });
});
