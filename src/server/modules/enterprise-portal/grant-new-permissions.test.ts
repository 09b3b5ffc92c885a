/**
 * "Grant the new permissions": a tenant registered before Teamgate's application listed Direct
 * Routing's permissions goes through Microsoft's admin consent again, against the emulator over
 * real HTTPS (msal-node, our Graph client, the emulator's sign-in and consent pages).
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditColumns } from "../../../../test/events.ts";
import {
  type Client,
  clientOf,
  clientWithSessionCookie,
  createTestApp,
  flowCookieOf,
  realisticPropagation,
  registerTestMicrosoftApp,
  sessionCookieOf,
  signIn,
  signInEnterpriseAdmin,
  type TestApp,
  testMicrosoftApp,
} from "../../../../test/harness.ts";
import { enterprises, events, microsoftFlows } from "../../db/schema/index.ts";
import {
  buildEnterprise,
  buildEnterpriseAdmin,
  buildWorld,
  type World,
} from "../../db/seed/factories.ts";
import {
  directRoutingAppPermissions,
  requestedAppPermissions,
  requiredAppPermissions,
} from "../../integrations/microsoft/config.ts";
import { FormBrowser } from "../../integrations/microsoft/microsoft.test-support.ts";
import { hashToken } from "../../lib/secrets.ts";
import { anotherAddress, runWorkflows } from "../registration/registration.test-support.ts";
import { password, portalSignIn, registered } from "./enterprise-portal.test-support.ts";

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

const consentUrl = (id: string) => `/api/v1/enterprises/${id}/microsoft-permissions/consent`;
const finishUrl = (id: string) => `${consentUrl(id)}/finish`;
const dashboard = (search: string) => `${t.services.publicUrl}/enterprise?${search}`;
const oldPermissions = [...requiredAppPermissions].sort();

/** A signed-in enterprise admin whose raw session cookie the test's browser also sends. */
interface Admin {
  client: Client;
  cookie: string;
}

/**
 * A tenant registered before Direct Routing: the application then listed only the permissions
 * registration requires, so that is what the tenant granted; now it lists Direct Routing's too.
 * Its Global Administrator signs in to the portal later, as such an admin would.
 */
async function registeredBeforeDirectRouting() {
  registerTestMicrosoftApp(t.emulator!, t.services, requiredAppPermissions);
  let tenant: Awaited<ReturnType<typeof registered>>;
  try {
    tenant = await registered(t, world, reseller);
  } finally {
    registerTestMicrosoftApp(t.emulator!, t.services);
  }
  expect((await enterpriseRow(tenant.enterpriseId)).grantedPermissions).toEqual(oldPermissions);
  const signedIn = await portalSignIn(t, `admin@${tenant.domain}`);
  expect(signedIn.location).toBe(`${t.services.publicUrl}/enterprise`);
  const admin: Admin = {
    client: await clientWithSessionCookie(t.app, signedIn.setCookie),
    cookie: sessionCookieOf(signedIn.setCookie),
  };
  return { ...tenant, admin };
}

async function enterpriseRow(id: string) {
  const [row] = await t.services.db.select().from(enterprises).where(eq(enterprises.id, id));
  return row!;
}

async function grantEvents(enterpriseId: string) {
  return t.services.db
    .select(auditColumns)
    .from(events)
    .where(
      and(eq(events.enterpriseId, enterpriseId), eq(events.name, "enterprise.permissions_granted")),
    );
}

/** What the test's Microsoft tenant has granted Teamgate's application. */
function emulatorGrants(tenantId: string): string[] {
  return [
    ...(t.emulator!.control.tenantState(tenantId).consents[testMicrosoftApp.clientId]?.appRoles ??
      []),
  ].sort();
}

/** The enterprise still records what it granted at registration, and no grant was recorded. */
async function expectNothingChanged(enterpriseId: string) {
  expect((await enterpriseRow(enterpriseId)).grantedPermissions).toEqual(oldPermissions);
  expect(await grantEvents(enterpriseId)).toEqual([]);
}

