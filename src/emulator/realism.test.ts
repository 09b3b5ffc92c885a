import { CryptoProvider } from "@azure/msal-node";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, roleTemplateIds, startEmulator } from "./index.ts";
import {
  clientCredentialsGrant,
  confidentialClient,
  type Fetch,
  fetchTrusting,
  signInThroughForms,
} from "./testing.ts";

/** What the emulator does as Entra and Graph do, where a lenient fake would hide product bugs. */

const clientId = "7d1c0c44-3a0e-4f0b-8f54-0a1b2c3d4e5f";
const clientSecret = "realism-secret";
const redirectUri = "https://portal.test/cb";
const delegated = ["openid", "profile", "User.Read", "RoleManagement.Read.Directory"];

let emu: Emulator;
let f: Fetch;
let tenantId: string;

const app = (tenant: string) => confidentialClient(emu, tenant, { clientId, clientSecret });
const clientCredentials = (tenant: string) =>
  clientCredentialsGrant(f, emu.loginUrl, tenant, { clientId, clientSecret });

function authorizeUrl(tenant: string, extra: Record<string, string> = {}) {
  return `${emu.loginUrl}/${tenant}/oauth2/v2.0/authorize?${new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: delegated.join(" "),
    state: "st",
    nonce: "nn",
    ...extra,
  })}`;
}

function adminConsentUrl(tenant: string, extra: Record<string, string> = {}) {
  return `${emu.loginUrl}/${tenant}/v2.0/adminconsent?${new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: "https://graph.microsoft.com/.default",
    state: "ac",
    ...extra,
  })}`;
}

/** A delegated Graph token of a user, through the sign-in pages and msal. */
async function delegatedToken(login: string, password: string, scopes = delegated) {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const journey = await signInThroughForms(
    f,
    authorizeUrl(tenantId, {
      scope: ["openid", ...scopes].join(" "),
      code_challenge: challenge,
      code_challenge_method: "S256",
      prompt: "login",
    }),
    { login, password, consentOnBehalf: true },
  );
  const code = new URL(journey.location ?? "").searchParams.get("code") ?? "";
  const result = await app(tenantId).acquireTokenByCode({
    code,
    scopes,
    redirectUri,
    codeVerifier: verifier,
    nonce: "nn",
  });
  return result.accessToken;
}

