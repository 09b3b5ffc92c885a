import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, skus, startEmulator } from "./index.ts";
import { clientCredentialsGrant, type Fetch, fetchTrusting, requestJson } from "./testing.ts";

/** Graph's user administration as the activation user of a derived trunk needs it. */

const writer = { clientId: "5d1e0c44-3a0e-4f0b-8f54-0a1b2c3d4e51", clientSecret: "writer-secret" };
const licenser = { clientId: "5d1e0c44-3a0e-4f0b-8f54-0a1b2c3d4e52", clientSecret: "lic-secret" };
const reader = { clientId: "5d1e0c44-3a0e-4f0b-8f54-0a1b2c3d4e53", clientSecret: "reader-secret" };

let emu: Emulator;
let f: Fetch;
let tenantId: string;
const tokens: Record<string, string> = {};

const graph = (path: string, init: { method?: string; body?: unknown; token: string }) =>
  requestJson(f, `${emu.graphUrl}/v1.0${path}`, init);

const newUser = (upn: string, extra: Record<string, unknown> = {}) => ({
  accountEnabled: true,
  displayName: "Direct Routing activation",
  mailNickname: upn.split("@")[0],
  userPrincipalName: upn,
  passwordProfile: { forceChangePasswordNextSignIn: false, password: "Activ8-Only!x" },
  ...extra,
});

beforeAll(async () => {
  emu = await startEmulator();
  f = fetchTrusting(emu.caPem);
  const redirectUris = ["https://portal.test/cb"];
  emu.control.registerApp({
    ...writer,
    redirectUris,
    appRoles: ["User.ReadWrite.All", "Domain.ReadWrite.All"],
  });
  emu.control.registerApp({
    ...licenser,
    redirectUris,
    appRoles: ["LicenseAssignment.ReadWrite.All", "User.Read.All"],
  });
  emu.control.registerApp({ ...reader, redirectUris, appRoles: ["User.Read.All"] });
  ({ tenantId } = emu.control.seedTenant({
    displayName: "Woodgrove",
    domain: "woodgrove",
    users: [
      {
        userPrincipalName: "admin@woodgrove.onmicrosoft.com",
        displayName: "Admin",
        password: "pw",
        roles: ["globalAdministrator"],
        licenses: ["teams"],
      },
    ],
  }));
  for (const [name, app] of Object.entries({ writer, licenser, reader })) {
    emu.control.grantAdminConsent(tenantId, app.clientId, { longAgo: true });
    tokens[name] = (await clientCredentialsGrant(f, emu.loginUrl, tenantId, app)).body
      .access_token as string;
  }
});
afterAll(() => emu.stop());

