import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientOf, createTestApp, signIn, type TestApp } from "../../../../test/harness.ts";
import { accounts, sessions } from "../../db/schema/index.ts";
import { buildAccount, buildWorld, defaultPassword, type World } from "../../db/seed/factories.ts";
import { hashToken } from "../../lib/secrets.ts";

/** What the security probe of issue 7 found in sign-in, sessions and password resets. */

let t: TestApp;
let world: World;

beforeAll(async () => {
  t = await createTestApp({
    env: { LOGIN_MAX_FAILURES: "3", LOGIN_LOCK_MINUTES: "15", SESSION_RATE_LIMIT_PER_MINUTE: "50" },
  });
  world = await buildWorld(t.services.db);
});
afterAll(() => t.close());

const anon = () => clientOf(t.app);
const newPassword = "a-completely-new-password";

/** Requests a reset link for the e-mail and returns the token the e-mail carries. */
async function resetLinkFor(email: string): Promise<string> {
  const res = await anon().post("/api/v1/auth/password-reset", { email });
  expect(res.status).toBe(202);
  await t.services.drain("accounts.send-password-reset");
  const mail = t.services.mailer.to(email).at(-1)!;
  return /reset-password\?token=([\w-]+)/.exec(mail.text)![1]!;
}

async function completeReset(token: string, password = newPassword) {
  return anon().post("/api/v1/auth/password-reset/complete", {
    token,
    password,
    passwordConfirm: password,
  });
}

describe("password-reset links end with their purpose", () => {
  it("using one link revokes the account's older open links", async () => {
    const account = await buildAccount(t.services.db, { organizationId: world.a.reseller.id });
    const older = await resetLinkFor(account.email);
    const newer = await resetLinkFor(account.email);
    expect((await completeReset(newer)).status).toBe(204);
    const res = await completeReset(older, "yet-another-password-1");
    expect(res.status).toBe(410);
    expect((await signIn(t.app, account.email, newPassword)).get).toBeDefined();
  });

  it("changing the password revokes every open link", async () => {
    const account = await buildAccount(t.services.db, { organizationId: world.a.reseller.id });
    const link = await resetLinkFor(account.email);
    const client = await signIn(t.app, account.email);
    const changed = await client.put("/api/v1/auth/password", {
      currentPassword: defaultPassword,
      newPassword,
      newPasswordConfirm: newPassword,
    });
    expect(changed.status).toBe(204);
    expect((await completeReset(link, "yet-another-password-2")).status).toBe(410);
    expect((await signIn(t.app, account.email, newPassword)).get).toBeDefined();
  });

  it("an admin's reset of the password revokes every open link", async () => {
    const account = await buildAccount(t.services.db, { organizationId: world.a.reseller.id });
    const link = await resetLinkFor(account.email);
    const admin = await signIn(t.app, world.a.resellerAdmin.email);
    const reset = await admin.post(
      `/api/v1/organizations/${world.a.reseller.id}/admins/${account.id}/reset-password`,
    );
    expect(reset.status).toBe(200);
    expect((await completeReset(link, "yet-another-password-3")).status).toBe(410);
  });
});

describe("sessions", () => {
  it("signing in again from a browser with a session ends that session", async () => {
    const first = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: world.a.masterAdmin.email, password: defaultPassword },
    });
    const oldToken = first.cookies.find((c) => c.name === "tg_session")!.value;
    const second = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers: { cookie: `tg_session=${oldToken}` },
      payload: { login: world.a.masterAdmin.email, password: defaultPassword },
    });
    expect(second.statusCode).toBe(200);
    const rows = await t.services.db
      .select()
      .from(sessions)
      .where(eq(sessions.tokenHash, hashToken(oldToken)));
    expect(rows).toEqual([]);
    const old = await t.app.inject({
      method: "GET",
      url: "/api/v1/auth/session",
      headers: { cookie: `tg_session=${oldToken}` },
    });
    expect(old.statusCode).toBe(401);
  });

  it("limits each session's requests (generously), whatever the address", async () => {
    const client = await signIn(t.app, world.b.resellerAdmin.email);
    let last = 0;
    let count = 0;
    for (; count < 100 && last !== 429; count++)
      last = (await client.get("/api/v1/auth/session")).status;
    expect(last).toBe(429);
    expect(count).toBe(51);
    // Another session of the same address is not affected.
    const other = await signIn(t.app, world.b.masterAdmin.email);
    expect((await other.get("/api/v1/auth/session")).status).toBe(200);
  });

  it("marks every authenticated response and the sign-in as not to be stored", async () => {
    const login = await anon().post("/api/v1/auth/login", {
      login: world.a.resellerAdmin.email,
      password: defaultPassword,
    });
    expect(login.headers["cache-control"]).toBe("no-store");
    const admin = await signIn(t.app, world.a.resellerAdmin.email);
    const session = await admin.get("/api/v1/auth/session");
    expect(session.headers["cache-control"]).toBe("no-store");
    const created = await admin.post(`/api/v1/organizations/${world.a.reseller.id}/admins`, {
      name: "Cache Check",
      email: "cache-check@example.com",
      username: "cachecheck",
    });
    expect(created.status).toBe(201);
    expect(created.body.temporaryPassword).toBeTruthy();
    expect(created.headers["cache-control"]).toBe("no-store");
    const reset = await admin.post(
      `/api/v1/organizations/${world.a.reseller.id}/admins/${created.body.admin.id}/reset-password`,
    );
    expect(reset.headers["cache-control"]).toBe("no-store");
    expect((await admin.get("/api/v1/enterprises")).headers["cache-control"]).toBe("no-store");
  });
});

describe("account enumeration", () => {
  it("a locked account answers exactly like wrong credentials", async () => {
    const account = await buildAccount(t.services.db, { organizationId: world.a.reseller.id });
    for (let i = 0; i < 3; i++)
      await anon().post("/api/v1/auth/login", { login: account.email, password: "wrong-one" });
    const [row] = await t.services.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row!.lockedUntil).not.toBeNull();
    const locked = await anon().post("/api/v1/auth/login", {
      login: account.email,
      password: defaultPassword,
    });
    const wrong = await anon().post("/api/v1/auth/login", {
      login: world.b.resellerAdmin.email,
      password: "wrong-one",
    });
    expect(locked.status).toBe(wrong.status);
    expect(locked.body).toEqual(wrong.body);
    expect(locked.headers["retry-after"]).toBeUndefined();
  });

  it("a reset request takes at least the same minimum time whether the account exists or not", async () => {
    const account = await buildAccount(t.services.db, { organizationId: world.a.reseller.id });
    const timed = async (email: string) => {
      const started = performance.now();
      const res = await anon().post("/api/v1/auth/password-reset", { email });
      return { res, ms: performance.now() - started };
    };
    const unknown = await timed("no-such-account@example.com");
    const known = await timed(account.email);
    expect(unknown.res.status).toBe(202);
    expect(unknown.res.body).toEqual(known.res.body);
    // The floor hides the work a real account causes (insert, audit, job) on both paths.
    expect(unknown.ms).toBeGreaterThanOrEqual(400);
    expect(known.ms).toBeGreaterThanOrEqual(400);
  });
});
