import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditColumns } from "../../../../test/events.ts";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import { accounts, emailClaims, events, sessions } from "../../db/schema/index.ts";
import {
  buildAccount,
  buildOrganization,
  buildWorld,
  defaultPassword,
  type World,
} from "../../db/seed/factories.ts";
import { masterBody, unique } from "./organizations.test-support.ts";

let t: TestApp;
let world: World;
let operator: Client;
let masterA: Client;
let resellerA: Client;
const anon = () => clientOf(t.app);
const newPassword = "my-own-new-password";

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  operator = await signIn(t.app, world.operatorAdmin.email);
  masterA = await signIn(t.app, world.a.masterAdmin.email);
  resellerA = await signIn(t.app, world.a.resellerAdmin.username);
});
afterAll(() => t.close());

const adminsOf = (orgId: string) => `/api/v1/organizations/${orgId}/admins`;
const adminBody = (n: string, overrides: Record<string, unknown> = {}) => ({
  name: `Second Admin ${n}`,
  email: `second-${n}@partner.example.com`,
  username: `second-${n}`,
  ...overrides,
});

/** Signs in with a temporary password and replaces it, as the portal makes a new admin do. */
async function takeOver(login: string, temporaryPassword: string): Promise<Client> {
  const client = await signIn(t.app, login, temporaryPassword);
  const res = await client.put("/api/v1/auth/password", {
    currentPassword: temporaryPassword,
    newPassword,
    newPasswordConfirm: newPassword,
  });
  expect(res.status).toBe(204);
  return client;
}

async function auditOf(targetId: string) {
  return t.services.db
    .select(auditColumns)
    .from(events)
    .where(eq(events.subjectId, targetId))
    .orderBy(events.at);
}

