/**
 * Enterprise registration through both Microsoft rounds (seed 3) against the emulator over real
 * HTTPS: msal-node, our transport, the emulator's sign-in and consent forms. Nothing is mocked.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditColumns } from "../../../../test/events.ts";
import {
  type Client,
  clientOf,
  createTestApp,
  flowCookieOf,
  realisticPropagation,
  registerTestMicrosoftApp,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import type { Emulator } from "../../../emulator/index.ts";
import {
  enterpriseAdmins,
  enterprises,
  events,
  invitations,
  microsoftFlows,
  workflowRuns,
} from "../../db/schema/index.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";
import {
  requestedAppPermissions,
  requiredAppPermissions,
} from "../../integrations/microsoft/config.ts";
import { FormBrowser } from "../../integrations/microsoft/microsoft.test-support.ts";
import { enterpriseBody, lastInvitationMail } from "../enterprises/enterprises.test-support.ts";
import { anotherAddress, finishAsBrowser, pollFinish } from "./registration.test-support.ts";

let t: TestApp;
let emulator: Emulator;
let world: World;
let reseller: Client;
let anonymous: Client;
let entitlements: { regionIds: string[]; pbxTypeIds: string[] };
const password = "Passw0rd!emulator";
const registerTestApp = (appRoles: readonly string[]) =>
  registerTestMicrosoftApp(emulator, t.services, appRoles);

beforeAll(async () => {
  t = await createTestApp({ microsoft: true });
  emulator = t.emulator!;
  world = await buildWorld(t.services.db);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
  anonymous = clientOf(t.app, undefined, anotherAddress);
  entitlements = {
    regionIds: world.regions.map((r) => r.id),
    pbxTypeIds: [world.pbxTypes[0]!.id],
  };
});
afterAll(() => t.close());

let n = 0;

/** A fresh Microsoft tenant with a Global Administrator and an ordinary user. */
function seedTenant(options: { isPersonal?: boolean } = {}) {
  const domain = `tenant${++n}.example`;
  const seeded = emulator.control.seedTenant({
    displayName: `Tenant ${n}`,
    domain,
    ...(options.isPersonal ? { isPersonal: true } : {}),
    users: [
      {
        userPrincipalName: `admin@${domain}`,
        displayName: "Global Admin",
        password,
        ...(options.isPersonal ? {} : { roles: ["globalAdministrator" as const] }),
      },
      { userPrincipalName: `user@${domain}`, displayName: "Plain User", password },
    ],
  });
  return { ...seeded, admin: `admin@${domain}`, user: `user@${domain}` };
}

/** An enterprise added by reseller A, and its invitation e-mail's code and link token. */
async function invite() {
  const res = await reseller.post(
    `/api/v1/resellers/${world.a.reseller.id}/enterprises`,
    enterpriseBody(`reg${++n}`, entitlements),
  );
  expect(res.status).toBe(201);
  const enterprise = res.body as { id: string; name: string; adminEmail: string };
  await t.services.drain("invitations.send-email");
  return { enterprise, ...lastInvitationMail(t.services.mailer, enterprise.adminEmail) };
}

/** The `tg_ms_flow` cookie of the test's browser, set by "Sign in with Microsoft". */
let browserCookie = "";

/** Follows one of our redirect routes in-process, as the test's browser: where it sends it. */
async function follow(url: URL, cookie = browserCookie): Promise<string> {
  const res = await t.app.inject({
    method: "GET",
    url: `${url.pathname}${url.search}`,
    headers: cookie ? { cookie } : {},
    remoteAddress: anotherAddress(),
  });
  expect(res.statusCode).toBe(302);
  return String(res.headers.location);
}

interface Journey {
  browser: FormBrowser;
  /** This journey's browser's flow cookie. */
  cookie: string;
  /** Where round 1's callback sent the browser (admin consent, or a page of ours). */
  afterRound1: string;
  round1Redirect: URL;
}

