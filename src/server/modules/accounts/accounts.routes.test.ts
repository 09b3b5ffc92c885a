import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditColumns } from "../../../../test/events.ts";
import {
  type ApiResponse,
  clientOf,
  createTestApp,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import { accounts, events, sessions } from "../../db/schema/index.ts";
import { buildAccount, buildWorld, defaultPassword, type World } from "../../db/seed/factories.ts";

let t: TestApp;
let world: World;

beforeAll(async () => {
  t = await createTestApp({ env: { LOGIN_MAX_FAILURES: "3", LOGIN_LOCK_MINUTES: "15" } });
  world = await buildWorld(t.services.db);
});
afterAll(() => t.close());

const anon = () => clientOf(t.app);

describe("sign-in", () => {
  it("accepts the e-mail in any case or the username, and sets an HttpOnly SameSite=Lax cookie", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: world.a.resellerAdmin.email.toUpperCase(), password: defaultPassword },
    });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === "tg_session")!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe("Lax");
    expect(res.json()).toMatchObject({
      account: { id: world.a.resellerAdmin.id, mustChangePassword: false },
      organization: { id: world.a.reseller.id, kind: "reseller" },
      abilities: expect.arrayContaining(["enterprise.manage"]),
    });
    expect((await signIn(t.app, world.a.resellerAdmin.username)).get).toBeDefined();
  });

  it("stores only a hash of the session token", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: world.b.masterAdmin.email, password: defaultPassword },
    });
    const token = res.cookies.find((c) => c.name === "tg_session")!.value;
    const rows = await t.services.db
      .select()
      .from(sessions)
      .where(eq(sessions.accountId, world.b.masterAdmin.id));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.tokenHash)).not.toContain(token);
  });

  it("refuses a bad password and an unknown login alike (401) and validates the body (400)", async () => {
    const wrong = await anon().post("/api/v1/auth/login", {
      login: world.a.masterAdmin.email,
      password: "nope",
    });
    const unknown = await anon().post("/api/v1/auth/login", {
      login: "nobody@example.com",
      password: "nope",
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    const bad = await anon().post("/api/v1/auth/login", {
      login: "",
      password: "x",
      remember: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ login: "Required", remember: "Unknown field" });
  });

  it("locks the account after repeated failures, even for the right password (answered as wrong credentials), and audits it", async () => {
    const account = await buildAccount(t.services.db, { organizationId: world.a.reseller.id });
    for (let i = 0; i < 3; i++) {
      expect(
        (await anon().post("/api/v1/auth/login", { login: account.email, password: "wrong" }))
          .status,
      ).toBe(401);
    }
    const locked = await anon().post("/api/v1/auth/login", {
      login: account.email,
      password: defaultPassword,
    });
    // Like wrong credentials, so the answer does not reveal the account (issue 7).
    expect(locked.status).toBe(401);
    expect(locked.body.code).toBe("invalid_credentials");
    const audit = await t.services.db
      .select(auditColumns)
      .from(events)
      .where(eq(events.subjectId, account.id));
    expect(audit.map((a) => a.action)).toContain("account.locked");
  });

  it("refuses the accounts of a disabled organization", async () => {
    const { buildOrganization } = await import("../../db/seed/factories.ts");
    const disabled = await buildOrganization(t.services.db, {
      kind: "reseller",
      parent: world.a.master,
      status: "disabled",
    });
    const account = await buildAccount(t.services.db, { organizationId: disabled.id });
    const res = await anon().post("/api/v1/auth/login", {
      login: account.email,
      password: defaultPassword,
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("account_disabled");
  });
});

describe("session, CSRF and sign-out", () => {
  it("answers 401 without a session, and the session view with one", async () => {
    expect((await anon().get("/api/v1/auth/session")).status).toBe(401);
    const client = await signIn(t.app, world.operatorAdmin.email);
    const res = await client.get("/api/v1/auth/session");
    expect(res.status).toBe(200);
    expect(res.body.organization.kind).toBe("operator");
    expect(res.body.csrfToken).toEqual(expect.any(String));
  });

  it("refuses an unsafe request whose CSRF token is missing or wrong (403)", async () => {
    const login = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: world.operatorAdmin.email, password: defaultPassword },
    });
    const cookie = `tg_session=${login.cookies.find((c) => c.name === "tg_session")!.value}`;
    const forged = clientOf(t.app, { cookie, csrfToken: "forged" });
    const res = await forged.post("/api/v1/regions", {
      name: "Forged",
      carrierFqdn: "forged.example.net",
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("csrf_failed");
    expect((await forged.get("/api/v1/regions")).status).toBe(200);
  });

  it("ends the session on sign-out", async () => {
    const client = await signIn(t.app, world.b.resellerAdmin.email);
    expect((await client.post("/api/v1/auth/logout")).status).toBe(204);
    expect((await client.get("/api/v1/auth/session")).status).toBe(401);
  });

  it("refuses an expired session", async () => {
    const client = await signIn(t.app, world.b.masterAdmin.email);
    await t.services.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.accountId, world.b.masterAdmin.id));
    expect((await client.get("/api/v1/auth/session")).status).toBe(401);
  });
});

