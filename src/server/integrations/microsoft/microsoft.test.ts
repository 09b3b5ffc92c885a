/**
 * The Microsoft integration against the emulator over real HTTPS: msal-node, our transport and
 * trust store, the emulator's sign-in and consent forms. Nothing is mocked; the transport is only
 * wrapped to count the requests that reach Graph.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index.ts";
import { parseEnv } from "../../env.ts";
import type { AppError } from "../../lib/errors.ts";
import type { MicrosoftConfig } from "./config.ts";
import { microsoftConfigFromEnv, signInScopes } from "./config.ts";
import { createGraphClient } from "./graph.ts";
import { createHttpTransport, type HttpTransport } from "./http.ts";
import { createIdTokenVerifier, PERSONAL_ACCOUNT_TENANT_ID } from "./id-token.ts";
import { FormBrowser } from "./microsoft.test-support.ts";
import { createMicrosoftAuth, pkceChallenge } from "./msal.ts";
import {
  createMicrosoft,
  type DirectoryUser,
  isRejectedDeltaLink,
  type Microsoft,
  type UsersDeltaOrigin,
  type UsersDeltaPage,
} from "./port.ts";

const GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10";
const APP = "https://teamgate.test";
const SIGN_IN_REDIRECT = `${APP}/api/v1/microsoft/callback`;
const CONSENT_REDIRECT = `${APP}/api/v1/microsoft/admin-consent/callback`;
const DELEGATED = [...signInScopes];
const retry = { maxAttempts: 4, baseDelayMs: 40, maxDelayMs: 200, maxTotalMs: 10_000 };

let emulator: Emulator;
let dataDir: string;
let microsoft: Microsoft;
let config: MicrosoftConfig;
let tenantId: string;
let groupIds: Record<string, string>;
const clientId = randomUUID();
/** Method and path of every request that reached the Graph origin. */
const graphRequests: string[] = [];
const password = "Passw0rd!emulator";

async function caught(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    return e as AppError;
  }
  throw new Error("expected a failure");
}

const random = () => randomBytes(24).toString("base64url");

/** Round 1 as a browser does it: sign-in page, consent page, back to our redirect URI. */
async function signIn(
  login: string,
  options: {
    onBehalf?: boolean;
    nonce?: string;
    codeVerifier?: string;
    scopes?: readonly string[];
  } = {},
) {
  const state = random();
  const nonce = options.nonce ?? random();
  const codeVerifier = options.codeVerifier ?? random();
  const url = await microsoft.buildSignInUrl({
    state,
    nonce,
    codeVerifier,
    redirectUri: SIGN_IN_REDIRECT,
    scopes: options.scopes ?? DELEGATED,
    prompt: "consent",
  });
  const browser = new FormBrowser(emulator.caPem, [APP]);
  try {
    expect(await browser.open(url)).toBeNull();
    expect(browser.has('name="passwd"')).toBe(true);
    let landed = await browser.submit({ login, passwd: password });
    if (!landed) {
      expect(browser.has('name="accept"')).toBe(true);
      landed = await browser.submit({
        accept: "1",
        ...(options.onBehalf ? { consent_on_behalf: "1" } : {}),
      });
    }
    if (!landed) throw new Error(`no redirect after consent:\n${browser.html.slice(0, 2000)}`);
    expect(landed.searchParams.get("state")).toBe(state);
    return { url, state, nonce, codeVerifier, code: landed.searchParams.get("code") ?? "" };
  } finally {
    await browser.close();
  }
}

