import { sql } from "drizzle-orm";
import { expect } from "vitest";
import {
  type Client,
  clientOf,
  clientWithSessionCookie,
  flowCookieOf,
  type TestApp,
} from "../../../../test/harness.ts";
import type { RegistrationFinishState } from "../../../shared/contracts/registration.ts";
import type { World } from "../../db/seed/factories.ts";
import { FormBrowser } from "../../integrations/microsoft/microsoft.test-support.ts";
import { enterpriseBody, lastInvitationMail } from "../enterprises/enterprises.test-support.ts";

const password = "Passw0rd!emulator";
let n = 0;

/** Follows one of our redirect routes in-process: where it sends the browser. */
async function follow(t: TestApp, url: URL, cookie: string): Promise<string> {
  return String((await followWithCookie(t, url, cookie)).location);
}

async function followWithCookie(t: TestApp, url: URL, cookie: string) {
  const res = await t.app.inject({
    method: "GET",
    url: `${url.pathname}${url.search}`,
    headers: { cookie },
  });
  expect(res.statusCode).toBe(302);
  return { location: String(res.headers.location), setCookie: res.headers["set-cookie"] };
}

let addresses = 0;
/** A client address of its own per request: the public Microsoft routes are rate-limited per address. */
export function anotherAddress(): string {
  addresses += 1;
  return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`;
}

/** One poll of the finishing page by the browser holding `cookie` (never cached). */
export async function pollFinish(t: TestApp, cookie: string) {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/enterprise-invitations/finish",
    headers: { cookie },
    remoteAddress: anotherAddress(),
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers["cache-control"]).toBe("no-store");
  return { body: res.json() as RegistrationFinishState, setCookie: res.headers["set-cookie"] };
}

/**
 * The "Finishing the connection…" page as the browser runs it: polls until Microsoft applied the
 * admin consent (or registration gave up). Returns where the browser goes and the cookies set.
 */
export async function finishAsBrowser(
  t: TestApp,
  cookie: string,
  { intervalMs = 150, maxPolls = 100 } = {},
): Promise<{ location: string; setCookie: string | string[] | undefined; polls: number }> {
  for (let polls = 1; polls <= maxPolls; polls++) {
    const { body, setCookie } = await pollFinish(t, cookie);
    if (body.status === "done") return { location: body.location, setCookie, polls };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`registration still pending after ${maxPolls} polls`);
}

/**
 * Follows round 2's redirect, then, while Microsoft applies the consent, the finishing page.
 */
export async function completeRound2(t: TestApp, landed: URL, cookie: string) {
  const back = await followWithCookie(t, landed, cookie);
  if (!back.location.endsWith("/complete/finishing")) return back;
  return finishAsBrowser(t, cookie);
}

/**
 * A fresh emulator tenant and an enterprise of reseller A registered with it through both
 * Microsoft rounds (the Global Administrator accepts everything). Returns the ids and the Global
 * Administrator's portal session (registration signs them in). `beforeSignIn` sees the new
 * tenant first (to inject faults into it).
 */
export async function registerEnterprise(
  t: TestApp,
  world: World,
  reseller: Client,
  { beforeSignIn }: { beforeSignIn?: (tenantId: string) => void } = {},
): Promise<{ enterpriseId: string; tenantId: string; domain: string; admin: Client }> {
  const emulator = t.emulator!;
  const tag = `${process.pid}x${++n}`;
  const domain = `role${tag}.example`;
  const tenant = emulator.control.seedTenant({
    displayName: `Role tenant ${tag}`,
    domain,
    users: [
      {
        userPrincipalName: `admin@${domain}`,
        displayName: "Global Admin",
        password,
        roles: ["globalAdministrator"],
      },
    ],
  });
  beforeSignIn?.(tenant.tenantId);
  const res = await reseller.post(
    `/api/v1/resellers/${world.a.reseller.id}/enterprises`,
    enterpriseBody(`role${tag}`, {
      regionIds: world.regions.map((r) => r.id),
      pbxTypeIds: [world.pbxTypes[0]!.id],
    }),
  );
  expect(res.status).toBe(201);
  const enterprise = res.body as { id: string; adminEmail: string };
  await t.services.drain("invitations.send-email");
  const invitation = lastInvitationMail(t.services.mailer, enterprise.adminEmail);

  const start = await clientOf(t.app).post("/api/v1/enterprise-invitations/sign-in", {
    token: invitation.token,
    code: invitation.code,
  });
  expect(start.status).toBe(200);
  const cookie = flowCookieOf(start.headers["set-cookie"]);
  const browser = new FormBrowser(emulator.caPem, [t.services.publicUrl]);
  let admin: Client;
  try {
    expect(await browser.open(start.body.url)).toBeNull();
    let landed = await browser.submit({ login: `admin@${domain}`, passwd: password });
    if (!landed) landed = await browser.submit({ accept: "1", consent_on_behalf: "1" });
    if (!landed) throw new Error(`no redirect after round 1:\n${browser.html.slice(0, 1500)}`);
    const adminConsent = await follow(t, landed, cookie);
    expect(adminConsent).toContain("/v2.0/adminconsent?");
    landed = await browser.open(adminConsent);
    if (!landed) landed = await browser.submit({ accept: "1" });
    if (!landed) throw new Error(`no redirect after round 2:\n${browser.html.slice(0, 1500)}`);
    const done = await completeRound2(t, landed, cookie);
    expect(done.location).toContain("/enterprise/groups?registered=1");
    admin = await clientWithSessionCookie(t.app, done.setCookie);
  } finally {
    await browser.close();
  }
  return { enterpriseId: enterprise.id, tenantId: tenant.tenantId, domain, admin };
}

/**
 * Runs the queued workflow steps (the Teams Administrator role's) as a worker would, until none is
 * due; with `waitsElapse`, a step's wait is cut short, a few hundred milliseconds at a time.
 */
export async function runWorkflows(t: TestApp, { waitsElapse = true } = {}): Promise<void> {
  for (let round = 0; round < 60; round++) {
    if (waitsElapse)
      await t.services.db.execute(
        sql`UPDATE pgboss.job SET start_after = now() WHERE name = 'workflows.advance' AND state IN ('created', 'retry') AND start_after > now()`,
      );
    const ran = await t.services.drain("workflows.advance");
    if (ran === 0 && !(waitsElapse && (await hasQueuedAdvance(t)))) return;
    // Time passes between checks (a step may give up after a number of them).
    if (waitsElapse) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("workflows still running after 60 rounds");
}

async function hasQueuedAdvance(t: TestApp): Promise<boolean> {
  const result = (await t.services.db.execute(
    sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'workflows.advance' AND state IN ('created', 'retry')`,
  )) as unknown as { rows: { n: number }[] };
  return (result.rows[0]?.n ?? 0) > 0;
}