/** "Sign in with Microsoft", the sign-in and consent pages, and our round-1 callback. */
async function round1(
  invitation: { token: string; code: string },
  login: string,
  decision: "accept" | "cancel" = "accept",
): Promise<Journey> {
  const journey = await microsoftRound1(invitation, login, decision);
  return { ...journey, afterRound1: await follow(journey.round1Redirect, journey.cookie) };
}

/** Round 1 up to Microsoft's redirect back to us (not followed). */
async function microsoftRound1(
  invitation: { token: string; code: string },
  login: string,
  decision: "accept" | "cancel" = "accept",
): Promise<Omit<Journey, "afterRound1">> {
  const start = await anonymous.post("/api/v1/enterprise-invitations/sign-in", {
    token: invitation.token,
    code: invitation.code,
  });
  expect(start.status).toBe(200);
  browserCookie = flowCookieOf(start.headers["set-cookie"]);
  const url = new URL(start.body.url);
  expect(url.searchParams.get("prompt")).toBe("consent");
  expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  expect(url.searchParams.get("nonce")).toBeTruthy();
  expect(url.searchParams.get("scope")?.split(" ").sort()).toEqual(
    [
      "offline_access",
      "openid",
      "profile",
      "User.Read",
      "RoleManagement.Read.Directory",
      // Used once, as the Global Administrator, for the Teams Administrator role.
      "Application.Read.All",
      "RoleManagement.ReadWrite.Directory",
    ].sort(),
  );
  expect(url.pathname).toBe("/organizations/oauth2/v2.0/authorize");
  const browser = new FormBrowser(emulator.caPem, [t.services.publicUrl]);
  expect(await browser.open(url.toString())).toBeNull();
  let landed = await browser.submit({ login, passwd: password });
  if (!landed && browser.has("AADSTS90094")) {
    // "Need admin approval": the person returns to the application without granting consent.
    const back = /<a id="back" href="([^"]*)"/.exec(browser.html)?.[1] ?? "";
    landed = await browser.open(back.replace(/&amp;/g, "&"));
  } else if (!landed) {
    if (!browser.has('name="accept"'))
      throw new Error(`Microsoft stopped the sign-in:\n${browser.html.slice(0, 1500)}`);
    landed = await browser.submit(
      decision === "cancel"
        ? { cancel: "1" }
        : // "Consent on behalf of your organization" is offered to a Global Administrator only.
          {
            accept: "1",
            ...(browser.has('name="consent_on_behalf"') ? { consent_on_behalf: "1" } : {}),
          },
    );
  }
  if (!landed) throw new Error(`no redirect after round 1:\n${browser.html.slice(0, 1500)}`);
  return { browser, cookie: browserCookie, round1Redirect: landed };
}

/**
 * Round 2: the admin consent screen (Accept or Cancel) and our consent callback, then, while
 * Microsoft applies the consent, the finishing page. `page` is where the browser ends up.
 */
async function round2(journey: Journey, decision: "accept" | "cancel" = "accept") {
  const landed = await adminConsentRedirect(journey, decision);
  const callback = await follow(landed, journey.cookie);
  if (callback !== finishing()) return { landed, callback, page: callback, polls: 0 };
  const done = await finishAsBrowser(t, journey.cookie);
  return { landed, callback, page: done.location, polls: done.polls };
}

/** The admin consent screen, up to Microsoft's redirect back to us (not followed). */
async function adminConsentRedirect(journey: Journey, decision: "accept" | "cancel" = "accept") {
  const { browser } = journey;
  expect(journey.afterRound1).toContain("/v2.0/adminconsent?");
  let landed = await browser.open(journey.afterRound1);
  if (!landed)
    landed = await browser.submit(decision === "accept" ? { accept: "1" } : { cancel: "1" });
  if (!landed) throw new Error(`no redirect after round 2:\n${browser.html.slice(0, 1500)}`);
  await browser.close();
  return landed;
}

const finishing = () => `${t.services.publicUrl}/complete/finishing`;

/** One poll of the finishing page by this journey's browser. */
async function poll(journey: { cookie: string }) {
  return (await pollFinish(t, journey.cookie)).body;
}

