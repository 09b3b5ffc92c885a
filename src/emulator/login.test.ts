import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfidentialClientApplication, CryptoProvider } from "@azure/msal-node";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, roleTemplateIds, startEmulator } from "./index.ts";
import {
  clientCredentialsGrant,
  confidentialClient,
  type Fetch,
  fetchTrusting,
  msalNetworkClient,
  signInThroughForms,
} from "./testing.ts";
import { loadOrCreateTls } from "./tls.ts";

const clientId = "5a8c7f0e-1b2d-4c3e-9f40-123456789abc";
const clientSecret = "emulator-test-secret";
const redirectUri = "https://portal.test/auth/microsoft/callback";
const delegated = ["openid", "profile", "email", "offline_access", "User.Read"];

let emu: Emulator;
let f: Fetch;
let tenantId: string;
let personalTenantId: string;

function msal(authorityTenant: string, secret = clientSecret) {
  return confidentialClient(emu, authorityTenant, { clientId, clientSecret: secret });
}

async function authorizeUrl(
  tenant: string,
  extra: { state?: string; nonce?: string; challenge?: string; prompt?: string } = {},
) {
  const url = new URL(`${emu.loginUrl}/${tenant}/oauth2/v2.0/authorize`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: delegated.join(" "),
    response_mode: "query",
    state: extra.state ?? "st-1",
    nonce: extra.nonce ?? "n-1",
    ...(extra.challenge ? { code_challenge: extra.challenge, code_challenge_method: "S256" } : {}),
    ...(extra.prompt ? { prompt: extra.prompt } : {}),
  }).toString();
  return url.toString();
}

function adminConsentUrl(tenant: string, state = "ac-1") {
  const url = new URL(`${emu.loginUrl}/${tenant}/v2.0/adminconsent`);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: "https://graph.microsoft.com/.default",
    state,
  }).toString();
  return url.toString();
}

/** The test's application as registered in Entra; a few tests vary a setting, then restore it. */
function registerTestApp(
  settings: Pick<
    Parameters<Emulator["control"]["registerApp"]>[0],
    "groupMembershipClaims" | "signInAudience"
  > = {},
) {
  emu.control.registerApp({
    clientId,
    clientSecret,
    redirectUris: [redirectUri],
    displayName: "Teamgate test",
    delegatedScopes: delegated,
    appRoles: ["Organization.Read.All", "User.Read.All", "Group.Read.All"],
    ...settings,
  });
}

beforeAll(async () => {
  emu = await startEmulator();
  f = fetchTrusting(emu.caPem);
  registerTestApp();
  ({ tenantId } = emu.control.seedTenant({
    displayName: "Fabrikam",
    domain: "fabrikam",
    users: [
      {
        userPrincipalName: "admin@fabrikam.onmicrosoft.com",
        displayName: "Fab Admin",
        password: "pw-admin",
        roles: ["globalAdministrator"],
      },
      {
        userPrincipalName: "teams@fabrikam.onmicrosoft.com",
        displayName: "Teams Admin",
        password: "pw-teams",
        roles: ["teamsAdministrator"],
      },
      {
        userPrincipalName: "user@fabrikam.onmicrosoft.com",
        displayName: "Plain User",
        password: "pw-user",
      },
    ],
  }));
  ({ tenantId: personalTenantId } = emu.control.seedTenant({
    displayName: "Personal",
    domain: "outlook.com",
    isPersonal: true,
    users: [
      { userPrincipalName: "someone@outlook.com", displayName: "Some One", password: "pw-msa" },
    ],
  }));
});
afterAll(() => emu.stop());

describe("discovery and keys", () => {
  it("serves per-tenant OpenID configuration with the issuer on the same origin", async () => {
    const res = await f(`${emu.loginUrl}/${tenantId}/v2.0/.well-known/openid-configuration`);
    const doc = (await res.json()) as Record<string, string>;
    expect(doc.issuer).toBe(`${emu.loginUrl}/${tenantId}/v2.0`);
    expect(doc.token_endpoint).toBe(`${emu.loginUrl}/${tenantId}/oauth2/v2.0/token`);
    const org = (await await f(
      `${emu.loginUrl}/organizations/v2.0/.well-known/openid-configuration`,
    ).then((r) => r.json())) as Record<string, string>;
    expect(org.issuer).toBe(`${emu.loginUrl}/{tenantid}/v2.0`);
    expect(org.authorization_endpoint).toBe(`${emu.loginUrl}/organizations/oauth2/v2.0/authorize`);
    const keys = (await (await f(doc.jwks_uri ?? "")).json()) as {
      keys: { kid: string; kty: string }[];
    };
    expect(keys.keys[0]).toMatchObject({ kty: "RSA" });
  });

  it("answers an unknown tenant with an Entra error", async () => {
    const res = await f(
      `${emu.loginUrl}/00000000-0000-0000-0000-000000000001/v2.0/.well-known/openid-configuration`,
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: string;
      error_codes: number[];
      error_description: string;
    };
    expect(body.error_codes).toEqual([90002]);
    expect(body.error_description).toMatch(/^AADSTS90002: /);
  });
});