async function graph(path: string, token: string, headers: Record<string, string> = {}) {
  const res = await f(`${emu.graphUrl}/v1.0${path}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  emu = await startEmulator();
  f = fetchTrusting(emu.caPem);
  emu.control.registerApp({
    clientId,
    clientSecret,
    redirectUris: [redirectUri],
    delegatedScopes: delegated,
    appRoles: ["Organization.Read.All", "User.Read.All", "GroupMember.Read.All"],
  });
  ({ tenantId } = emu.control.seedTenant({
    displayName: "Northwind",
    domain: "northwind",
    users: [
      {
        userPrincipalName: "ga@northwind.onmicrosoft.com",
        displayName: "GA",
        password: "pw",
        roles: ["globalAdministrator"],
        groups: ["Sales"],
      },
      {
        userPrincipalName: "pra@northwind.onmicrosoft.com",
        displayName: "PRA",
        password: "pw",
        roles: ["privilegedRoleAdministrator"],
      },
      {
        userPrincipalName: "teams@northwind.onmicrosoft.com",
        displayName: "Teams Admin",
        password: "pw",
        roles: ["teamsAdministrator"],
      },
      { userPrincipalName: "user@northwind.onmicrosoft.com", displayName: "U", password: "pw" },
    ],
  }));
});
afterAll(() => emu.stop());

describe("an admin consent takes time to take effect", () => {
  it("answers 7000229, then tokens without roles (Graph 403), then tokens with roles", async () => {
    emu.control.setPropagation({ consentMs: 1200 });
    try {
      const journey = await signInThroughForms(f, adminConsentUrl(tenantId), {
        login: "ga@northwind.onmicrosoft.com",
        password: "pw",
      });
      expect(new URL(journey.location ?? "").searchParams.get("admin_consent")).toBe("True");

      const early = await clientCredentials(tenantId);
      expect(early.status).toBe(400);
      expect(early.body).toMatchObject({ error: "invalid_client", error_codes: [7000229] });

      await new Promise((r) => setTimeout(r, 450));
      const middle = await clientCredentials(tenantId);
      expect(middle.status).toBe(200);
      const bare = middle.body.access_token as string;
      expect(decodeJwt(bare).roles).toBeUndefined();
      expect((await graph("/organization", bare)).status).toBe(403);

      await new Promise((r) => setTimeout(r, 800));
      const late = await clientCredentials(tenantId);
      const token = late.body.access_token as string;
      expect(decodeJwt(token).roles).toEqual(
        expect.arrayContaining(["Organization.Read.All", "User.Read.All", "GroupMember.Read.All"]),
      );
      expect((await graph("/organization", token)).status).toBe(200);
    } finally {
      emu.control.setPropagation({ consentMs: 0 });
    }
  });

  it("grants what the registration lists now on a second consent: the new roles take time, the old ones stay", async () => {
    // An application whose registration lists more permissions than the tenant granted once.
    const later = {
      clientId: "2b5f7e1a-9c3d-4e6f-8a1b-3c4d5e6f7a8b",
      clientSecret: "later-secret",
    };
    const before = ["Organization.Read.All", "User.Read.All"];
    const register = (appRoles: string[]) =>
      emu.control.registerApp({
        ...later,
        redirectUris: [redirectUri],
        delegatedScopes: delegated,
        appRoles,
      });
    const token = async () => {
      const res = await clientCredentialsGrant(f, emu.loginUrl, tenantId, later);
      expect(res.status).toBe(200);
      return decodeJwt(res.body.access_token as string);
    };
    const consent = async (login: string) =>
      signInThroughForms(f, adminConsentUrl(tenantId, { client_id: later.clientId }), {
        login,
        password: "pw",
      });
    register(before);
    emu.control.grantAdminConsent(tenantId, later.clientId, { longAgo: true });
    register([...before, "Domain.ReadWrite.All"]);
    // Long enough that the token right after the consent surely comes before it took effect.
    emu.control.setPropagation({ consentMs: 2000 });
    try {
      // Only an administrator who may grant application permissions can consent again.
      const teamsAdmin = await consent("teams@northwind.onmicrosoft.com");
      expect(teamsAdmin.location).toBeNull();
      expect(teamsAdmin.page).toContain("AADSTS90094");
      expect((await token()).roles).toEqual(before);

      const journey = await consent("ga@northwind.onmicrosoft.com");
      const back = new URL(journey.location ?? "");
      expect(back.searchParams.get("tenant")).toBe(tenantId);
      expect(back.searchParams.get("scope")?.split(" ")).toEqual(
        [...before, "Domain.ReadWrite.All"].map((r) => `https://graph.microsoft.com/${r}`),
      );
      expect(emu.control.tenantState(tenantId).consents[later.clientId]?.appRoles).toEqual([
        ...before,
        "Domain.ReadWrite.All",
      ]);
      // While the new grant propagates, what was granted before keeps working.
      const meanwhile = await token();
      expect(meanwhile.roles).toEqual(before);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await token()).roles).toEqual([...before, "Domain.ReadWrite.All"]);
    } finally {
      emu.control.setPropagation({ consentMs: 0 });
    }
  });

  it("issues Graph tokens in the v1.0 shape Graph uses", async () => {
    const { body } = await clientCredentials(tenantId);
    const claims = decodeJwt(body.access_token as string);
    expect(claims).toMatchObject({
      iss: `https://sts.windows.net/${tenantId}/`,
      ver: "1.0",
      appid: clientId,
      idtyp: "app",
    });
    expect(claims.azp).toBeUndefined();
  });

  it("puts a new directory role in app-only tokens only after the role assignment propagated", async () => {
    emu.control.setPropagation({ roleAssignmentMs: 600 });
    try {
      const token = (await clientCredentials(tenantId)).body.access_token as string;
      const ga = await delegatedToken("ga@northwind.onmicrosoft.com", "pw", [
        "RoleManagement.ReadWrite.Directory",
      ]);
      const sp = emu.control.tenantState(tenantId).servicePrincipals[0]!;
      const res = await f(`${emu.graphUrl}/v1.0/roleManagement/directory/roleAssignments`, {
        method: "POST",
        headers: { authorization: `Bearer ${ga}`, "content-type": "application/json" },
        body: JSON.stringify({
          principalId: sp.id,
          roleDefinitionId: roleTemplateIds.teamsAdministrator,
          directoryScopeId: "/",
        }),
      });
      expect(res.status).toBe(201);
      expect(decodeJwt(token).wids).toBeUndefined();
      const soon = (await clientCredentials(tenantId)).body.access_token as string;
      expect(decodeJwt(soon).wids).toBeUndefined();
      await new Promise((r) => setTimeout(r, 700));
      const later = (await clientCredentials(tenantId)).body.access_token as string;
      expect(decodeJwt(later).wids).toEqual([roleTemplateIds.teamsAdministrator]);
    } finally {
      emu.control.setPropagation({ roleAssignmentMs: 0 });
    }
  });
});