/**
 * "Grant the new permissions" in the admin's browser: the button's request, Microsoft's sign-in
 * and consent pages as `login` (Accept, or Cancel), and Microsoft's redirect back to our callback
 * (with the browser's session and flow cookies). `atMicrosoft` may change the URL first (another
 * tenant). Returns where our callback sends the browser.
 */
async function grantAtMicrosoft(
  admin: Admin,
  enterpriseId: string,
  login: string,
  options: {
    decision?: "accept" | "cancel";
    atMicrosoft?: (url: string) => string;
    /** First open the redirect in another browser (no flow cookie), which must change nothing. */
    forged?: boolean;
  } = {},
) {
  const start = await admin.client.post(consentUrl(enterpriseId));
  expect(start.status).toBe(200);
  const flowCookie = flowCookieOf(start.headers["set-cookie"]);
  const url = options.atMicrosoft ? options.atMicrosoft(start.body.url) : start.body.url;
  const browser = new FormBrowser(t.emulator!.caPem, [t.services.publicUrl]);
  let landed: URL | null;
  try {
    landed = await browser.open(url);
    if (!landed) landed = await browser.submit({ login, passwd: password });
    if (!landed && browser.has("AADSTS90094")) {
      // "Need admin approval": the person returns to the application without granting anything.
      const back = /<a id="back" href="([^"]*)"/.exec(browser.html)?.[1] ?? "";
      landed = await browser.open(back.replace(/&amp;/g, "&"));
    } else if (!landed)
      landed = await browser.submit(
        options.decision === "cancel" ? { cancel: "1" } : { accept: "1" },
      );
    if (!landed) throw new Error(`no redirect back:\n${browser.html.slice(0, 1500)}`);
  } finally {
    await browser.close();
  }
  const redirect = landed;
  const back = (cookie: string) =>
    t.app.inject({
      method: "GET",
      url: `${redirect.pathname}${redirect.search}`,
      headers: { cookie },
      remoteAddress: anotherAddress(),
    });
  if (options.forged) {
    const forged = await back(admin.cookie);
    expect(forged.headers.location).toBe(dashboard("permissionsError=state_invalid"));
    const [flow] = await t.services.db
      .select()
      .from(microsoftFlows)
      .where(eq(microsoftFlows.stateHash, hashToken(redirect.searchParams.get("state") ?? "")));
    expect(flow).toMatchObject({ round: "admin_consent", usedAt: null, failure: null });
  }
  const res = await back(`${admin.cookie}; ${flowCookie}`);
  expect(res.statusCode).toBe(302);
  return {
    location: String(res.headers.location),
    start,
    redirect,
    /** The same redirect again, with these cookies. */
    again: back,
    flowCookie,
  };
}

