/**
 * The enterprise portal's sign-in with Microsoft, against the emulator over real HTTPS (msal-node,
 * id-token verification). Each file has its own app, so the per-address rate limits stay apart.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditColumns } from "../../../../test/events.ts";
import {
  type Client,
  clientOf,
  clientWithSessionCookie,
  createTestApp,
  flowCookieOf,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import { events } from "../../db/schema/index.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";
import { password, portalSignIn, registered } from "./enterprise-portal.test-support.ts";

let t: TestApp;
let world: World;
let reseller: Client;
let _master: Client;

beforeAll(async () => {
  t = await createTestApp({ microsoft: true });
  world = await buildWorld(t.services.db);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
  _master = await signIn(t.app, world.a.masterAdmin.username);
});
afterAll(() => t.close());

const signInPage = (reason: string) => `${t.services.publicUrl}/enterprise/sign-in?error=${reason}`;

describe("Enterprise portal: sign-in with Microsoft", () => {
  it("registration signs the Global Administrator in as an enterprise admin", async () => {
    const { enterpriseId, admin } = await registered(t, world, reseller);
    const session = await admin.get("/api/v1/auth/session");
    expect(session.body).toMatchObject({
      kind: "enterprise_admin",
      enterprise: { id: enterpriseId },
      abilities: expect.arrayContaining(["management_consent.manage", "users.sync"]),
    });
    expect((await admin.get(`/api/v1/enterprises/${enterpriseId}/overview`)).status).toBe(200);
  });

  it("signs in a Global Administrator and a Teams Administrator of a registered tenant later", async () => {
    const { enterpriseId, domain } = await registered(t, world, reseller);
    for (const login of [`admin@${domain}`, `teams-admin@${domain}`]) {
      // A forged copy of the redirect in another browser fails first; the real one still works.
      const outcome = await portalSignIn(t, login, { forged: true });
      expect(outcome.location).toBe(`${t.services.publicUrl}/enterprise`);
      // The redirect that opens the session is never stored by a cache (issue 7).
      expect(outcome.cacheControl).toBe("no-store");
      const client = await clientWithSessionCookie(t.app, outcome.setCookie);
      const session = await client.get("/api/v1/auth/session");
      expect(session.body).toMatchObject({
        kind: "enterprise_admin",
        admin: { email: login },
        enterprise: { id: enterpriseId },
      });
      // The state is single-use.
      const replay = await outcome.replay();
      expect(replay.headers.location).toBe(signInPage("state_invalid"));
      expect(replay.headers["set-cookie"]).toBeUndefined();
    }
    const [entry] = await t.services.db
      .select(auditColumns)
      .from(events)
      .where(
        sql`${events.enterpriseId} = ${enterpriseId} and ${events.name} = 'enterprise_admin.signed_in'`,
      );
    expect(entry?.actorLabel).toContain("admin@");
  });

  it("refuses users without an admin role, unregistered tenants and cancelled sign-ins", async () => {
    const { domain, tenantId } = await registered(t, world, reseller);
    const user = await portalSignIn(t, `alice@${domain}`);
    expect(user.location).toBe(signInPage("not_enterprise_admin"));
    expect(user.setCookie).toBeUndefined();

    const other = t.emulator!.control.seedTenant({
      displayName: "Unregistered",
      domain: `unregistered${process.pid}.example`,
      users: [
        {
          userPrincipalName: `ga@unregistered${process.pid}.example`,
          displayName: "GA",
          password,
          roles: ["globalAdministrator"],
        },
      ],
    });
    expect(other.tenantId).not.toBe(tenantId);
    const stranger = await portalSignIn(t, `ga@unregistered${process.pid}.example`);
    expect(stranger.location).toBe(signInPage("not_registered"));

    // The person cancels at Microsoft: the redirect carries an error and the state.
    const start = await clientOf(t.app).post("/api/v1/auth/microsoft/sign-in");
    const state = new URL(start.body.url).searchParams.get("state")!;
    const cancelled = await t.app.inject({
      method: "GET",
      url: `${t.services.env.MS_REDIRECT_PATH}?error=access_denied&state=${state}`,
      headers: { cookie: flowCookieOf(start.headers["set-cookie"]) },
    });
    expect(cancelled.headers.location).toBe(signInPage("consent_declined"));
  });

  it("ends the sessions of a disabled enterprise and refuses its sign-ins", async () => {
    const { enterpriseId, domain, admin } = await registered(t, world, reseller);
    expect((await reseller.post(`/api/v1/enterprises/${enterpriseId}/disable`)).status).toBe(200);
    expect((await admin.get("/api/v1/auth/session")).status).toBe(401);
    expect((await portalSignIn(t, `admin@${domain}`)).location).toBe(
      signInPage("enterprise_disabled"),
    );
  });

  it("keeps enterprise admins out of the service provider's routes", async () => {
    const { admin } = await registered(t, world, reseller);
    for (const url of ["/api/v1/enterprises", "/api/v1/resellers", "/api/v1/audit"]) {
      const res = await admin.get(url);
      expect(res.status, url).toBe(403);
      expect(res.body.code).toBe("forbidden");
    }
  });
  it("ends on a clear page, opening no session, when Microsoft is unavailable", async () => {
    // Its own app: after a 5xx, msal answers this kind of request from its throttling cache for a
    // minute (the same answer, without calling Microsoft), which would fail the other tests.
    const own = await createTestApp({ microsoft: true });
    try {
      const ownWorld = await buildWorld(own.services.db);
      const ownReseller = await signIn(own.app, ownWorld.a.resellerAdmin.username);
      const { domain } = await registered(own, ownWorld, ownReseller);
      own.emulator!.control.injectFault({ path: "/oauth2/v2\\.0/token", status: 503 });
      const outcome = await portalSignIn(own, `admin@${domain}`);
      expect(outcome.location).toBe(
        `${own.services.publicUrl}/enterprise/sign-in?error=microsoft_unavailable`,
      );
      expect(outcome.setCookie).toBeUndefined();
      // Microsoft is back, but msal still answers from its cache: the same clear page.
      own.emulator!.control.clearFaults();
      const again = await portalSignIn(own, `admin@${domain}`);
      expect(again.location).toBe(
        `${own.services.publicUrl}/enterprise/sign-in?error=microsoft_unavailable`,
      );
    } finally {
      await own.close();
    }
  });
});