/**
 * After Microsoft applied the consent: one poll still pending, then the waiting window ends and
 * the last poll says where the browser goes.
 */
async function pendingUntilTheWindowEnds(journey: { cookie: string }, enterpriseId: string) {
  await new Promise((resolve) => setTimeout(resolve, realisticPropagation.consentMs + 100));
  expect(await poll(journey)).toEqual({ status: "pending" });
  await endWaitingWindow(enterpriseId);
  return poll(journey);
}

/** Ends the waiting window of the enterprise's flow, as if minutes had passed. */
async function endWaitingWindow(enterpriseId: string) {
  await t.services.db
    .update(microsoftFlows)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(eq(microsoftFlows.enterpriseId, enterpriseId));
}

const failed = (reason: string) => `${t.services.publicUrl}/complete/failed?reason=${reason}`;

/** Nothing is bound: still invited, no tenant, the invitation unused, no enterprise admin. */
async function expectNothingBound(enterpriseId: string) {
  const [row] = await t.services.db
    .select()
    .from(enterprises)
    .where(eq(enterprises.id, enterpriseId));
  expect(row).toMatchObject({ status: "invited", tenantId: null, registeredAt: null });
  const [invitation] = await t.services.db
    .select()
    .from(invitations)
    .where(eq(invitations.targetId, enterpriseId));
  expect(invitation?.usedAt).toBeNull();
  const admins = await t.services.db
    .select()
    .from(enterpriseAdmins)
    .where(eq(enterpriseAdmins.enterpriseId, enterpriseId));
  expect(admins).toEqual([]);
  // Nor is the Teams Administrator role's workflow started (it commits with the registration only).
  const runs = await t.services.db
    .select()
    .from(workflowRuns)
    .where(eq(workflowRuns.subjectId, enterpriseId));
  expect(runs).toEqual([]);
}