/** Round 2: the administrator accepts the application permissions. */
async function grantAdminConsent(tenant: string, login: string) {
  const state = random();
  const url = microsoft.buildAdminConsentUrl({
    tenantId: tenant,
    redirectUri: CONSENT_REDIRECT,
    state,
  });
  const browser = new FormBrowser(emulator.caPem, [APP]);
  try {
    let landed = await browser.open(url);
    if (!landed && browser.has('name="passwd"')) {
      landed = await browser.submit({ login, passwd: password });
    }
    if (!landed) landed = await browser.submit({ accept: "1" });
    if (!landed)
      throw new Error(`no redirect after admin consent:\n${browser.html.slice(0, 2000)}`);
    return { url, state, landed };
  } finally {
    await browser.close();
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "teamgate-ms-"));
  emulator = await startEmulator({ dataDir });
  emulator.control.registerApp({
    clientId,
    clientSecret: "emulator-client-secret",
    redirectUris: [SIGN_IN_REDIRECT, CONSENT_REDIRECT],
    displayName: "Teamgate (test)",
    delegatedScopes: DELEGATED,
    appRoles: ["Organization.Read.All", "User.Read.All", "GroupMember.Read.All"],
  });
  const seeded = emulator.control.seedTenant({
    displayName: "Contoso",
    domain: "contoso.example",
    groups: ["Sales", "Support"],
    users: [
      {
        userPrincipalName: "admin@contoso.example",
        displayName: "Alex Admin",
        password,
        roles: ["globalAdministrator"],
        licenses: ["teams"],
      },
      {
        userPrincipalName: "phone@contoso.example",
        displayName: "Pat Phone",
        password,
        licenses: ["teams", "teamsPhone"],
        groups: ["Sales"],
      },
      {
        userPrincipalName: "plain@contoso.example",
        displayName: "Una Unlicensed",
        password,
        groups: ["Sales", "Support"],
      },
    ],
  });
  tenantId = seeded.tenantId;
  emulator.control.seedTenant({
    displayName: "Microsoft Accounts",
    domain: "outlook.example",
    isPersonal: true,
    users: [{ userPrincipalName: "someone@outlook.example", displayName: "Sam Someone", password }],
  });
  groupIds = Object.fromEntries(seeded.groups.map((g) => [g.displayName, g.id]));

  // Configured exactly as production is: by the environment only.
  const parsed = parseEnv({
    MS_CLIENT_ID: clientId,
    MS_CLIENT_SECRET: "emulator-client-secret",
    MS_LOGIN_BASE: emulator.loginUrl,
    MS_GRAPH_BASE: emulator.graphUrl,
    MS_CA_FILE: emulator.caFile,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  const resolved = microsoftConfigFromEnv(parsed.env);
  if (!resolved) throw new Error("Microsoft not configured");
  config = resolved;
  const real = createHttpTransport({ caPem: config.caPem });
  const graphOrigin = new URL(emulator.graphUrl).origin;
  const counting: HttpTransport = {
    fetch(url, init) {
      const u = new URL(url);
      if (u.origin === graphOrigin) graphRequests.push(`${init?.method ?? "GET"} ${u.pathname}`);
      return real.fetch(url, init);
    },
    close: () => real.close(),
  };
  microsoft = createMicrosoft(config, { retry, transport: counting });
});