/** The dashboard's polling while Microsoft applies the consent, until it says how it ended. */
async function finishAsDashboard(admin: Admin, enterpriseId: string) {
  for (let poll = 0; poll < 100; poll++) {
    const res = await admin.client.post(finishUrl(enterpriseId));
    expect(res.status).toBe(200);
    if (res.body.status !== "pending") return res.body;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error("the consent is still pending after 100 polls");
}

/** The flow waiting for Microsoft gives up at its next poll (its five minutes are over). */
async function endTheWait(enterpriseId: string) {
  await t.services.db
    .update(microsoftFlows)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(
      and(eq(microsoftFlows.enterpriseId, enterpriseId), eq(microsoftFlows.round, "finishing")),
    );
}

describe("POST /enterprises/:enterpriseId/microsoft-permissions/consent", () => {
  /** An enterprise of reseller A registered with the old permissions, consent granted to A. */
  async function oldTenant(grantedPermissions: string[] = oldPermissions) {
    const enterprise = await buildEnterprise(t.services.db, {
      reseller: world.a.reseller,
      requestManagementConsent: true,
      managementConsentGrantedAt: new Date(),
      managementConsentGrantedBy: "Global Admin",
      grantedPermissions,
    });
    const adminRow = await buildEnterpriseAdmin(t.services.db, enterprise);
    return {
      enterprise: await enterpriseRow(enterprise.id),
      admin: await signInEnterpriseAdmin(t.app, t.services, adminRow.id),
    };
  }

  it("has the ladder: 401, 400, 404, 403 (even a provider with management consent), 409, 200", async () => {
    const { enterprise, admin } = await oldTenant();
    const other = await oldTenant();
    expect((await clientOf(t.app).post(consentUrl(enterprise.id))).status).toBe(401);
    const badId = await admin.post(consentUrl("x".repeat(65)));
    expect([badId.status, badId.body.code]).toEqual([400, "validation_failed"]);
    expect((await reseller.post(consentUrl(world.b.enterprise.id))).status).toBe(404);
    expect((await admin.post(consentUrl(other.enterprise.id))).status).toBe(404);
    const byMaster = await master.post(consentUrl(enterprise.id));
    expect([byMaster.status, byMaster.body.code]).toEqual([403, "forbidden"]);
    // Only the tenant can consent: its provider may not, management consent or not.
    const byProvider = await reseller.post(consentUrl(enterprise.id));
    expect([byProvider.status, byProvider.body.code]).toEqual([403, "forbidden"]);
    const complete = await oldTenant([...requestedAppPermissions]);
    const nothingToGrant = await complete.admin.post(consentUrl(complete.enterprise.id));
    expect([nothingToGrant.status, nothingToGrant.body.code]).toEqual([409, "invalid_state"]);
    expect(nothingToGrant.body.message).toContain("already granted every permission");

    const started = await admin.post(consentUrl(enterprise.id));
    expect(started.status).toBe(200);
    // Microsoft's admin consent for the enterprise's own tenant, coming back to our callback.
    const url = new URL(started.body.url);
    expect(`${url.origin}${url.pathname}`).toBe(
      `${t.emulator!.loginUrl}/${enterprise.tenantId}/v2.0/adminconsent`,
    );
    expect(url.searchParams.get("client_id")).toBe(testMicrosoftApp.clientId);
    expect(url.searchParams.get("redirect_uri")).toBe(
      `${t.services.publicUrl}${t.services.env.MS_ADMIN_CONSENT_REDIRECT_PATH}`,
    );
    const state = url.searchParams.get("state") ?? "";
    const [flow] = await t.services.db
      .select()
      .from(microsoftFlows)
      .where(eq(microsoftFlows.enterpriseId, enterprise.id));
    // Only the state's hash is kept; the flow is bound to this browser and makes no sign-in.
    expect(flow).toMatchObject({
      purpose: "enterprise_permissions",
      round: "admin_consent",
      tenantId: enterprise.tenantId,
      stateHash: hashToken(state),
      browserBindingHash: hashToken(flowCookieOf(started.headers["set-cookie"]).split("=")[1]!),
      nonce: null,
      sealedCodeVerifier: null,
      usedAt: null,
    });
    // Nothing changes until Microsoft says so.
    expect((await enterpriseRow(enterprise.id)).grantedPermissions).toEqual(oldPermissions);
  });

  it("offers the action item, explained, only to the enterprise's admins and only while permissions are missing", async () => {
    const { enterprise, admin } = await oldTenant();
    const mine = (await admin.get(`/api/v1/enterprises/${enterprise.id}/overview`)).body;
    const item = mine.actionItems.find((i: { id: string }) => i.id === "microsoft_permissions");
    expect(item).toMatchObject({
      title: "Grant the new permissions",
      state: "todo",
      owner: "enterprise",
    });
    for (const words of [
      "Domain.ReadWrite.All",
      "add the trunk domains Direct Routing uses",
      "verify them",
      "User.ReadWrite.All",
      "create the one user per trunk domain that makes Microsoft activate it",
      "TeamsTelephoneNumber.ReadWrite.All",
      "give each configured user their phone number in Teams",
      "A Global Administrator grants them",
    ])
      expect(item.detail).toContain(words);
    expect(mine.abilities).toContain("microsoft_permissions.grant");

    const theirs = (await reseller.get(`/api/v1/enterprises/${enterprise.id}/overview`)).body;
    expect(theirs.actionItems.map((i: { id: string }) => i.id)).toContain("microsoft_permissions");
    expect(theirs.abilities).not.toContain("microsoft_permissions.grant");

    const complete = await oldTenant([...requestedAppPermissions]);
    const done = (
      await complete.admin.get(`/api/v1/enterprises/${complete.enterprise.id}/overview`)
    ).body;
    expect(done.actionItems.map((i: { id: string }) => i.id)).not.toContain(
      "microsoft_permissions",
    );
    expect(done.abilities).not.toContain("microsoft_permissions.grant");
  });
});

describe("Grant the new permissions: the round trip through Microsoft", () => {
  it("grants Direct Routing's permissions; sign-in, the user sync and the dashboard work before and after", async () => {
    const { enterpriseId, tenantId, domain, admin } = await registeredBeforeDirectRouting();
    const drUrl = `/api/v1/enterprises/${enterpriseId}/direct-routing`;
    await runWorkflows(t); // the Teams Administrator role takes effect: only permissions block
    const blocked = (await admin.client.get(drUrl)).body;
    expect(blocked.missingPermissions).toEqual([...directRoutingAppPermissions]);
    expect(blocked.blockedBy).toContain("a Global Administrator must grant them first");
    // Meanwhile nothing else breaks: the dashboard and the user sync.
    const overview = await admin.client.get(`/api/v1/enterprises/${enterpriseId}/overview`);
    expect(overview.status).toBe(200);
    expect(overview.body.abilities).toContain("microsoft_permissions.grant");
    expect((await admin.client.post(`/api/v1/enterprises/${enterpriseId}/user-sync`)).status).toBe(
      202,
    );
    await t.services.drain("users.sync");
    const synced = (await admin.client.get(`/api/v1/enterprises/${enterpriseId}/user-sync`)).body;
    expect(synced).toMatchObject({ status: "idle", lastRun: { status: "succeeded" } });

    // Microsoft takes a moment to apply the consent (here long enough that our redirect surely
    // comes first, however busy the machine): the dashboard waits for it, then confirms.
    t.emulator!.control.setPropagation({ consentMs: 2500 });
    let journey: Awaited<ReturnType<typeof grantAtMicrosoft>>;
    try {
      journey = await grantAtMicrosoft(admin, enterpriseId, `admin@${domain}`);
      expect(journey.location).toBe(dashboard("permissions=finishing"));
      expect((await admin.client.post(finishUrl(enterpriseId))).body).toEqual({
        status: "pending",
      });
      expect(await grantEvents(enterpriseId)).toEqual([]);
      expect(await finishAsDashboard(admin, enterpriseId)).toEqual({ status: "granted" });
    } finally {
      t.emulator!.control.setPropagation(realisticPropagation);
    }

    const granted = [...requestedAppPermissions].sort();
    expect((await enterpriseRow(enterpriseId)).grantedPermissions).toEqual(granted);
    expect(emulatorGrants(tenantId)).toEqual(granted);
    const [event] = await grantEvents(enterpriseId);
    expect(event).toMatchObject({
      before: { grantedPermissions: oldPermissions },
      after: { grantedPermissions: granted },
      actorLabel: expect.stringContaining(`admin@${domain}`),
      targetId: enterpriseId,
    });
    // Direct Routing's blocker is gone; so is the action item; granting again is refused.
    const unblocked = (await admin.client.get(drUrl)).body;
    expect(unblocked).toMatchObject({
      missingPermissions: [],
      blockedBy: null,
      abilities: ["direct_routing.set_up"],
    });
    const after = (await admin.client.get(`/api/v1/enterprises/${enterpriseId}/overview`)).body;
    expect(after.actionItems.map((i: { id: string }) => i.id)).not.toContain(
      "microsoft_permissions",
    );
    expect((await admin.client.post(consentUrl(enterpriseId))).status).toBe(409);
    // The redirect is single use, and a later poll confirms what was recorded.
    const replay = await journey.again(`${admin.cookie}; ${journey.flowCookie}`);
    expect(replay.headers.location).toBe(dashboard("permissionsError=state_invalid"));
    expect(await finishAsDashboard(admin, enterpriseId)).toEqual({ status: "granted" });
    expect(await grantEvents(enterpriseId)).toHaveLength(1);
    // And the admin still signs in; the sync still runs, with the new token.
    expect((await portalSignIn(t, `admin@${domain}`)).location).toBe(
      `${t.services.publicUrl}/enterprise`,
    );
    await admin.client.post(`/api/v1/enterprises/${enterpriseId}/user-sync`);
    await t.services.drain("users.sync");
    expect(
      (await admin.client.get(`/api/v1/enterprises/${enterpriseId}/user-sync`)).body.lastRun,
    ).toMatchObject({ status: "succeeded" });
  });

  it("lands on the confirmation at once when Microsoft has applied the consent by the redirect", async () => {
    const { enterpriseId, domain, admin } = await registeredBeforeDirectRouting();
    t.emulator!.control.setPropagation({ consentMs: 0 });
    try {
      const journey = await grantAtMicrosoft(admin, enterpriseId, `admin@${domain}`);
      expect(journey.location).toBe(dashboard("permissions=granted"));
    } finally {
      t.emulator!.control.setPropagation(realisticPropagation);
    }
    expect((await enterpriseRow(enterpriseId)).grantedPermissions).toEqual(
      [...requestedAppPermissions].sort(),
    );
  });

  it("honours Microsoft's redirect only in the browser that started it", async () => {
    const { enterpriseId, domain, admin } = await registeredBeforeDirectRouting();
    const journey = await grantAtMicrosoft(admin, enterpriseId, `admin@${domain}`, {
      forged: true,
    });
    // Granted at once, or once Microsoft applied it (the forged attempt took some of that time).
    expect([dashboard("permissions=finishing"), dashboard("permissions=granted")]).toContain(
      journey.location,
    );
    expect(await finishAsDashboard(admin, enterpriseId)).toEqual({ status: "granted" });
    expect(await grantEvents(enterpriseId)).toHaveLength(1);
  });
});

describe("Grant the new permissions: what changes nothing", () => {
  it("consent cancelled at Microsoft → consent_declined; nothing granted, nothing recorded", async () => {
    const { enterpriseId, tenantId, domain, admin } = await registeredBeforeDirectRouting();
    const journey = await grantAtMicrosoft(admin, enterpriseId, `admin@${domain}`, {
      decision: "cancel",
    });
    expect(journey.location).toBe(dashboard("permissionsError=consent_declined"));
    await expectNothingChanged(enterpriseId);
    expect(emulatorGrants(tenantId)).toEqual(oldPermissions);
    const [flow] = await t.services.db
      .select()
      .from(microsoftFlows)
      .where(
        and(
          eq(microsoftFlows.enterpriseId, enterpriseId),
          eq(microsoftFlows.purpose, "enterprise_permissions"),
        ),
      );
    expect(flow).toMatchObject({ failure: "consent_declined", usedAt: expect.any(Date) });
    // The item stays, and granting again works.
    const overview = (await admin.client.get(`/api/v1/enterprises/${enterpriseId}/overview`)).body;
    expect(overview.abilities).toContain("microsoft_permissions.grant");
  });

  it("a Teams Administrator at Microsoft: 'Need admin approval' → not_global_admin; nothing changed", async () => {
    const { enterpriseId, tenantId, domain, admin } = await registeredBeforeDirectRouting();
    const journey = await grantAtMicrosoft(admin, enterpriseId, `teams-admin@${domain}`);
    expect(journey.location).toBe(dashboard("permissionsError=not_global_admin"));
    await expectNothingChanged(enterpriseId);
    expect(emulatorGrants(tenantId)).toEqual(oldPermissions);
  });

  it("a consent given in another tenant → wrong_tenant; the enterprise's tenant and record unchanged", async () => {
    const { enterpriseId, tenantId, admin } = await registeredBeforeDirectRouting();
    const other = t.emulator!.control.seedTenant({
      displayName: "Another organization",
      domain: `other${process.pid}.example`,
      users: [
        {
          userPrincipalName: `admin@other${process.pid}.example`,
          displayName: "Other Global Admin",
          password,
          roles: ["globalAdministrator"],
        },
      ],
    });
    // The consent link opened for another tenant, whose Global Administrator accepts.
    const journey = await grantAtMicrosoft(
      admin,
      enterpriseId,
      `admin@other${process.pid}.example`,
      {
        atMicrosoft: (url) => url.replace(`/${tenantId}/`, `/${other.tenantId}/`),
      },
    );
    expect(journey.redirect.searchParams.get("tenant")).toBe(other.tenantId);
    expect(journey.location).toBe(dashboard("permissionsError=wrong_tenant"));
    await expectNothingChanged(enterpriseId);
    expect(emulatorGrants(tenantId)).toEqual(oldPermissions);
  });

  it("Microsoft has not applied the consent after the wait → consent_not_effective; sync works meanwhile", async () => {
    const { enterpriseId, domain, admin } = await registeredBeforeDirectRouting();
    t.emulator!.control.setPropagation({ consentMs: 60_000 });
    try {
      const journey = await grantAtMicrosoft(admin, enterpriseId, `admin@${domain}`);
      expect(journey.location).toBe(dashboard("permissions=finishing"));
      expect((await admin.client.post(finishUrl(enterpriseId))).body).toEqual({
        status: "pending",
      });
      // While Microsoft applies the new grants, what the tenant granted before keeps working.
      await admin.client.post(`/api/v1/enterprises/${enterpriseId}/user-sync`);
      await t.services.drain("users.sync");
      expect(
        (await admin.client.get(`/api/v1/enterprises/${enterpriseId}/user-sync`)).body.lastRun,
      ).toMatchObject({ status: "succeeded" });
      await endTheWait(enterpriseId);
      expect(await finishAsDashboard(admin, enterpriseId)).toEqual({
        status: "failed",
        reason: "consent_not_effective",
      });
    } finally {
      t.emulator!.control.setPropagation(realisticPropagation);
    }
    await expectNothingChanged(enterpriseId);
  });

  it("Microsoft unavailable (Graph 503 on /organization) for the whole wait → microsoft_unavailable; a retry then succeeds", async () => {
    const { enterpriseId, tenantId, domain, admin } = await registeredBeforeDirectRouting();
    t.emulator!.control.injectFault({
      method: "GET",
      path: "^/v1\\.0/organization",
      tenantId,
      status: 503,
    });
    try {
      const journey = await grantAtMicrosoft(admin, enterpriseId, `admin@${domain}`);
      expect(journey.location).toBe(dashboard("permissions=finishing"));
      await new Promise((resolve) => setTimeout(resolve, realisticPropagation.consentMs + 100));
      expect((await admin.client.post(finishUrl(enterpriseId))).body).toEqual({
        status: "pending",
      });
      await endTheWait(enterpriseId);
      expect(await finishAsDashboard(admin, enterpriseId)).toEqual({
        status: "failed",
        reason: "microsoft_unavailable",
      });
    } finally {
      t.emulator!.control.clearFaults();
    }
    await expectNothingChanged(enterpriseId);
    // Granting again (the consent screen once more) records what Microsoft applied meanwhile.
    const retry = await grantAtMicrosoft(admin, enterpriseId, `admin@${domain}`);
    expect(retry.location).toBe(dashboard("permissions=granted"));
    expect((await enterpriseRow(enterpriseId)).grantedPermissions).toEqual(
      [...requestedAppPermissions].sort(),
    );
  });
});