describe("admins", () => {
  it("refuses anonymous callers on every route (401)", async () => {
    const org = world.a.master.id;
    const account = world.a.masterAdmin.id;
    const calls = [
      anon().get(adminsOf(org)),
      anon().post(adminsOf(org), adminBody(unique())),
      anon().post(`${adminsOf(org)}/${account}/reset-password`),
      anon().delete(`${adminsOf(org)}/${account}`),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
  });

  it("names each invalid field (400) and writes nothing", async () => {
    const before = (await masterA.get(adminsOf(world.a.master.id))).body.items.length;
    const res = await masterA.post(adminsOf(world.a.master.id), {
      name: "",
      email: "second@",
      username: "no spaces",
      role: "operator",
    });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({
      name: "Required",
      email: "Must be a valid e-mail address",
      username: "Use letters, digits, dot, dash or underscore",
      role: "Unknown field",
    });
    expect((await masterA.get(adminsOf(world.a.master.id))).body.items).toHaveLength(before);
  });

  it("answers 404 for a foreign organization or an admin that is not in the organization", async () => {
    expect((await masterA.get(adminsOf(world.b.master.id))).status).toBe(404);
    expect((await masterA.post(adminsOf(world.b.reseller.id), adminBody(unique()))).status).toBe(
      404,
    );
    // a reseller cannot see its master reseller, nor the operator
    expect((await resellerA.get(adminsOf(world.a.master.id))).status).toBe(404);
    expect((await masterA.get(adminsOf(world.operator.id))).status).toBe(404);
    // an admin of another organization does not exist under this one
    expect(
      (
        await masterA.post(
          `${adminsOf(world.a.master.id)}/${world.b.masterAdmin.id}/reset-password`,
        )
      ).status,
    ).toBe(404);
    expect(
      (await masterA.delete(`${adminsOf(world.a.master.id)}/${world.a.resellerAdmin.id}`)).status,
    ).toBe(404);
    expect(
      (await operator.delete(`${adminsOf(world.a.master.id)}/acc_00000000000000000000`)).status,
    ).toBe(404);
  });

  it("refuses a master reseller on its reseller's admins (403)", async () => {
    const list = await masterA.get(adminsOf(world.a.reseller.id));
    expect(list.status).toBe(403);
    expect(list.body.code).toBe("forbidden");
    expect((await masterA.post(adminsOf(world.a.reseller.id), adminBody(unique()))).status).toBe(
      403,
    );
    expect(
      (
        await masterA.post(
          `${adminsOf(world.a.reseller.id)}/${world.a.resellerAdmin.id}/reset-password`,
        )
      ).status,
    ).toBe(403);
    expect(
      (await masterA.delete(`${adminsOf(world.a.reseller.id)}/${world.a.resellerAdmin.id}`)).status,
    ).toBe(403);
  });

  it("lists an organization's admins to its own admins and to the operator", async () => {
    const own = await resellerA.get(adminsOf(world.a.reseller.id));
    expect(own.status).toBe(200);
    expect(own.body.items).toEqual([
      {
        id: world.a.resellerAdmin.id,
        name: world.a.resellerAdmin.name,
        email: world.a.resellerAdmin.email,
        username: world.a.resellerAdmin.username,
        isFirstAdmin: true,
        mustChangePassword: false,
        lastLoginAt: expect.any(String),
        createdAt: expect.any(String),
        // Seen by itself: nothing (its own password changes from the account menu).
        abilities: [],
      },
    ]);
    expect(own.body.abilities).toEqual(["admin.create"]);
    const byOperator = await operator.get(adminsOf(world.b.reseller.id));
    expect(byOperator.body.items.map((a: { id: string }) => a.id)).toEqual([
      world.b.resellerAdmin.id,
    ]);
    expect((await operator.get(adminsOf(world.operator.id))).status).toBe(200);
  });

  it("adds an admin with a temporary password that must be changed before anything else", async () => {
    const n = unique();
    const res = await masterA.post(
      adminsOf(world.a.master.id),
      adminBody(n, { email: `Second-${n}@Partner.Example.com`, username: `Second-${n}` }),
    );
    expect(res.status).toBe(201);
    expect(res.body.admin).toMatchObject({
      name: `Second Admin ${n}`,
      email: `second-${n}@partner.example.com`,
      username: `second-${n}`,
      isFirstAdmin: false,
      mustChangePassword: true,
      lastLoginAt: null,
    });
    const temporary = res.body.temporaryPassword as string;
    expect(temporary.length).toBeGreaterThanOrEqual(12);
    const [claim] = await t.services.db
      .select()
      .from(emailClaims)
      .where(eq(emailClaims.email, `second-${n}@partner.example.com`));
    expect(claim).toMatchObject({ ownerType: "account", ownerId: res.body.admin.id });

    const client = await signIn(t.app, `second-${n}`, temporary);
    const session = await client.get("/api/v1/auth/session");
    expect(session.body.account.mustChangePassword).toBe(true);
    expect(session.body.organization.id).toBe(world.a.master.id);
    const blocked = await client.get("/api/v1/resellers");
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe("password_change_required");
    expect((await client.get(adminsOf(world.a.master.id))).body.code).toBe(
      "password_change_required",
    );
    await takeOver(`second-${n}`, temporary);
    const fresh = await signIn(t.app, `second-${n}`, newPassword);
    expect((await fresh.get("/api/v1/resellers")).status).toBe(200);

    const [audit] = await auditOf(res.body.admin.id);
    expect(audit).toMatchObject({
      action: "account.created",
      actorAccountId: world.a.masterAdmin.id,
      masterResellerId: world.a.master.id,
    });
    expect(JSON.stringify(audit)).not.toContain(temporary);
  });

  it("lets the operator add an admin to any activated organization, but not to an invited one", async () => {
    const n = unique();
    const res = await operator.post(adminsOf(world.b.reseller.id), adminBody(n));
    expect(res.status).toBe(201);
    const list = await operator.get(adminsOf(world.b.reseller.id));
    expect(list.body.items.map((a: { id: string }) => a.id)).toEqual([
      world.b.resellerAdmin.id,
      res.body.admin.id,
    ]);
    const invited = await operator.post("/api/v1/master-resellers", masterBody(n));
    const refused = await operator.post(adminsOf(invited.body.id), adminBody(`${n}-x`));
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("invalid_state");
  });

  it("refuses an e-mail used in any tier, case-insensitively, and a taken username", async () => {
    const invited = await buildOrganization(t.services.db, {
      kind: "reseller",
      parent: world.a.master,
      status: "invited",
    });
    const before = (await masterA.get(adminsOf(world.a.master.id))).body.items.length;
    for (const email of [
      world.b.enterprise.adminEmail.toUpperCase(),
      world.operatorAdmin.email,
      invited.email.toUpperCase(),
      world.b.resellerAdmin.email,
    ]) {
      const res = await masterA.post(adminsOf(world.a.master.id), adminBody(unique(), { email }));
      expect(res.status).toBe(409);
      expect(res.body.fields).toEqual({ email: "This e-mail address is already in use" });
    }
    const username = await masterA.post(
      adminsOf(world.a.master.id),
      adminBody(unique(), { username: world.b.masterAdmin.username.toUpperCase() }),
    );
    expect(username.status).toBe(409);
    expect(username.body.fields).toEqual({ username: "This username is already taken" });
    expect((await masterA.get(adminsOf(world.a.master.id))).body.items).toHaveLength(before);
  });

  it("resets an admin's password: new temporary password, sessions ended, lock cleared", async () => {
    const second = await buildAccount(t.services.db, { organizationId: world.a.master.id });
    const secondClient = await signIn(t.app, second.email);
    await t.services.db
      .update(accounts)
      .set({ lockedUntil: new Date(Date.now() + 3_600_000), failedLoginCount: 2 })
      .where(eq(accounts.id, second.id));

    const res = await masterA.post(`${adminsOf(world.a.master.id)}/${second.id}/reset-password`);
    expect(res.status).toBe(200);
    expect(res.body.admin).toMatchObject({ id: second.id, mustChangePassword: true });
    expect(
      await t.services.db.select().from(sessions).where(eq(sessions.accountId, second.id)),
    ).toHaveLength(0);
    expect((await secondClient.get("/api/v1/auth/session")).status).toBe(401);
    await expect(signIn(t.app, second.email, defaultPassword)).rejects.toThrow(/401/);
    const client = await signIn(t.app, second.email, res.body.temporaryPassword);
    expect((await client.get("/api/v1/auth/session")).body.account.mustChangePassword).toBe(true);
    const audit = await auditOf(second.id);
    expect(audit.map((a) => a.action)).toContain("account.password_reset_by_admin");
    expect(JSON.stringify(audit)).not.toContain(res.body.temporaryPassword);
  });

  it("protects the first admin: others cannot delete it or reset its password; nobody deletes themselves", async () => {
    const n = unique();
    const created = await resellerA.post(adminsOf(world.a.reseller.id), adminBody(n));
    const second = await takeOver(`second-${n}`, created.body.temporaryPassword);
    const first = `${adminsOf(world.a.reseller.id)}/${world.a.resellerAdmin.id}`;

    const del = await second.delete(first);
    expect(del.status).toBe(409);
    expect(del.body).toMatchObject({
      code: "invalid_state",
      message: "The first admin of an organization cannot be deleted by the other admins",
    });
    const reset = await second.post(`${first}/reset-password`);
    expect(reset.status).toBe(409);
    expect(reset.body.code).toBe("invalid_state");
    // not even the operator deletes a first admin; it may reset its password (account recovery)
    expect((await operator.delete(first)).status).toBe(409);

    const self = await resellerA.delete(first);
    expect(self.status).toBe(409);
    expect(self.body.message).toBe("You cannot delete your own account");
    const selfSecond = await second.delete(
      `${adminsOf(world.a.reseller.id)}/${created.body.admin.id}`,
    );
    expect(selfSecond.status).toBe(409);

    const [row] = await t.services.db
      .select()
      .from(accounts)
      .where(eq(accounts.id, world.a.resellerAdmin.id));
    expect(row!.deletedAt).toBeNull();
    expect((await signIn(t.app, world.a.resellerAdmin.email)).get).toBeDefined();
  });

  it("offers on each admin exactly the actions the server allows the viewer", async () => {
    const n = unique();
    const created = await resellerA.post(adminsOf(world.a.reseller.id), adminBody(n));
    const second = await takeOver(`second-${n}`, created.body.temporaryPassword);
    const secondId = created.body.admin.id as string;
    const firstId = world.a.resellerAdmin.id;
    const abilitiesSeenBy = async (viewer: Client) => {
      const list = await viewer.get(adminsOf(world.a.reseller.id));
      expect(list.status).toBe(200);
      return Object.fromEntries(
        (list.body.items as { id: string; abilities: string[] }[]).map((a) => [a.id, a.abilities]),
      );
    };
    // The first admin: everything on the others, nothing on itself.
    const byFirst = await abilitiesSeenBy(resellerA);
    expect(byFirst[firstId]).toEqual([]);
    expect(byFirst[secondId]).toEqual(["admin.reset_password", "admin.delete"]);
    // Another admin may not take the first admin over (this was offered and then refused).
    const bySecond = await abilitiesSeenBy(second);
    expect(bySecond[firstId]).toEqual([]);
    expect(bySecond[secondId]).toEqual([]);
    // The operator may recover the first admin's account, never delete it.
    expect((await abilitiesSeenBy(operator))[firstId]).toEqual(["admin.reset_password"]);
    // And the server agrees with what it offered.
    const first = `${adminsOf(world.a.reseller.id)}/${firstId}`;
    expect((await second.post(`${first}/reset-password`)).status).toBe(409);
    const own = await second.post(`${adminsOf(world.a.reseller.id)}/${secondId}/reset-password`);
    expect(own.status).toBe(409);
    expect(own.body.message).toBe("Change your own password from your account menu");
  });

  it("deletes an admin: it can no longer sign in, its e-mail claim is released, it is audited", async () => {
    const n = unique();
    const created = await masterA.post(adminsOf(world.a.master.id), adminBody(n));
    const id = created.body.admin.id as string;
    const email = created.body.admin.email as string;
    const client = await takeOver(`second-${n}`, created.body.temporaryPassword);

    const res = await masterA.delete(`${adminsOf(world.a.master.id)}/${id}`);
    expect(res.status).toBe(204);
    expect((await client.get("/api/v1/auth/session")).status).toBe(401);
    await expect(signIn(t.app, email, newPassword)).rejects.toThrow(/401/);
    const list = await masterA.get(adminsOf(world.a.master.id));
    expect(list.body.items.map((a: { id: string }) => a.id)).not.toContain(id);
    expect(
      await t.services.db
        .select()
        .from(emailClaims)
        .where(and(eq(emailClaims.email, email), eq(emailClaims.ownerId, id))),
    ).toHaveLength(0);
    const [row] = await t.services.db.select().from(accounts).where(eq(accounts.id, id));
    expect(row!.deletedAt).not.toBeNull();
    expect((await auditOf(id)).map((a) => a.action)).toEqual([
      "account.created",
      "account.password_changed",
      "account.deleted",
    ]);
    // deleting again finds nothing
    expect((await masterA.delete(`${adminsOf(world.a.master.id)}/${id}`)).status).toBe(404);
    // the deleted admin gives its address back: a new admin may use it
    const reuse = await masterA.post(adminsOf(world.a.master.id), adminBody(unique(), { email }));
    expect(reuse.status).toBe(201);
    expect(reuse.body.admin.email).toBe(email);
  });
});
