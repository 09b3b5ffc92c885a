import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { auditColumns } from "../../../../test/events.ts";
import { type Client, createTestApp, signIn, type TestApp } from "../../../../test/harness.ts";
import { accounts, emailClaims, events, invitations } from "../../db/schema/index.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";
import {
  lastActivationMail,
  masterBody,
  resellerBody,
  unique,
} from "./organizations.test-support.ts";

let t: TestApp;
let world: World;
let operator: Client;
let masterA: Client;
const password = "a-long-enough-password";

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  operator = await signIn(t.app, world.operatorAdmin.email);
  masterA = await signIn(t.app, world.a.masterAdmin.email);
});
afterAll(() => t.close());
afterEach(() => {
  t.services.now = () => new Date();
});

let address = 0;
/**
 * An anonymous visitor from its own address: the activation routes are rate-limited per address,
 * so each test gets a fresh budget (one test checks the limit itself).
 */
function visitor(ip = `10.1.0.${++address}`) {
  const call = async (method: "GET" | "POST", url: string, payload?: object) => {
    const res = await t.app.inject({
      method,
      url,
      remoteAddress: ip,
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
  return {
    info: (token: string) => call("GET", `/api/v1/activation?token=${encodeURIComponent(token)}`),
    activate: (body: object) => call("POST", "/api/v1/activation", body),
  };
}

/** Adds a reseller under master reseller A and returns what its activation e-mail says. */
async function invitedReseller() {
  const n = unique();
  const res = await masterA.post(
    `/api/v1/master-resellers/${world.a.master.id}/resellers`,
    resellerBody(n),
  );
  expect(res.status).toBe(201);
  await t.services.drain("invitations.send-email");
  const email = res.body.email as string;
  return {
    id: res.body.id as string,
    name: res.body.name as string,
    email,
    n,
    ...lastActivationMail(t.services.mailer, email),
  };
}

const form = (
  r: { token: string; code: string; email: string; n: string },
  overrides: Record<string, unknown> = {},
) => ({
  token: r.token,
  code: r.code,
  email: r.email,
  username: `user-${r.n}`,
  password,
  passwordConfirm: password,
  ...overrides,
});

describe("activation (seed 2)", () => {
  it("activates a reseller from its e-mail: the new admin signs in as the reseller", async () => {
    const r = await invitedReseller();
    const v = visitor();
    const info = await v.info(r.token);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({
      organizationName: r.name,
      kind: "reseller",
      expiresAt: expect.any(String),
    });
    expect(JSON.stringify(info.body)).not.toContain(r.email);

    // the e-mail and the code are typed as a person would: other case, code without its dash
    const res = await v.activate(
      form(r, {
        email: r.email.toUpperCase(),
        code: r.code.replace("-", "").toLowerCase(),
        username: `User-${r.n}`,
      }),
    );
    expect(res.status).toBe(204);

    const client = await signIn(t.app, `user-${r.n}`, password);
    const session = await client.get("/api/v1/auth/session");
    expect(session.body).toMatchObject({
      account: { email: r.email, username: `user-${r.n}`, mustChangePassword: false },
      organization: { id: r.id, kind: "reseller", services: ["PBX", "TRUNK"] },
      abilities: expect.arrayContaining(["enterprise.manage"]),
    });
    const [account] = await t.services.db
      .select()
      .from(accounts)
      .where(eq(accounts.organizationId, r.id));
    expect(account).toMatchObject({ isFirstAdmin: true, name: r.name });
    const [claim] = await t.services.db
      .select()
      .from(emailClaims)
      .where(eq(emailClaims.email, r.email));
    expect(claim).toMatchObject({ ownerType: "account", ownerId: account!.id });

    const view = await masterA.get(`/api/v1/resellers/${r.id}`);
    expect(view.body.status).toBe("active");
    expect(view.body.invitation.usedAt).not.toBeNull();
    const audit = await t.services.db
      .select(auditColumns)
      .from(events)
      .where(eq(events.subjectId, r.id));
    const activated = audit.find((a) => a.action === "reseller.activated")!;
    expect(activated).toMatchObject({ actorAccountId: null, actorLabel: r.email });
    expect(JSON.stringify(activated)).not.toContain(password);

    // single use
    expect((await v.info(r.token)).status).toBe(410);
    const again = await v.activate(form(r, { username: `other-${r.n}` }));
    expect(again.status).toBe(410);
    expect(again.body.code).toBe("invitation_invalid");
  });

  it("activates a master reseller; its first admin is named after the contact", async () => {
    const n = unique();
    const created = await operator.post("/api/v1/master-resellers", masterBody(n));
    await t.services.drain("invitations.send-email");
    const mail = lastActivationMail(t.services.mailer, created.body.email);
    const v = visitor();
    expect((await v.info(mail.token)).body.kind).toBe("master_reseller");
    const res = await v.activate(
      form({ ...mail, email: created.body.email, n }, { username: `master-${n}` }),
    );
    expect(res.status).toBe(204);
    const client = await signIn(t.app, created.body.email, password);
    const session = (await client.get("/api/v1/auth/session")).body;
    expect(session.organization).toMatchObject({ id: created.body.id, kind: "master_reseller" });
    expect(session.account.name).toBe(`Pat Partner ${n}`);
    expect((await client.get("/api/v1/resellers")).status).toBe(200);
  });

  it("validates the form (400 naming each field)", async () => {
    const v = visitor();
    const empty = await v.activate({});
    expect(empty.status).toBe(400);
    expect(Object.keys(empty.body.fields).sort()).toEqual(
      ["code", "email", "password", "passwordConfirm", "token", "username"].sort(),
    );
    const r = await invitedReseller();
    const mismatch = await v.activate(
      form(r, { passwordConfirm: "something-else-entirely", username: "no spaces" }),
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.fields).toEqual({
      username: "Use letters, digits, dot, dash or underscore",
      passwordConfirm: "Passwords do not match",
    });
    const confirm = await v.activate(form(r, { passwordConfirm: "something-else-entirely" }));
    expect(confirm.body.fields).toEqual({ passwordConfirm: "Passwords do not match" });
    const short = await v.activate(form(r, { password: "short", passwordConfirm: "short" }));
    expect(short.body.fields).toEqual({ password: "Must be at least 12 characters" });
    expect((await v.info("short")).status).toBe(400);
  });

  it("answers 410 for an unknown link", async () => {
    const v = visitor();
    const info = await v.info("x".repeat(43));
    expect(info.status).toBe(410);
    expect(info.body.code).toBe("invitation_invalid");
    const r = await invitedReseller();
    expect((await v.activate(form(r, { token: "y".repeat(43) }))).status).toBe(410);
  });

  it("requires the invited e-mail (400 on email) and keeps the code usable", async () => {
    const r = await invitedReseller();
    const v = visitor();
    const res = await v.activate(form(r, { email: world.a.masterAdmin.email }));
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({
      email: "Use the e-mail address this invitation was sent to",
    });
    expect((await v.activate(form(r))).status).toBe(204);
  });

  it("counts wrong codes down, then kills the link", async () => {
    const r = await invitedReseller();
    const v = visitor();
    const first = await v.activate(form(r, { code: "AAAA-AAAA" }));
    expect(first.status).toBe(400);
    expect(first.body.fields).toEqual({
      code: "The invitation code is not correct (9 attempts left)",
    });
    const second = await v.activate(form(r, { code: "BBBB-BBBB" }));
    expect(second.body.fields.code).toBe("The invitation code is not correct (8 attempts left)");
    await t.services.db
      .update(invitations)
      .set({ failedAttempts: 9 })
      .where(eq(invitations.targetId, r.id));
    const last = await v.activate(form(r, { code: "CCCC-CCCC" }));
    expect(last.status).toBe(410);
    // even the right code no longer works
    expect((await v.activate(form(r))).status).toBe(410);
    expect((await v.info(r.token)).status).toBe(410);
  });

  it("refuses an expired code (410) and creates nothing", async () => {
    const r = await invitedReseller();
    const v = visitor();
    const days = t.services.env.INVITATION_TTL_DAYS;
    t.services.now = () => new Date(Date.now() + (days * 24 - 1) * 3_600_000);
    expect((await v.info(r.token)).status).toBe(200);
    t.services.now = () => new Date(Date.now() + (days * 24 + 1) * 3_600_000);
    expect((await v.info(r.token)).status).toBe(410);
    expect((await v.activate(form(r))).status).toBe(410);
    expect(
      await t.services.db.select().from(accounts).where(eq(accounts.organizationId, r.id)),
    ).toHaveLength(0);
    t.services.now = () => new Date(); // (sessions would have expired too)
    expect((await masterA.get(`/api/v1/resellers/${r.id}`)).body.status).toBe("invited");
  });

  it("voids the previous code and link when the invitation is resent", async () => {
    const r = await invitedReseller();
    expect((await masterA.post(`/api/v1/resellers/${r.id}/resend-invitation`)).status).toBe(200);
    await t.services.drain("invitations.send-email");
    const fresh = lastActivationMail(t.services.mailer, r.email);
    expect(fresh.token).not.toBe(r.token);
    expect(t.services.mailer.to(r.email)).toHaveLength(2);
    const v = visitor();
    expect((await v.info(r.token)).status).toBe(410);
    expect((await v.activate(form(r))).status).toBe(410);
    // the old code does not work with the new link either
    expect((await v.activate(form({ ...r, token: fresh.token }))).status).toBe(400);
    expect((await v.activate(form({ ...r, token: fresh.token, code: fresh.code }))).status).toBe(
      204,
    );
  });

  it("refuses a taken username (409 on username), writing nothing, and the code still works", async () => {
    const r = await invitedReseller();
    const v = visitor();
    const res = await v.activate(
      form(r, { username: world.b.resellerAdmin.username.toUpperCase() }),
    );
    expect(res.status).toBe(409);
    expect(res.body.fields).toEqual({ username: "This username is already taken" });
    expect(
      await t.services.db.select().from(accounts).where(eq(accounts.organizationId, r.id)),
    ).toHaveLength(0);
    const [invitation] = await t.services.db
      .select()
      .from(invitations)
      .where(eq(invitations.targetId, r.id));
    expect(invitation!.usedAt).toBeNull();
    const [claim] = await t.services.db
      .select()
      .from(emailClaims)
      .where(eq(emailClaims.email, r.email));
    expect(claim).toMatchObject({ ownerType: "organization", ownerId: r.id });
    expect((await masterA.get(`/api/v1/resellers/${r.id}`)).body.status).toBe("invited");
    expect((await v.activate(form(r))).status).toBe(204);
  });

  it("refuses the activation of a disabled organization (410) until it is enabled", async () => {
    const r = await invitedReseller();
    await masterA.post(`/api/v1/resellers/${r.id}/disable`);
    const v = visitor();
    expect((await v.info(r.token)).status).toBe(410);
    expect((await v.activate(form(r))).status).toBe(410);
    expect((await masterA.post(`/api/v1/resellers/${r.id}/enable`)).body.status).toBe("invited");
    expect((await v.activate(form(r))).status).toBe(204);
  });

  it("limits the attempts per address (429)", async () => {
    const v = visitor("10.9.9.9");
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await v.info("z".repeat(43))).status);
    expect(statuses.slice(0, 20).every((s) => s === 410)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});