describe("POST /users", () => {
  it("creates a user on a verified domain (User.ReadWrite.All) and answers 201 with it", async () => {
    const res = await graph("/users", {
      method: "POST",
      token: tokens.writer!,
      body: newUser("create1@woodgrove.onmicrosoft.com", { usageLocation: "US" }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      userPrincipalName: "create1@woodgrove.onmicrosoft.com",
      displayName: "Direct Routing activation",
    });
    const read = await graph(`/users/${res.body.id}?$select=id,usageLocation,accountEnabled`, {
      token: tokens.reader!,
    });
    expect(read.body).toMatchObject({ usageLocation: "US", accountEnabled: true });
  });

  it("refuses callers without User.ReadWrite.All (403)", async () => {
    for (const token of [tokens.reader!, tokens.licenser!]) {
      const res = await graph("/users", {
        method: "POST",
        token,
        body: newUser("nope@woodgrove.onmicrosoft.com"),
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("Authorization_RequestDenied");
    }
  });

  it("answers 400 for each missing required property", async () => {
    for (const property of [
      "accountEnabled",
      "displayName",
      "mailNickname",
      "passwordProfile",
      "userPrincipalName",
    ]) {
      const body: Record<string, unknown> = newUser("missing@woodgrove.onmicrosoft.com");
      delete body[property];
      const res = await graph("/users", { method: "POST", token: tokens.writer!, body });
      expect(res.status, property).toBe(400);
      expect(res.body.error).toMatchObject({
        code: "Request_BadRequest",
        message: `Invalid value specified for property '${property}' of resource 'User'.`,
      });
    }
  });

  it("refuses a UPN on a domain the tenant has not verified", async () => {
    for (const upn of ["x@unknown.example.net", "x@woodgrove.com"]) {
      const res = await graph("/users", {
        method: "POST",
        token: tokens.writer!,
        body: newUser(upn),
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/domain portion of the userPrincipalName/);
    }
  });

  it("refuses a duplicate UPN (any case) and a weak password", async () => {
    const duplicate = await graph("/users", {
      method: "POST",
      token: tokens.writer!,
      body: newUser("ADMIN@woodgrove.onmicrosoft.com"),
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.message).toBe(
      "Another object with the same value for property userPrincipalName already exists.",
    );
    const weak = await graph("/users", {
      method: "POST",
      token: tokens.writer!,
      body: {
        ...newUser("weak@woodgrove.onmicrosoft.com"),
        passwordProfile: { password: "password" },
      },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.message).toMatch(/password complexity/);
  });
});

describe("POST /users/{id}/assignLicense", () => {
  it("needs a usage location, then assigns a subscribed SKU and reports its plans", async () => {
    const created = await graph("/users", {
      method: "POST",
      token: tokens.writer!,
      body: newUser("lic1@woodgrove.onmicrosoft.com"),
    });
    const id = created.body.id as string;
    const add = {
      addLicenses: [{ skuId: skus.teams.skuId, disabledPlans: [] }],
      removeLicenses: [],
    };
    const noLocation = await graph(`/users/${id}/assignLicense`, {
      method: "POST",
      token: tokens.licenser!,
      body: add,
    });
    expect(noLocation.status).toBe(400);
    expect(noLocation.body.error.message).toBe(
      "License assignment cannot be done for user with invalid usage location.",
    );

    emu.control.updateUser(tenantId, id, { usageLocation: "NL" });
    const assigned = await graph(`/users/${id}/assignLicense`, {
      method: "POST",
      token: tokens.licenser!,
      body: add,
    });
    expect(assigned.status).toBe(200);
    const read = await graph(`/users/${id}?$select=assignedLicenses,assignedPlans`, {
      token: tokens.reader!,
    });
    expect(read.body.assignedLicenses).toEqual([{ skuId: skus.teams.skuId, disabledPlans: [] }]);
    expect(read.body.assignedPlans.map((p: any) => p.servicePlanId)).toContain(
      "57ff2da0-773e-42df-b2af-ffb7a2317929",
    );
  });

  it("accepts User.ReadWrite.All too, and refuses User.Read.All", async () => {
    const created = await graph("/users", {
      method: "POST",
      token: tokens.writer!,
      body: newUser("lic2@woodgrove.onmicrosoft.com", { usageLocation: "US" }),
    });
    const body = { addLicenses: [{ skuId: skus.teamsPhone.skuId }], removeLicenses: [] };
    const refused = await graph(`/users/${created.body.id}/assignLicense`, {
      method: "POST",
      token: tokens.reader!,
      body,
    });
    expect(refused.status).toBe(403);
    const ok = await graph(`/users/${created.body.id}/assignLicense`, {
      method: "POST",
      token: tokens.writer!,
      body,
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a SKU the tenant does not subscribe to, one without free units, and removing one not held", async () => {
    const created = await graph("/users", {
      method: "POST",
      token: tokens.writer!,
      body: newUser("lic3@woodgrove.onmicrosoft.com", { usageLocation: "US" }),
    });
    const id = created.body.id as string;
    const assign = (body: unknown) =>
      graph(`/users/${id}/assignLicense`, { method: "POST", token: tokens.licenser!, body });

    const foreign = await assign({
      addLicenses: [{ skuId: skus.office365E3Dod.skuId }],
      removeLicenses: [],
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toBe(
      `License ${skus.office365E3Dod.skuId} does not correspond to a valid company License.`,
    );

    emu.control.setSkuUnits(tenantId, "teamsPhone", 1);
    const full = await assign({
      addLicenses: [{ skuId: skus.teamsPhone.skuId }],
      removeLicenses: [],
    });
    expect(full.status).toBe(400);
    expect(full.body.error.message).toBe(
      `Subscription with SKU ${skus.teamsPhone.skuId} does not have any available licenses.`,
    );
    emu.control.setSkuUnits(tenantId, "teamsPhone", 100);

    const notHeld = await assign({ addLicenses: [], removeLicenses: [skus.teams.skuId] });
    expect(notHeld.status).toBe(400);

    const missing = await assign({ addLicenses: [] });
    expect(missing.status).toBe(400);
  });
});

describe("DELETE /users/{id}", () => {
  it("deletes a user (204), then it is gone (404)", async () => {
    const created = await graph("/users", {
      method: "POST",
      token: tokens.writer!,
      body: newUser("gone@woodgrove.onmicrosoft.com"),
    });
    const refused = await graph(`/users/${created.body.id}`, {
      method: "DELETE",
      token: tokens.licenser!,
    });
    expect(refused.status).toBe(403);
    const deleted = await graph(`/users/${created.body.id}`, {
      method: "DELETE",
      token: tokens.writer!,
    });
    expect(deleted.status).toBe(204);
    expect((await graph(`/users/${created.body.id}`, { token: tokens.reader! })).status).toBe(404);
    expect(
      (await graph(`/users/${created.body.id}`, { method: "DELETE", token: tokens.writer! }))
        .status,
    ).toBe(404);
  });

  it("refuses to delete an administrator with an app-only token", async () => {
    const res = await graph("/users/admin@woodgrove.onmicrosoft.com", {
      method: "DELETE",
      token: tokens.writer!,
    });
    expect(res.status).toBe(403);
  });
});

describe("DELETE /domains/{id}", () => {
  it("deletes an added domain (204, then 404); refuses the initial domain", async () => {
    const name = "spare.woodgrove.example";
    expect(
      (await graph("/domains", { method: "POST", token: tokens.writer!, body: { id: name } }))
        .status,
    ).toBe(201);
    expect(
      (await graph(`/domains/${name}`, { method: "DELETE", token: tokens.reader! })).status,
    ).toBe(403);
    expect(
      (await graph(`/domains/${name}`, { method: "DELETE", token: tokens.writer! })).status,
    ).toBe(204);
    expect(
      (await graph(`/domains/${name}`, { method: "DELETE", token: tokens.writer! })).status,
    ).toBe(404);
    expect(
      (
        await graph("/domains/woodgrove.onmicrosoft.com", {
          method: "DELETE",
          token: tokens.writer!,
        })
      ).status,
    ).toBe(400);
  });
});
