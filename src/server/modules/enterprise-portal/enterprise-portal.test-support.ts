import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { type Client, clientOf, flowCookieOf, type TestApp } from "../../../../test/harness.ts";
import { enterprises } from "../../db/schema/index.ts";
import type { World } from "../../db/seed/factories.ts";
import { FormBrowser } from "../../integrations/microsoft/microsoft.test-support.ts";
import { registerEnterprise } from "../registration/registration.test-support.ts";

export const password = "Passw0rd!emulator";

/** A registered enterprise (consent requested) with a Teams Administrator, a user and groups. */
export async function registered(t: TestApp, world: World, reseller: Client) {
  const r = await registerEnterprise(t, world, reseller);
  await t.services.db
    .update(enterprises)
    .set({ requestManagementConsent: true })
    .where(eq(enterprises.id, r.enterpriseId));
  const control = t.emulator!.control;
  control.addUser(r.tenantId, {
    userPrincipalName: `teams-admin@${r.domain}`,
    displayName: "Teams Admin",
    password,
    roles: ["teamsAdministrator"],
  });
  control.addUser(r.tenantId, {
    userPrincipalName: `alice@${r.domain}`,
    displayName: "Alice",
    password,
    licenses: ["teams", "teamsPhone"],
    groups: ["Sales"],
  });
  const engineering = control.addGroup(r.tenantId, "Engineering");
  const sales = control.addGroup(r.tenantId, "Sales");
  return { ...r, groups: { engineering: engineering.id, sales: sales.id } };
}

/**
 * The portal sign-in through the emulator's forms; where our redirect sends the browser. With
 * `forged`, the redirect is first opened in another browser (no flow cookie), which must fail.
 */
export async function portalSignIn(t: TestApp, login: string, options: { forged?: boolean } = {}) {
  const start = await clientOf(t.app).post("/api/v1/auth/microsoft/sign-in");
  expect(start.status).toBe(200);
  const cookie = flowCookieOf(start.headers["set-cookie"]);
  const url = new URL(start.body.url);
  expect(url.pathname).toBe("/organizations/oauth2/v2.0/authorize");
  const browser = new FormBrowser(t.emulator!.caPem, [t.services.publicUrl]);
  try {
    expect(await browser.open(start.body.url)).toBeNull();
    let landed = await browser.submit({ login, passwd: password });
    if (!landed) landed = await browser.submit({ accept: "1" });
    if (!landed) throw new Error(`no redirect:\n${browser.html.slice(0, 1500)}`);
    if (options.forged) {
      const forged = await t.app.inject({
        method: "GET",
        url: `${landed.pathname}${landed.search}`,
      });
      expect(forged.headers.location).toBe(
        `${t.services.publicUrl}/enterprise/sign-in?error=state_invalid`,
      );
      expect(forged.headers["set-cookie"]).toBeUndefined();
    }
    const res = await t.app.inject({
      method: "GET",
      url: `${landed.pathname}${landed.search}`,
      headers: { cookie },
    });
    expect(res.statusCode).toBe(302);
    return {
      location: String(res.headers.location),
      setCookie: res.headers["set-cookie"],
      cacheControl: res.headers["cache-control"],
      /** The same redirect again, in the same browser. */
      replay: () =>
        t.app.inject({
          method: "GET",
          url: `${landed!.pathname}${landed!.search}`,
          headers: { cookie },
        }),
    };
  } finally {
    await browser.close();
  }
}