afterAll(async () => {
  await microsoft?.close();
  await emulator?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

afterEach(() => {
  emulator?.control.clearFaults();
});

describe("sign-in (round 1)", () => {
  it("builds the authorize URL with PKCE S256, state, nonce and prompt=consent", async () => {
    const codeVerifier = random();
    const url = new URL(
      await microsoft.buildSignInUrl({
        state: "s-1",
        nonce: "n-1",
        codeVerifier,
        redirectUri: SIGN_IN_REDIRECT,
        scopes: DELEGATED,
        prompt: "consent",
      }),
    );
    // Work or school accounts only: Microsoft stops a personal account on its own page.
    expect(`${url.origin}${url.pathname}`).toBe(
      `${emulator.loginUrl}/organizations/oauth2/v2.0/authorize`,
    );
    const q = url.searchParams;
    expect(q.get("client_id")).toBe(clientId);
    expect(q.get("response_type")).toBe("code");
    expect(q.get("redirect_uri")).toBe(SIGN_IN_REDIRECT);
    expect(q.get("state")).toBe("s-1");
    expect(q.get("nonce")).toBe("n-1");
    expect(q.get("prompt")).toBe("consent");
    expect(q.get("code_challenge")).toBe(pkceChallenge(codeVerifier));
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("scope")?.split(" ")).toEqual(expect.arrayContaining(["openid", "User.Read"]));
    expect(url.toString()).not.toContain(codeVerifier);
  });

  it("redeems the code of a Global Administrator who consents on behalf of the organization", async () => {
    const round = await signIn("admin@contoso.example", { onBehalf: true });
    const claims = await microsoft.redeemSignInCode({
      code: round.code,
      codeVerifier: round.codeVerifier,
      redirectUri: SIGN_IN_REDIRECT,
      scopes: DELEGATED,
      expectedNonce: round.nonce,
    });
    expect(claims).toMatchObject({
      tid: tenantId,
      preferredUsername: "admin@contoso.example",
      name: "Alex Admin",
      isPersonalAccount: false,
    });
    expect(claims.oid).toMatch(/^[0-9a-f-]{36}$/);
    // From Graph (/me/transitiveMemberOf): the app's manifest asks for no `wids` in ID tokens.
    expect(claims.directoryRoles).toEqual([GLOBAL_ADMINISTRATOR]);
    expect(claims.tid).not.toBe(PERSONAL_ACCOUNT_TENANT_ID);
  });

  it("gives an ordinary user's claims without the Global Administrator role", async () => {
    const round = await signIn("plain@contoso.example");
    const claims = await microsoft.redeemSignInCode({
      code: round.code,
      codeVerifier: round.codeVerifier,
      redirectUri: SIGN_IN_REDIRECT,
      scopes: DELEGATED,
      expectedNonce: round.nonce,
    });
    expect(claims.directoryRoles).toEqual([]);
  });

  it("calls the application misconfigured when the sign-in cannot read directory roles", async () => {
    // Only User.Read: Graph returns directory roles without their template ids.
    const round = await signIn("admin@contoso.example", { scopes: ["User.Read"] });
    const error = await caught(
      microsoft.redeemSignInCode({
        code: round.code,
        codeVerifier: round.codeVerifier,
        redirectUri: SIGN_IN_REDIRECT,
        scopes: ["User.Read"],
        expectedNonce: round.nonce,
      }),
    );
    expect(error.code).toBe("microsoft_app_misconfigured");
  });

  it("never brings a personal (MSA) account back: Microsoft stops it at the organizations authority", async () => {
    const url = await microsoft.buildSignInUrl({
      state: random(),
      nonce: random(),
      codeVerifier: random(),
      redirectUri: SIGN_IN_REDIRECT,
      scopes: DELEGATED,
    });
    const browser = new FormBrowser(emulator.caPem, [APP]);
    try {
      expect(await browser.open(url)).toBeNull();
      expect(
        await browser.submit({ login: "someone@outlook.example", passwd: password }),
      ).toBeNull();
      expect(browser.has("AADSTS500200")).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it("verifies the id token's signature, audience and nonce itself", async () => {
    // The raw id token, redeemed without msal, so the verifier can be fed altered copies.
    const round = await signIn("admin@contoso.example");
    const transport = createHttpTransport({ caPem: emulator.caPem });
    try {
      const response = await transport.fetch(`${emulator.loginUrl}/common/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: clientId,
          client_secret: "emulator-client-secret",
          code: round.code,
          code_verifier: round.codeVerifier,
          redirect_uri: SIGN_IN_REDIRECT,
          scope: `openid profile ${DELEGATED.join(" ")}`,
        }).toString(),
      });
      const { id_token: idToken } = (await response.json()) as { id_token: string };
      const verifier = (audience: string) =>
        createIdTokenVerifier({ loginBase: config.loginBase, clientId: audience, transport });

      await expect(verifier(clientId).verify(idToken, round.nonce)).resolves.toMatchObject({
        tid: tenantId,
      });
      const refusal = async (promise: Promise<unknown>) => (await caught(promise)).code;
      expect(await refusal(verifier(clientId).verify(idToken, "other-nonce"))).toBe(
        "microsoft_sign_in_failed",
      );
      expect(await refusal(verifier(randomUUID()).verify(idToken, round.nonce))).toBe(
        "microsoft_sign_in_failed",
      );
      const [header, payload, signature] = idToken.split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
      const forged = [
        header,
        Buffer.from(
          JSON.stringify({ ...claims, wids: ["62e90394-69f5-4237-9190-012177145e10", "x"] }),
        ).toString("base64url"),
        signature,
      ].join(".");
      expect(await refusal(verifier(clientId).verify(forged, round.nonce))).toBe(
        "microsoft_sign_in_failed",
      );
    } finally {
      await transport.close();
    }
  });

  it("refuses a code whose id token carries another nonce", async () => {
    const round = await signIn("admin@contoso.example");
    const error = await caught(
      microsoft.redeemSignInCode({
        code: round.code,
        codeVerifier: round.codeVerifier,
        redirectUri: SIGN_IN_REDIRECT,
        scopes: DELEGATED,
        expectedNonce: "a-different-nonce",
      }),
    );
    expect(error.code).toBe("microsoft_sign_in_failed");
  });

  it("refuses a code redeemed with the wrong PKCE verifier, and a code used twice", async () => {
    const round = await signIn("admin@contoso.example");
    const redeem = (codeVerifier: string) =>
      microsoft.redeemSignInCode({
        code: round.code,
        codeVerifier,
        redirectUri: SIGN_IN_REDIRECT,
        scopes: DELEGATED,
        expectedNonce: round.nonce,
      });
    expect((await caught(redeem(random()))).code).toBe("microsoft_sign_in_failed");

    const again = await signIn("admin@contoso.example");
    const once = () =>
      microsoft.redeemSignInCode({
        code: again.code,
        codeVerifier: again.codeVerifier,
        redirectUri: SIGN_IN_REDIRECT,
        scopes: DELEGATED,
        expectedNonce: again.nonce,
      });
    await once();
    expect((await caught(once())).code).toBe("microsoft_sign_in_failed");
  });
});

describe("admin consent (round 2) and app-only Graph", () => {
  it("gets no app-only access before the tenant consents: a token without roles, then Graph 403", async () => {
    // Round 1's user consent created our service principal: as in Entra, client credentials
    // then succeed with a token that carries no application permission.
    const token = await microsoft.acquireAppToken(tenantId, { fresh: true });
    expect(decodeJwt(token).roles).toBeUndefined();
    const error = await caught(microsoft.getOrganization(tenantId));
    expect(error.code).toBe("microsoft_forbidden");
    expect((error.cause as { status?: number }).status).toBe(403);
  });

  it("builds the admin consent URL, then confirms the tenant with GET /organization", async () => {
    const { url, state, landed } = await grantAdminConsent(tenantId, "admin@contoso.example");
    const consentUrl = new URL(url);
    expect(`${consentUrl.origin}${consentUrl.pathname}`).toBe(
      `${emulator.loginUrl}/${tenantId}/v2.0/adminconsent`,
    );
    expect(consentUrl.searchParams.get("scope")).toBe("https://graph.microsoft.com/.default");
    expect(consentUrl.searchParams.get("client_id")).toBe(clientId);
    expect(landed.searchParams.get("admin_consent")).toBe("True");
    expect(landed.searchParams.get("state")).toBe(state);

    const organization = await microsoft.getOrganization(tenantId, { freshToken: true });
    expect(organization).toMatchObject({ id: tenantId, displayName: "Contoso" });
    expect(organization.verifiedDomains.map((d) => d.name)).toContain("contoso.example");
  });

  it("lists users with their Teams and Teams Phone licences", async () => {
    const users: DirectoryUser[] = [];
    for await (const page of microsoft.listUsers(tenantId)) users.push(...page);
    const byUpn = Object.fromEntries(users.map((u) => [u.userPrincipalName, u]));
    expect(byUpn["phone@contoso.example"]).toMatchObject({
      teamsLicensed: true,
      teamsPhoneLicensed: true,
      accountEnabled: true,
    });
    expect(byUpn["admin@contoso.example"]).toMatchObject({
      teamsLicensed: true,
      teamsPhoneLicensed: false,
    });
    expect(byUpn["plain@contoso.example"]).toMatchObject({
      teamsLicensed: false,
      teamsPhoneLicensed: false,
    });
  });

  it("limits users to the chosen groups, each user once", async () => {
    const users: DirectoryUser[] = [];
    // One user per page: the advanced-query header must be sent again with every nextLink.
    for await (const page of microsoft.listUsers(tenantId, {
      groupIds: [groupIds.Sales!, groupIds.Support!],
      pageSize: 1,
    })) {
      users.push(...page);
    }
    expect(users.map((u) => u.userPrincipalName).sort()).toEqual([
      "phone@contoso.example",
      "plain@contoso.example",
    ]);
  });

  it("lists groups", async () => {
    const names: string[] = [];
    for await (const page of microsoft.listGroups(tenantId))
      names.push(...page.map((g) => g.displayName));
    expect(names.sort()).toEqual(["Sales", "Support"]);
  });

  it("batches requests and maps each answer", async () => {
    const [phone] = await firstUsers(1);
    const transport = createHttpTransport({ caPem: config.caPem });
    try {
      const graph = createGraphClient({
        graphBase: config.graphBase,
        transport,
        accessToken: () => microsoft.acquireAppToken(tenantId),
        retry,
      });
      const responses = await graph.batch([
        { id: "1", method: "GET", url: `/users/${phone!.id}?$select=id,displayName` },
        { id: "2", method: "GET", url: "/organization?$select=id" },
        { id: "3", method: "GET", url: `/users/${randomUUID()}` },
      ]);
      expect(responses.map((r) => [r.id, r.status])).toEqual([
        ["1", 200],
        ["2", 200],
        ["3", 404],
      ]);
      expect(responses[0]?.body).toMatchObject({ id: phone!.id });
      expect(responses[2]?.error?.code).toBe("not_found");
    } finally {
      await transport.close();
    }
  });
});

describe("the user sync's reads", () => {
  async function round(origin: UsersDeltaOrigin, maxPageSize?: number): Promise<UsersDeltaPage[]> {
    const pages: UsersDeltaPage[] = [];
    for await (const page of microsoft.usersDelta(
      tenantId,
      origin,
      maxPageSize ? { maxPageSize } : {},
    ))
      pages.push(page);
    return pages;
  }
  const linkOf = (pages: UsersDeltaPage[]) => pages.at(-1)?.deltaLink ?? "";
  const idOf = async (upn: string) =>
    (await firstUsers(3)).find((u) => u.userPrincipalName === upn)!.id;

  it("reads every user in a delta round from the start, page by page, then a link", async () => {
    const pages = await round("start", 2);
    expect(pages.length).toBeGreaterThan(1);
    const users = pages.flatMap((p) => p.users);
    expect([...new Set(users.map((u) => u.userPrincipalName))].sort()).toEqual([
      "admin@contoso.example",
      "phone@contoso.example",
      "plain@contoso.example",
    ]);
    // Full reads: licences mapped, nothing marked partial.
    expect(users.find((u) => u.userPrincipalName === "phone@contoso.example")).toMatchObject({
      teamsLicensed: true,
      teamsPhoneLicensed: true,
    });
    expect(users.every((u) => u.present === undefined)).toBe(true);
    expect(pages.flatMap((p) => p.removedIds)).toEqual([]);
    expect(pages.slice(0, -1).every((p) => p.deltaLink === undefined)).toBe(true);
    expect(linkOf(pages)).toMatch(/^https:/);
  });

  it("reads from a link only what changed since: added, updated (what it carries), removed", async () => {
    const start = linkOf(await round("start"));
    const phoneId = await idOf("phone@contoso.example");
    const added = emulator.control.addUser(tenantId, {
      userPrincipalName: "delta@contoso.example",
      displayName: "Dee Delta",
      password,
    });
    emulator.control.updateUser(tenantId, phoneId, { displayName: "Pat Phone" });

    const changes = await round({ link: start });
    const users = changes.flatMap((p) => p.users);
    expect(users.map((u) => u.id).sort()).toEqual([added.id, phoneId].sort());
    expect(users.find((u) => u.id === added.id)).toMatchObject({
      userPrincipalName: "delta@contoso.example",
      present: { displayName: true, userPrincipalName: true, licences: true },
    });
    expect(users.find((u) => u.id === phoneId)).toMatchObject({
      displayName: "Pat Phone",
      present: { displayName: true, userPrincipalName: false, licences: false },
    });

    emulator.control.removeUser(tenantId, added.id);
    const removal = await round({ link: linkOf(changes) });
    expect(removal.flatMap((p) => p.users)).toEqual([]);
    expect(removal.flatMap((p) => p.removedIds)).toEqual([added.id]);
  });

  it("starts a round now: no users, only a link that sees the changes made after it", async () => {
    const now = await round("now");
    expect(now).toHaveLength(1);
    expect(now[0]?.users).toEqual([]);
    const adminId = await idOf("admin@contoso.example");
    emulator.control.updateUser(tenantId, adminId, { displayName: "Alex Admin" });
    const after = await round({ link: linkOf(now) });
    expect(after.flatMap((p) => p.users.map((u) => u.id))).toEqual([adminId]);
  });

  it("tells a delta link Graph refuses: expired, or outside Graph", async () => {
    const outside = await caught(
      round({ link: "https://elsewhere.example/v1.0/users/delta?$deltatoken=x" }),
    );
    expect(isRejectedDeltaLink(outside)).toBe(true);
    const link = linkOf(await round("now"));
    emulator.control.expireDeltaTokens(tenantId);
    const expired = await caught(round({ link }));
    expect(isRejectedDeltaLink(expired)).toBe(true);
  });

  it("pages a group's transitive user members, nested groups included; ids alone too", async () => {
    const adminId = await idOf("admin@contoso.example");
    const leads = emulator.control.addGroup(tenantId, "Leads");
    emulator.control.setGroupMember(tenantId, leads.id, adminId, true);
    emulator.control.nestGroup(tenantId, groupIds.Sales!, leads.id);
    try {
      const pages: DirectoryUser[][] = [];
      for await (const page of microsoft.groupMembers(tenantId, groupIds.Sales!, { pageSize: 1 }))
        pages.push(page);
      expect(pages.length).toBeGreaterThanOrEqual(3);
      expect(pages.every((p) => p.length <= 1)).toBe(true);
      const members = pages.flat();
      expect(members.map((u) => u.userPrincipalName).sort()).toEqual([
        "admin@contoso.example",
        "phone@contoso.example",
        "plain@contoso.example",
      ]);
      const ids: string[] = [];
      for await (const page of microsoft.groupMemberIds(tenantId, groupIds.Sales!, {
        pageSize: 2,
      }))
        ids.push(...page);
      expect(ids.sort()).toEqual(members.map((u) => u.id).sort());
    } finally {
      emulator.control.setGroupMember(tenantId, leads.id, adminId, false);
    }
  });

  it("refuses the members of a group that does not exist with not_found", async () => {
    const error = await caught(microsoft.groupMembers(tenantId, randomUUID()).next());
    expect(error.code).toBe("not_found");
  });

  it("gets users by id in order, in batches of 20, null where the tenant has none", async () => {
    const known = await firstUsers(3);
    const ids = Array.from({ length: 45 }, (_, i) =>
      i % 10 === 0 ? known[(i / 10) % known.length]!.id : randomUUID(),
    );
    const batches = () => graphRequests.filter((r) => r === "POST /v1.0/$batch").length;
    const before = batches();
    const users = await microsoft.getUsers(tenantId, ids);
    expect(batches() - before).toBe(3);
    expect(users).toHaveLength(45);
    users.forEach((user, i) => {
      if (i % 10 === 0) expect(user).toEqual(known[(i / 10) % known.length]);
      else expect(user).toBeNull();
    });
  });
});

async function firstUsers(count: number): Promise<DirectoryUser[]> {
  for await (const page of microsoft.listUsers(tenantId)) return page.slice(0, count);
  return [];
}

describe("resilience", () => {
  it("keeps the msal applications of a bounded number of tenants, least recently used out", async () => {
    const transport = createHttpTransport({ caPem: config.caPem });
    const auth = createMicrosoftAuth(config, transport, undefined, 2);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    // Unknown tenants: the token requests fail, but each tenant's application was made.
    for (const tenant of [a, b, c]) await auth.acquireAppToken(tenant).catch(() => undefined);
    expect(auth.cachedTenants()).toEqual([b, c]);
    await auth.acquireAppToken(b).catch(() => undefined);
    expect(auth.cachedTenants()).toEqual([c, b]);
    await auth.acquireAppToken(a).catch(() => undefined);
    expect(auth.cachedTenants()).toEqual([b, a]);
    await transport.close();
  });

  it("does not trust the emulator's CA unless configured to (MS_CA_FILE)", async () => {
    const warnings: Record<string, unknown>[] = [];
    const untrusting = createMicrosoft(
      { ...config, caPem: undefined },
      { retry, log: { warn: (details: Record<string, unknown>) => warnings.push(details) } },
    );
    try {
      const error = await caught(
        untrusting.buildSignInUrl({
          state: "s",
          nonce: "n",
          codeVerifier: random(),
          redirectUri: SIGN_IN_REDIRECT,
          scopes: DELEGATED,
        }),
      );
      expect(error.code).toBe("microsoft_unavailable");
      expect(error.cause).toMatchObject({ errorCode: "endpoints_resolution_error" });
      // The operator sees why: the certificate, not a vague network error.
      expect(JSON.stringify(warnings)).toMatch(/certificate/i);
    } finally {
      await untrusting.close();
    }
  });

  it("maps an unavailable token endpoint to microsoft_unavailable", async () => {
    emulator.control.injectFault({ method: "POST", path: "/oauth2/v2\\.0/token", status: 503 });
    const error = await caught(microsoft.getOrganization(tenantId, { freshToken: true }));
    expect(error.code).toBe("microsoft_unavailable");
    expect(error.cause).toMatchObject({ status: 503, errorCode: "temporarily_unavailable" });
  });

  const organizationCalls = () =>
    graphRequests.filter((r) => r === "GET /v1.0/organization").length;

  it("waits for Retry-After on 429, then succeeds", async () => {
    emulator.control.injectFault({
      method: "GET",
      path: "^/v1\\.0/organization",
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
    });
    const before = organizationCalls();
    const started = Date.now();
    const organization = await microsoft.getOrganization(tenantId);
    expect(organization.id).toBe(tenantId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(organizationCalls() - before).toBe(2);
  });

  it("backs off on 503 and succeeds when Graph recovers", async () => {
    emulator.control.injectFault({
      method: "GET",
      path: "^/v1\\.0/organization",
      status: 503,
      times: 2,
    });
    const before = organizationCalls();
    const organization = await microsoft.getOrganization(tenantId);
    expect(organization.id).toBe(tenantId);
    expect(organizationCalls() - before).toBe(3);
  });

  it("gives up on a persistent 503 after bounded attempts with microsoft_unavailable", async () => {
    emulator.control.injectFault({ method: "GET", path: "^/v1\\.0/organization", status: 503 });
    const before = organizationCalls();
    const started = Date.now();
    const error = await caught(microsoft.getOrganization(tenantId));
    expect(error.code).toBe("microsoft_unavailable");
    expect(error.status).toBe(503);
    expect(error.cause).toMatchObject({ status: 503, attempts: retry.maxAttempts });
    expect(organizationCalls() - before).toBe(retry.maxAttempts);
    expect(Date.now() - started).toBeLessThan(retry.maxTotalMs);
    expect(JSON.stringify(error.cause)).not.toMatch(/eyJ|Bearer/);
  });

  it("gives up at once with microsoft_throttled when Retry-After exceeds the budget", async () => {
    emulator.control.injectFault({
      method: "GET",
      path: "^/v1\\.0/organization",
      status: 429,
      retryAfterSeconds: 3600,
    });
    const started = Date.now();
    const error = await caught(microsoft.getOrganization(tenantId));
    expect(error.code).toBe("microsoft_throttled");
    expect(error.headers).toEqual({ "retry-after": "3600" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("streams more than 999 users page by page, requesting each page only when pulled", async () => {
    for (let i = 0; i < 1050; i++) {
      emulator.control.addUser(tenantId, {
        userPrincipalName: `bulk${i}@contoso.example`,
        displayName: `Bulk ${i}`,
        password,
        licenses: i % 2 === 0 ? ["teams", "teamsPhone"] : [],
      });
    }
    const userPages = () => graphRequests.filter((r) => r === "GET /v1.0/users").length;
    const before = userPages();
    const pages = microsoft.listUsers(tenantId);
    const first = await pages.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(999);
    expect(userPages() - before).toBe(1);

    const second = await pages.next();
    expect(second.value).toHaveLength(1053 - 999);
    expect(userPages() - before).toBe(2);
    expect((await pages.next()).done).toBe(true);
    expect(userPages() - before).toBe(2);
  });
});