describe("client credentials", () => {
  it("is refused before admin consent, then carries only the consented roles", async () => {
    const app = msal(tenantId);
    const scopes = ["https://graph.microsoft.com/.default"];
    await expect(app.acquireTokenByClientCredential({ scopes })).rejects.toMatchObject({
      errorCode: "invalid_client",
      errorMessage: expect.stringContaining("AADSTS7000229"),
    });

    const journey = await signInThroughForms(f, adminConsentUrl(tenantId), {
      login: "admin@fabrikam.onmicrosoft.com",
      password: "pw-admin",
    });
    const back = new URL(journey.location ?? "");
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get("admin_consent")).toBe("True");
    expect(back.searchParams.get("tenant")).toBe(tenantId);
    expect(back.searchParams.get("state")).toBe("ac-1");
    expect(emu.control.tenantState(tenantId).consents[clientId]).toMatchObject({
      adminConsented: true,
    });

    const result = await msal(tenantId).acquireTokenByClientCredential({ scopes });
    const claims = decodeJwt(result?.accessToken ?? "");
    expect(claims).toMatchObject({
      tid: tenantId,
      aud: "https://graph.microsoft.com",
      idtyp: "app",
    });
    expect((claims.roles as string[]).sort()).toEqual([
      "Group.Read.All",
      "Organization.Read.All",
      "User.Read.All",
    ]);
  });

  it("refuses a wrong secret (AADSTS7000215) and the organizations authority (AADSTS50059)", async () => {
    const scopes = ["https://graph.microsoft.com/.default"];
    await expect(
      msal(tenantId, "wrong").acquireTokenByClientCredential({ scopes }),
    ).rejects.toMatchObject({
      errorMessage: expect.stringContaining("AADSTS7000215"),
    });
    const { status, body } = await clientCredentialsGrant(f, emu.loginUrl, "organizations", {
      clientId,
      clientSecret,
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: "invalid_request", error_codes: [50059] });
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(["timestamp", "trace_id", "correlation_id"]),
    );
  });
});

describe("certificate credentials", () => {
  it("accepts a client assertion signed with a registered certificate, after admin consent", async () => {
    const { cert, key } = await loadOrCreateTls(mkdtempSync(join(tmpdir(), "emulator-cred-")));
    const certClientId = "9d0c1b2a-3e4f-4a5b-8c6d-7e8f90a1b2c3";
    emu.control.registerApp({
      clientId: certClientId,
      clientSecret: "unused",
      redirectUris: [redirectUri],
      certificates: [cert],
    });
    const url = new URL(`${emu.loginUrl}/${tenantId}/v2.0/adminconsent`);
    url.search = new URLSearchParams({
      client_id: certClientId,
      redirect_uri: redirectUri,
      state: "c",
    }).toString();
    const journey = await signInThroughForms(f, url.toString(), {
      login: "admin@fabrikam.onmicrosoft.com",
      password: "pw-admin",
    });
    expect(journey.location).toContain("admin_consent=True");

    const thumbprintSha256 = createHash("sha256")
      .update(new X509Certificate(cert).raw)
      .digest("hex");
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: certClientId,
        clientCertificate: { thumbprintSha256, privateKey: key },
        authority: `${emu.loginUrl}/${tenantId}`,
        knownAuthorities: [new URL(emu.loginUrl).host],
      },
      system: { networkClient: msalNetworkClient(emu.caPem) },
    });
    const result = await app.acquireTokenByClientCredential({
      scopes: ["https://graph.microsoft.com/.default"],
    });
    expect(decodeJwt(result?.accessToken ?? "")).toMatchObject({
      appid: certClientId,
      idtyp: "app",
    });
  });
});