describe("Enterprise registration: both Microsoft rounds", () => {
  it("registers the enterprise: tenant bound, permissions and admin recorded, invitation used", async () => {
    const tenant = seedTenant();
    const invitation = await invite();
    const journey = await round1(invitation, tenant.admin);
    const adminConsent = new URL(journey.afterRound1);
    expect(adminConsent.pathname).toBe(`/${tenant.tenantId}/v2.0/adminconsent`);
    expect(adminConsent.searchParams.get("scope")).toBe("https://graph.microsoft.com/.default");
    const { landed, callback, page, polls } = await round2(journey);
    // Microsoft takes a while to apply the consent: the browser waits on the finishing page,
    // which polls (pending at least once), and the single-use flow survives the wait.
    expect(callback).toBe(finishing());
    expect(polls).toBeGreaterThan(1);
    // Registration signs the Global Administrator in and asks for the groups to sync.
    expect(page).toBe(`${t.services.publicUrl}/enterprise/groups?registered=1`);

    const [row] = await t.services.db
      .select()
      .from(enterprises)
      .where(eq(enterprises.id, invitation.enterprise.id));
    expect(row).toMatchObject({
      status: "registered",
      tenantId: tenant.tenantId,
      tenantName: tenant.tenantId ? expect.stringMatching(/^Tenant \d+$/) : "",
      registeredAt: expect.any(Date),
    });
    // Exactly what Microsoft granted, read from a fresh token after the wait.
    expect(row?.grantedPermissions).toEqual([...requestedAppPermissions].sort());
    // The Global Administrator's delegated token was kept only while registration ran.
    const flows = await t.services.db
      .select()
      .from(microsoftFlows)
      .where(eq(microsoftFlows.enterpriseId, invitation.enterprise.id));
    expect(flows).toEqual([
      expect.objectContaining({ usedAt: expect.any(Date), sealedGraphToken: null }),
    ]);
    const [invitationRow] = await t.services.db
      .select()
      .from(invitations)
      .where(eq(invitations.targetId, invitation.enterprise.id));
    expect(invitationRow?.usedAt).toBeInstanceOf(Date);
    const admins = await t.services.db
      .select()
      .from(enterpriseAdmins)
      .where(eq(enterpriseAdmins.enterpriseId, invitation.enterprise.id));
    expect(admins).toEqual([
      expect.objectContaining({
        oid: tenant.users.find((u) => u.userPrincipalName === tenant.admin)?.id,
        upn: tenant.admin,
        name: "Global Admin",
        roles: expect.arrayContaining(["62e90394-69f5-4237-9190-012177145e10"]),
      }),
    ]);
    const audit = await t.services.db
      .select(auditColumns)
      .from(events)
      .where(eq(events.subjectId, invitation.enterprise.id));
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        "enterprise.registration_started",
        "enterprise.registration_signed_in",
        "enterprise.registered",
      ]),
    );

    // The reseller sees it registered.
    const seen = await reseller.get(`/api/v1/enterprises/${invitation.enterprise.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.status).toBe("registered");

    // Replaying either redirect is refused; the invitation cannot start another sign-in.
    expect(await follow(landed)).toBe(failed("state_invalid"));
    expect(await follow(journey.round1Redirect)).toBe(failed("state_invalid"));
    const again = await anonymous.post("/api/v1/enterprise-invitations/sign-in", {
      token: invitation.token,
      code: invitation.code,
    });
    expect(again.status).toBe(410);
  });

  it("honours Microsoft's redirects only in the browser that started the flow", async () => {
    const tenant = seedTenant();
    const invitation = await invite();
    const journey = await microsoftRound1(invitation, tenant.admin);
    // A forged link carrying this flow's code and state, opened in another browser: refused.
    expect(await follow(journey.round1Redirect, "")).toBe(failed("state_invalid"));
    expect(
      await follow(journey.round1Redirect, "tg_ms_flow=someone-elses-browser-cookie-value-x"),
    ).toBe(failed("state_invalid"));
    // The flow is untouched: its own browser completes both rounds.
    const afterRound1 = await follow(journey.round1Redirect);
    expect(afterRound1).toContain("/v2.0/adminconsent?");
    let landed = await journey.browser.open(afterRound1);
    if (!landed) landed = await journey.browser.submit({ accept: "1" });
    await journey.browser.close();
    expect(await follow(landed!, "")).toBe(failed("state_invalid"));
    expect(await follow(landed!)).toBe(finishing());
    // Another browser cannot finish it either.
    expect(await poll({ cookie: "" })).toEqual({
      status: "done",
      location: failed("state_invalid"),
    });
    expect((await finishAsBrowser(t, journey.cookie)).location).toBe(
      `${t.services.publicUrl}/enterprise/groups?registered=1`,
    );
  });

  it("refuses a wrong code before Microsoft (400) and an unknown link (410)", async () => {
    const invitation = await invite();
    const wrong = await anonymous.post("/api/v1/enterprise-invitations/sign-in", {
      token: invitation.token,
      code: invitation.code === "AAAA-AAAA" ? "BBBB-BBBB" : "AAAA-AAAA",
    });
    expect(wrong.status).toBe(400);
    expect(Object.keys(wrong.body.fields)).toEqual(["code"]);
    const unknown = await anonymous.post("/api/v1/enterprise-invitations/sign-in", {
      token: "a".repeat(43),
      code: invitation.code,
    });
    expect(unknown.status).toBe(410);
    const bad = await anonymous.post("/api/v1/enterprise-invitations/sign-in", { token: "x" });
    expect(bad.status).toBe(400);
  });

  it("consent declined at round 1 → consent_declined, nothing bound", async () => {
    const tenant = seedTenant();
    const invitation = await invite();
    const journey = await round1(invitation, tenant.admin, "cancel");
    await journey.browser.close();
    expect(journey.afterRound1).toBe(failed("consent_declined"));
    await expectNothingBound(invitation.enterprise.id);
  });

  it("consent declined at round 2 → consent_declined, nothing bound", async () => {
    const tenant = seedTenant();
    const invitation = await invite();
    const journey = await round1(invitation, tenant.admin);
    const { page } = await round2(journey, "cancel");
    expect(page).toBe(failed("consent_declined"));
    await expectNothingBound(invitation.enterprise.id);
  });

  it("a user without Global Administrator → not_global_admin, nothing bound", async () => {
    const tenant = seedTenant();
    const invitation = await invite();
    const journey = await round1(invitation, tenant.user);
    await journey.browser.close();
    expect(journey.afterRound1).toBe(failed("not_global_admin"));
    await expectNothingBound(invitation.enterprise.id);
  });

  it("a personal Microsoft account is stopped by Microsoft (organizations authority), nothing bound", async () => {
    const tenant = seedTenant({ isPersonal: true });
    const invitation = await invite();
    const error = await microsoftRound1(invitation, tenant.admin).catch((e: Error) => e);
    expect(String(error)).toContain("AADSTS500200");
    await expectNothingBound(invitation.enterprise.id);
  });

  it("decides round 1's errors from error and error_subcode, never from the description", async () => {
    const cases = [
      // Cancelled on the consent screen.
      [{ error: "access_denied", error_subcode: "cancel" }, "consent_declined"],
      // Any other refusal: an administrator must approve (whatever AADSTS text comes with it).
      [{ error: "access_denied", error_description: "AADSTS65004: declined" }, "not_global_admin"],
      [{ error: "consent_required" }, "not_global_admin"],
      [{ error: "temporarily_unavailable" }, "microsoft_unavailable"],
    ] as const;
    for (const [params, reason] of cases) {
      const tenant = seedTenant();
      const invitation = await invite();
      const journey = await microsoftRound1(invitation, tenant.admin);
      await journey.browser.close();
      const redirect = new URL(journey.round1Redirect);
      const state = redirect.searchParams.get("state") ?? "";
      redirect.search = new URLSearchParams({ ...params, state }).toString();
      expect(await follow(redirect, journey.cookie)).toBe(failed(reason));
      await expectNothingBound(invitation.enterprise.id);
    }
  });

  it("waits for Microsoft, then gives up with consent_not_effective; nothing bound, the invitation still good", async () => {
    emulator.control.setPropagation({ consentMs: 10 * 60_000 });
    const tenant = seedTenant();
    const invitation = await invite();
    try {
      const journey = await round1(invitation, tenant.admin);
      expect(await follow(await adminConsentRedirect(journey), journey.cookie)).toBe(finishing());
      expect(await poll(journey)).toEqual({ status: "pending" });
      expect(await poll(journey)).toEqual({ status: "pending" });
      await endWaitingWindow(invitation.enterprise.id);
      expect(await poll(journey)).toEqual({
        status: "done",
        location: failed("consent_not_effective"),
      });
      await expectNothingBound(invitation.enterprise.id);
    } finally {
      emulator.control.setPropagation(realisticPropagation);
    }
  });

  it("refuses a grant that lacks a required permission: permissions_missing, what was granted audited", async () => {
    const partial = requiredAppPermissions.filter((p) => p !== "GroupMember.Read.All");
    registerTestApp(partial);
    const tenant = seedTenant();
    const invitation = await invite();
    try {
      const journey = await round1(invitation, tenant.admin);
      expect(await follow(await adminConsentRedirect(journey), journey.cookie)).toBe(finishing());
      // Even once the consent took effect, a permission is missing: still not registered.
      expect(await pendingUntilTheWindowEnds(journey, invitation.enterprise.id)).toEqual({
        status: "done",
        location: failed("permissions_missing"),
      });
      await expectNothingBound(invitation.enterprise.id);
      const audit = await t.services.db
        .select(auditColumns)
        .from(events)
        .where(eq(events.subjectId, invitation.enterprise.id));
      const failure = audit.find((a) => a.action === "enterprise.registration_failed");
      // What Microsoft granted is kept: all but the missing permission.
      expect(failure?.after).toMatchObject({
        reason: "permissions_missing",
        detail: expect.stringContaining("Organization.Read.All"),
      });
      expect(failure?.after).not.toMatchObject({
        detail: expect.stringContaining("GroupMember.Read.All"),
      });
    } finally {
      registerTestApp(requestedAppPermissions);
    }
  });

  it("a tenant bound to another enterprise → tenant_already_bound at round 1 or round 2", async () => {
    const tenant = seedTenant();
    const first = await invite();
    const second = await invite();
    const third = await invite();
    // The second enterprise passes round 1 while the tenant is still free.
    const pending = await round1(second, tenant.admin);
    expect(pending.afterRound1).toContain("/v2.0/adminconsent?");
    const done = await round2(await round1(first, tenant.admin));
    expect(done.page).toContain("/enterprise/groups?registered=1");
    // Round 2 of the second one now finds the tenant taken.
    expect((await round2(pending)).page).toBe(failed("tenant_already_bound"));
    await expectNothingBound(second.enterprise.id);
    // And a later round 1 is refused straight away.
    const late = await round1(third, tenant.admin);
    await late.browser.close();
    expect(late.afterRound1).toBe(failed("tenant_already_bound"));
    await expectNothingBound(third.enterprise.id);
  });

  it("an unknown, missing or replayed state → state_invalid", async () => {
    const base = t.services.publicUrl;
    expect(
      await follow(
        new URL(`${base}${t.services.env.MS_REDIRECT_PATH}?code=x&state=${"s".repeat(43)}`),
      ),
    ).toBe(failed("state_invalid"));
    expect(await follow(new URL(`${base}${t.services.env.MS_REDIRECT_PATH}?code=x`))).toBe(
      failed("state_invalid"),
    );
    expect(
      await follow(
        new URL(
          `${base}${t.services.env.MS_ADMIN_CONSENT_REDIRECT_PATH}?admin_consent=True&tenant=${"0".repeat(8)}&state=nope`,
        ),
      ),
    ).toBe(failed("state_invalid"));

    // A round-1 redirect replayed after it was used ends on state_invalid, and binds nothing.
    const tenant = seedTenant();
    const invitation = await invite();
    const journey = await round1(invitation, tenant.user);
    await journey.browser.close();
    expect(journey.afterRound1).toBe(failed("not_global_admin"));
    expect(await follow(journey.round1Redirect)).toBe(failed("state_invalid"));
    await expectNothingBound(invitation.enterprise.id);
  });

  it("a flow older than 15 minutes → state_invalid at round 2, nothing bound", async () => {
    const tenant = seedTenant();
    const invitation = await invite();
    const journey = await round1(invitation, tenant.admin);
    await t.services.db
      .update(microsoftFlows)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(microsoftFlows.enterpriseId, invitation.enterprise.id));
    const { page } = await round2(journey);
    expect(page).toBe(failed("state_invalid"));
    await expectNothingBound(invitation.enterprise.id);
  });

  it("Microsoft unavailable (Graph 503 on /organization) for the whole wait → microsoft_unavailable; a retry then succeeds", async () => {
    const tenant = seedTenant();
    const invitation = await invite();
    const journey = await round1(invitation, tenant.admin);
    const fault = emulator.control.injectFault({
      method: "GET",
      path: "^/v1\\.0/organization",
      status: 503,
    });
    expect(fault).toBeTruthy();
    try {
      expect(await follow(await adminConsentRedirect(journey), journey.cookie)).toBe(finishing());
      // The consent took effect, but Graph keeps failing: pending, then unavailable.
      expect(await pendingUntilTheWindowEnds(journey, invitation.enterprise.id)).toEqual({
        status: "done",
        location: failed("microsoft_unavailable"),
      });
    } finally {
      emulator.control.clearFaults();
    }
    await expectNothingBound(invitation.enterprise.id);
    const [flow] = await t.services.db
      .select()
      .from(microsoftFlows)
      .where(eq(microsoftFlows.enterpriseId, invitation.enterprise.id));
    expect(flow).toMatchObject({ failure: "microsoft_unavailable", usedAt: expect.any(Date) });

    // The invitation is still good: the administrator starts again and completes.
    const retry = await round2(await round1(invitation, tenant.admin));
    expect(retry.page).toContain("/enterprise/groups?registered=1");
  });
});