describe("password change", () => {
  it("forces an account that must change its password through the change, then lets it in", async () => {
    const account = await buildAccount(t.services.db, {
      organizationId: world.a.master.id,
      mustChangePassword: true,
    });
    const client = await signIn(t.app, account.email);
    const session = await client.get("/api/v1/auth/session");
    expect(session.body.account.mustChangePassword).toBe(true);
    expect(session.body.abilities).toEqual([]);
    const blocked = await client.get("/api/v1/regions");
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe("password_change_required");

    const mismatch = await client.put("/api/v1/auth/password", {
      currentPassword: defaultPassword,
      newPassword: "a-new-long-password",
      newPasswordConfirm: "other",
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.fields).toEqual({ newPasswordConfirm: "Passwords do not match" });
    const wrongCurrent = await client.put("/api/v1/auth/password", {
      currentPassword: "wrong",
      newPassword: "a-new-long-password",
      newPasswordConfirm: "a-new-long-password",
    });
    expect(wrongCurrent.body.fields).toEqual({
      currentPassword: "The current password is not correct",
    });

    const ok = await client.put("/api/v1/auth/password", {
      currentPassword: defaultPassword,
      newPassword: "a-new-long-password",
      newPasswordConfirm: "a-new-long-password",
    });
    expect(ok.status).toBe(204);
    expect((await client.get("/api/v1/regions")).status).toBe(200);
    await expect(signIn(t.app, account.email)).rejects.toThrow(/401/);
    expect((await signIn(t.app, account.email, "a-new-long-password")).get).toBeDefined();
  });
});

describe("password reset by e-mail", () => {
  it("answers the same for unknown e-mails and mails a single-use link to known ones", async () => {
    const account = await buildAccount(t.services.db, { organizationId: world.b.reseller.id });
    const unknown = await anon().post("/api/v1/auth/password-reset", {
      email: "ghost@example.com",
    });
    const known = await anon().post("/api/v1/auth/password-reset", {
      email: account.email.toUpperCase(),
    });
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    await t.services.drain("accounts.send-password-reset");
    const mail = t.services.mailer.to(account.email).at(-1)!;
    expect(mail.subject).toMatch(/Reset your Teamgate password/);
    const token = /reset-password\?token=([\w-]+)/.exec(mail.text)![1]!;
    expect(mail.text).toContain("http://teamgate.test/reset-password?token=");

    const done = await anon().post("/api/v1/auth/password-reset/complete", {
      token,
      password: "reset-password-123",
      passwordConfirm: "reset-password-123",
    });
    expect(done.status).toBe(204);
    const again = await anon().post("/api/v1/auth/password-reset/complete", {
      token,
      password: "reset-password-456",
      passwordConfirm: "reset-password-456",
    });
    expect(again.status).toBe(410);
    expect((await signIn(t.app, account.email, "reset-password-123")).get).toBeDefined();
    const [row] = await t.services.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row!.passwordHash.startsWith("$argon2id$")).toBe(true);
  });

  it("validates the new password", async () => {
    const res = await anon().post("/api/v1/auth/password-reset/complete", {
      token: "x".repeat(43),
      password: "short",
      passwordConfirm: "short",
    });
    expect(res.status).toBe(400);
    expect(res.body.fields.password).toBe("Must be at least 12 characters");
  });
});

describe("rate limit", () => {
  it("throttles the credential routes per client address (429 with Retry-After)", async () => {
    const statuses: number[] = [];
    let last: ApiResponse<any> | undefined;
    // 20 a minute per address and route; earlier tests in this file may have used some already.
    for (let i = 0; i < 21 && last?.status !== 429; i++) {
      last = await anon().post("/api/v1/auth/password-reset", { email: `nobody-${i}@example.com` });
      statuses.push(last.status);
    }
    expect(last!.status).toBe(429);
    expect(statuses.slice(0, -1).every((s) => s === 202)).toBe(true);
    expect(last!.body.code).toBe("rate_limited");
    expect(Number(last!.headers["retry-after"])).toBeGreaterThan(0);
  });
});