describe("sign-in and consent as Entra answers them", () => {
  it("lets a Privileged Role Administrator grant tenant-wide consent", async () => {
    const journey = await signInThroughForms(f, adminConsentUrl(tenantId, { state: "pra" }), {
      login: "pra@northwind.onmicrosoft.com",
      password: "pw",
    });
    const back = new URL(journey.location ?? "");
    expect(back.searchParams.get("admin_consent")).toBe("True");
    expect(back.searchParams.get("error")).toBeNull();
  });

  it("marks an admin-consent cancel with admin_consent=True and an error", async () => {
    const journey = await signInThroughForms(f, adminConsentUrl(tenantId, { state: "c" }), {
      login: "ga@northwind.onmicrosoft.com",
      password: "pw",
      decision: "cancel",
    });
    const back = new URL(journey.location ?? "");
    expect(back.searchParams.get("admin_consent")).toBe("True");
    expect(back.searchParams.get("error")).toBe("access_denied");
  });

  it("answers prompt=none without a session with login_required (AADSTS50058)", async () => {
    const res = await f(authorizeUrl(tenantId, { prompt: "none" }), { redirect: "manual" });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get("location") ?? "");
    expect(back.searchParams.get("error")).toBe("login_required");
    expect(back.searchParams.get("error_description")).toMatch(/^AADSTS50058/);
  });

  it("refuses an unknown code_challenge_method with AADSTS501491", async () => {
    const res = await f(
      authorizeUrl(tenantId, { code_challenge: "x".repeat(43), code_challenge_method: "S512" }),
      { redirect: "manual" },
    );
    const back = new URL(res.headers.get("location") ?? "");
    expect(back.searchParams.get("error_description")).toMatch(/^AADSTS501491/);
  });

  it("refuses client credentials at /common with AADSTS9001023", async () => {
    const res = await clientCredentials("common");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error_codes: [9001023] });
  });

  it("treats RoleManagement.Read.Directory as admin-only: a plain user needs approval", async () => {
    const other = emu.control.seedTenant({
      displayName: "Contoso",
      domain: "contoso",
      users: [
        { userPrincipalName: "user@contoso.onmicrosoft.com", displayName: "U", password: "pw" },
      ],
    });
    const journey = await signInThroughForms(
      f,
      authorizeUrl(other.tenantId, {
        prompt: "login",
        scope: "openid RoleManagement.Read.Directory",
      }),
      { login: "user@contoso.onmicrosoft.com", password: "pw" },
    );
    expect(journey.location).toBeNull();
    expect(journey.page).toContain("AADSTS90094");
  });
});

describe("the signed-in user's directory roles through Graph", () => {
  it("gives role template ids with RoleManagement.Read.Directory, only ids without it", async () => {
    const full = await delegatedToken("teams@northwind.onmicrosoft.com", "pw");
    const page = await graph("/me/transitiveMemberOf?$select=id,roleTemplateId", full);
    expect(page.status).toBe(200);
    expect(page.body.value).toEqual([
      expect.objectContaining({
        "@odata.type": "#microsoft.graph.directoryRole",
        roleTemplateId: roleTemplateIds.teamsAdministrator,
      }),
    ]);

    const basic = await delegatedToken("ga@northwind.onmicrosoft.com", "pw", ["User.Read"]);
    const limited = await graph("/me/transitiveMemberOf?$select=id,roleTemplateId", basic);
    const values = limited.body.value as Record<string, unknown>[];
    expect(values.map((v) => v["@odata.type"]).sort()).toEqual([
      "#microsoft.graph.directoryRole",
      "#microsoft.graph.group",
    ]);
    for (const v of values) expect(v.roleTemplateId ?? null).toBeNull();
  });

  it("needs ConsistencyLevel: eventual and $count=true for an OData cast", async () => {
    const token = await delegatedToken("ga@northwind.onmicrosoft.com", "pw");
    const plain = await graph("/me/transitiveMemberOf/microsoft.graph.directoryRole", token);
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ error: { code: "Request_UnsupportedQuery" } });
    const advanced = await graph(
      "/me/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=roleTemplateId",
      token,
      { ConsistencyLevel: "eventual" },
    );
    expect(advanced.status).toBe(200);
    expect(advanced.body).toMatchObject({
      "@odata.count": 1,
      value: [{ roleTemplateId: roleTemplateIds.globalAdministrator }],
    });
  });

  it("is for signed-in users only", async () => {
    const { body } = await clientCredentials(tenantId);
    const res = await graph("/me/transitiveMemberOf", body.access_token as string);
    expect(res.status).toBe(400);
  });
});