describe("authorization code with PKCE", () => {
  it("signs a Global Administrator in, grants tenant-wide consent, and returns id-token claims", async () => {
    const crypto = new CryptoProvider();
    const { verifier, challenge } = await crypto.generatePkceCodes();
    const url = await authorizeUrl("organizations", {
      challenge,
      state: "s-42",
      nonce: "nonce-42",
      prompt: "consent",
    });
    const journey = await signInThroughForms(f, url, {
      login: "admin@fabrikam.onmicrosoft.com",
      password: "pw-admin",
      consentOnBehalf: true,
    });
    const back = new URL(journey.location ?? "");
    expect(back.searchParams.get("state")).toBe("s-42");
    const code = back.searchParams.get("code") ?? "";
    expect(code).not.toBe("");

    const app = msal("organizations");
    const result = await app.acquireTokenByCode({
      code,
      scopes: delegated,
      redirectUri,
      codeVerifier: verifier,
      nonce: "nonce-42",
    });
    const id = result.idTokenClaims as Record<string, unknown>;
    expect(id).toMatchObject({
      tid: tenantId,
      nonce: "nonce-42",
      preferred_username: "admin@fabrikam.onmicrosoft.com",
      iss: `${emu.loginUrl}/${tenantId}/v2.0`,
      aud: clientId,
      ver: "2.0",
    });
    // The app's manifest asks for no directory roles (Entra's default): no `wids`.
    expect(id.wids).toBeUndefined();
    expect(result.account?.homeAccountId).toBe(`${id.oid}.${tenantId}`);
    expect(emu.control.tenantState(tenantId).consents[clientId]?.delegatedScopes).toContain(
      "User.Read",
    );

    // The code is single-use.
    await expect(
      app.acquireTokenByCode({
        code,
        scopes: delegated,
        redirectUri,
        codeVerifier: verifier,
        nonce: "nonce-42",
      }),
    ).rejects.toMatchObject({
      errorMessage: expect.stringContaining("AADSTS54005"),
    });

    // The refresh token works through msal's silent flow.
    const silent = await app.acquireTokenSilent({
      account: result.account!,
      scopes: ["User.Read"],
      forceRefresh: true,
    });
    expect(decodeJwt(silent.accessToken).scp).toBe("User.Read");

    // The emulator's session cookie skips the sign-in page the second time; consent is remembered.
    const again = await signInThroughForms(f, await authorizeUrl(tenantId, { challenge }), {
      login: "",
      password: "",
      cookie: journey.cookie,
    });
    expect(new URL(again.location ?? "").searchParams.get("code")).toBeTruthy();
  });

  it("refuses a wrong PKCE verifier and a wrong redirect URI", async () => {
    const crypto = new CryptoProvider();
    const { challenge } = await crypto.generatePkceCodes();
    const journey = await signInThroughForms(
      f,
      await authorizeUrl(tenantId, { challenge, prompt: "login" }),
      {
        login: "teams@fabrikam.onmicrosoft.com",
        password: "pw-teams",
      },
    );
    const code = new URL(journey.location ?? "").searchParams.get("code") ?? "";
    const app = msal(tenantId);
    await expect(
      app.acquireTokenByCode({
        code,
        scopes: delegated,
        redirectUri,
        codeVerifier: "x".repeat(43),
        nonce: "n-1",
      }),
    ).rejects.toMatchObject({ errorMessage: expect.stringContaining("AADSTS501481") });
    const res = await f(`${emu.loginUrl}/${tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: clientId,
        client_secret: clientSecret,
        code,
        redirect_uri: "https://elsewhere.test/cb",
        scope: delegated.join(" "),
      }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant", error_codes: [50011] });
  });

  it("gives a Teams Administrator wids with the Teams Administrator role only, when the manifest asks for directory roles", async () => {
    registerTestApp({ groupMembershipClaims: "DirectoryRole" });
    const crypto = new CryptoProvider();
    const { verifier, challenge } = await crypto.generatePkceCodes();
    const journey = await signInThroughForms(
      f,
      await authorizeUrl(tenantId, { challenge, prompt: "login" }),
      {
        login: "teams@fabrikam.onmicrosoft.com",
        password: "pw-teams",
      },
    );
    const code = new URL(journey.location ?? "").searchParams.get("code") ?? "";
    const result = await msal(tenantId).acquireTokenByCode({
      code,
      scopes: delegated,
      redirectUri,
      codeVerifier: verifier,
      nonce: "n-1",
    });
    const wids = (result.idTokenClaims as { wids: string[] }).wids;
    expect(wids).toContain(roleTemplateIds.teamsAdministrator);
    expect(wids).not.toContain(roleTemplateIds.globalAdministrator);
    registerTestApp();
  });

  it("shows the sign-in page again on a wrong password", async () => {
    const journey = await signInThroughForms(f, await authorizeUrl(tenantId, { prompt: "login" }), {
      login: "admin@fabrikam.onmicrosoft.com",
      password: "nope",
    });
    expect(journey.page).toContain("AADSTS50126");
  });

  it("returns access_denied with AADSTS65004 when the user cancels", async () => {
    const journey = await signInThroughForms(f, await authorizeUrl(tenantId, { prompt: "login" }), {
      login: "user@fabrikam.onmicrosoft.com",
      password: "pw-user",
      decision: "cancel",
    });
    // The tenant already consented for everyone, so a plain user with prompt=login goes straight back.
    const back = new URL(journey.location ?? "");
    expect(back.searchParams.get("code") ?? back.searchParams.get("error")).toBeTruthy();
    const withPrompt = await signInThroughForms(
      f,
      await authorizeUrl(tenantId, { prompt: "consent" }),
      {
        login: "user@fabrikam.onmicrosoft.com",
        password: "pw-user",
        decision: "cancel",
      },
    );
    const denied = new URL(withPrompt.location ?? "");
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("error_description")).toMatch(/^AADSTS65004/);
  });
});

describe("tenant-wide consent needs a Global Administrator", () => {
  it("hides the checkbox from others and refuses it when posted anyway", async () => {
    const url = await authorizeUrl(tenantId, { prompt: "consent" });
    const page = await signInThroughForms(f, url, {
      login: "user@fabrikam.onmicrosoft.com",
      password: "pw-user",
      decision: "accept",
      consentOnBehalf: true,
    });
    expect(page.status).toBe(403);
    expect(page.page).toContain("AADSTS90094");
  });

  it("refuses the admin-consent endpoint to a non-administrator", async () => {
    const journey = await signInThroughForms(f, adminConsentUrl(tenantId), {
      login: "teams@fabrikam.onmicrosoft.com",
      password: "pw-teams",
    });
    expect(journey.location).toBeNull();
    expect(journey.page).toContain("AADSTS90094");
    expect(journey.page).toContain("error=access_denied");
  });

  it("stops a personal account at /common for a work-or-school app (AADSTS50020, no redirect)", async () => {
    const { challenge } = await new CryptoProvider().generatePkceCodes();
    const journey = await signInThroughForms(f, await authorizeUrl("common", { challenge }), {
      login: "someone@outlook.com",
      password: "pw-msa",
    });
    expect(journey.location).toBeNull();
    expect(journey.page).toContain("AADSTS50020");
  });

  it("signs a personal account in (an app open to personal accounts) but refuses its admin consent", async () => {
    registerTestApp({ signInAudience: "AzureADandPersonalMicrosoftAccount" });
    const { challenge } = await new CryptoProvider().generatePkceCodes();
    const signIn = await signInThroughForms(f, await authorizeUrl("common", { challenge }), {
      login: "someone@outlook.com",
      password: "pw-msa",
    });
    expect(new URL(signIn.location ?? "").searchParams.get("code")).toBeTruthy();
    expect(signIn.cookie).toBeTruthy();

    const consent = await signInThroughForms(f, adminConsentUrl("common"), {
      login: "someone@outlook.com",
      password: "pw-msa",
    });
    const back = new URL(consent.location ?? "");
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("error_description")).toMatch(/^AADSTS500200/);
    expect(back.searchParams.get("admin_consent")).toBe("True");
    expect(
      emu.control.tenantState(personalTenantId).consents[clientId]?.adminConsented ?? false,
    ).toBe(false);
    registerTestApp();
  });

  it("keeps a work account out of the organizations authority only when it is personal", async () => {
    const journey = await signInThroughForms(f, await authorizeUrl("organizations"), {
      login: "someone@outlook.com",
      password: "pw-msa",
    });
    expect(journey.page).toContain("AADSTS500200");
  });
});

describe("faults on the login origin", () => {
  it("answers 429 with Retry-After in Entra's format, then recovers", async () => {
    emu.control.injectFault({
      path: "/oauth2/v2\\.0/token$",
      tenantId,
      status: 429,
      retryAfterSeconds: 7,
      times: 1,
    });
    const res = await f(`${emu.loginUrl}/${tenantId}/oauth2/v2.0/token`, { method: "POST" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(((await res.json()) as { error_description: string }).error_description).toMatch(
      /^AADSTS/,
    );
    const after = await f(`${emu.loginUrl}/${tenantId}/oauth2/v2.0/token`, { method: "POST" });
    expect(after.status).toBe(400);
  });
});
