import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditColumns } from "../../../../test/events.ts";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import {
  emailClaims,
  events,
  invitations,
  organizations,
  sessions,
} from "../../db/schema/index.ts";
import {
  buildAccount,
  buildOrganization,
  buildRegion,
  buildWorld,
  type World,
} from "../../db/seed/factories.ts";
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
let resellerA: Client;
const anon = () => clientOf(t.app);
const none = "org_00000000000000000000";

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  operator = await signIn(t.app, world.operatorAdmin.email);
  masterA = await signIn(t.app, world.a.masterAdmin.email);
  resellerA = await signIn(t.app, world.a.resellerAdmin.username);
});
afterAll(() => t.close());

const rowCount = async (table: typeof organizations | typeof invitations) =>
  (await t.services.db.select({ n: count() }).from(table))[0]!.n;

async function auditActions(targetId: string) {
  const rows = await t.services.db
    .select(auditColumns)
    .from(events)
    .where(eq(events.subjectId, targetId))
    .orderBy(events.at);
  return rows.map((r) => r.action);
}

describe("master resellers", () => {
  it("refuses anonymous callers on every route (401)", async () => {
    const id = world.a.master.id;
    const calls = [
      anon().get("/api/v1/master-resellers"),
      anon().post("/api/v1/master-resellers", masterBody(unique())),
      anon().get(`/api/v1/master-resellers/${id}`),
      anon().patch(`/api/v1/master-resellers/${id}`, { companyName: "Nope" }),
      anon().post(`/api/v1/master-resellers/${id}/disable`),
      anon().post(`/api/v1/master-resellers/${id}/enable`),
      anon().post(`/api/v1/master-resellers/${id}/resend-invitation`),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("unauthenticated");
    }
  });

  it("names each invalid field (400) and writes nothing", async () => {
    const before = await rowCount(organizations);
    const res = await operator.post("/api/v1/master-resellers", {
      companyName: " ",
      adminName: "",
      email: "not-an-email",
      services: ["PBX"],
    });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({
      companyName: "Required",
      adminName: "Required",
      email: "Must be a valid e-mail address",
      services: "Unknown field",
    });
    const unknownIds = await operator.post(
      "/api/v1/master-resellers",
      masterBody(unique(), { regionIds: ["reg_nope"], pbxTypeIds: [world.pbxTypes[0]!.id, "x"] }),
    );
    expect(unknownIds.status).toBe(400);
    expect(unknownIds.body.fields).toEqual({
      regionIds: "Unknown SBC region: reg_nope",
      pbxTypeIds: "Unknown PBX type: x",
    });
    const badQuery = await operator.get("/api/v1/master-resellers?status=sleeping&page=0");
    expect(badQuery.status).toBe(400);
    expect(Object.keys(badQuery.body.fields).sort()).toEqual(["page", "status"]);
    expect(await rowCount(organizations)).toBe(before);
  });

  it("answers 404 for an unknown or foreign master reseller", async () => {
    expect((await operator.get(`/api/v1/master-resellers/${none}`)).status).toBe(404);
    // a reseller id is not a master reseller
    expect((await operator.get(`/api/v1/master-resellers/${world.a.reseller.id}`)).status).toBe(
      404,
    );
    // another branch, or a parent, is outside the actor's subtree
    expect((await masterA.get(`/api/v1/master-resellers/${world.b.master.id}`)).status).toBe(404);
    expect(
      (await masterA.post(`/api/v1/master-resellers/${world.b.master.id}/disable`)).status,
    ).toBe(404);
    expect((await resellerA.get(`/api/v1/master-resellers/${world.a.master.id}`)).status).toBe(404);
  });

  it("refuses other roles (403), even on their own organization", async () => {
    expect((await masterA.get("/api/v1/master-resellers")).status).toBe(403);
    expect((await resellerA.get("/api/v1/master-resellers")).status).toBe(403);
    expect((await masterA.post("/api/v1/master-resellers", masterBody(unique()))).status).toBe(403);
    const own = await masterA.get(`/api/v1/master-resellers/${world.a.master.id}`);
    expect(own.status).toBe(403);
    expect(own.body.code).toBe("forbidden");
    expect(
      (await masterA.patch(`/api/v1/master-resellers/${world.a.master.id}`, { companyName: "Me" }))
        .status,
    ).toBe(403);
    expect(
      (await masterA.post(`/api/v1/master-resellers/${world.a.master.id}/disable`)).status,
    ).toBe(403);
  });

  it("lets the operator add one: invited, entitled to the whole catalogue, e-mail claimed and mailed", async () => {
    const n = unique();
    const res = await operator.post(
      "/api/v1/master-resellers",
      masterBody(n, { companyName: `  Partner ${n} `, email: `Master-${n}@Partner.Example.com` }),
    );
    expect(res.status).toBe(201);
    const email = `master-${n}@partner.example.com`;
    expect(res.body).toMatchObject({
      kind: "master_reseller",
      parentId: world.operator.id,
      name: `Partner ${n}`,
      contactName: `Pat Partner ${n}`,
      email,
      status: "invited",
      services: ["PBX", "TRUNK"],
      billingReference: null,
      invitation: { email, mailState: "queued", usedAt: null },
    });
    expect(res.body.regionIds.sort()).toEqual(world.regions.map((r) => r.id).sort());
    expect(res.body.pbxTypeIds.sort()).toEqual(world.pbxTypes.map((p) => p.id).sort());
    expect(res.body.abilities).toEqual([
      "master_reseller.update",
      "master_reseller.disable",
      "master_reseller.resend_invitation",
      "master_reseller.add_reseller",
    ]);
    const [claim] = await t.services.db
      .select()
      .from(emailClaims)
      .where(eq(emailClaims.email, email));
    expect(claim).toMatchObject({ ownerType: "organization", ownerId: res.body.id });

    expect(await t.services.drain("invitations.send-email")).toBeGreaterThan(0);
    const { mail, code } = lastActivationMail(t.services.mailer, email);
    expect(mail.subject).toContain(`Partner ${n}`);
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    const fetched = await operator.get(`/api/v1/master-resellers/${res.body.id}`);
    expect(fetched.body.invitation.mailState).toBe("sent");
    expect(await auditActions(res.body.id)).toEqual(["master_reseller.created"]);
  });

  it("refuses an e-mail used by any account, organization or enterprise, case-insensitively, writing nothing", async () => {
    const invited = await buildOrganization(t.services.db, {
      kind: "reseller",
      parent: world.b.master,
      status: "invited",
    });
    const orgs = await rowCount(organizations);
    const invites = await rowCount(invitations);
    for (const taken of [
      world.a.enterprise.adminEmail.toUpperCase(),
      world.operatorAdmin.email,
      invited.email.toUpperCase(),
      world.b.resellerAdmin.email.replace(/^./, (c) => c.toUpperCase()),
    ]) {
      const n = unique();
      const res = await operator.post("/api/v1/master-resellers", masterBody(n, { email: taken }));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe("email_in_use");
      expect(res.body.fields).toEqual({ email: "This e-mail address is already in use" });
    }
    expect(await rowCount(organizations)).toBe(orgs);
    expect(await rowCount(invitations)).toBe(invites);
  });

  it("refuses a second master reseller with the same name in another case (409 on companyName)", async () => {
    const res = await operator.post(
      "/api/v1/master-resellers",
      masterBody(unique(), { companyName: world.a.master.name.toUpperCase() }),
    );
    expect(res.status).toBe(409);
    expect(res.body.fields).toEqual({
      companyName: "A master reseller with this name already exists",
    });
  });

  it("lists newest first with search, status filter, paging and an exact total", async () => {
    const n = unique();
    const first = await operator.post("/api/v1/master-resellers", masterBody(`${n}-one`));
    const second = await operator.post("/api/v1/master-resellers", masterBody(`${n}-two`));
    const page = await operator.get(`/api/v1/master-resellers?q=${n}&pageSize=1`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 2, page: 1, pageSize: 1 });
    expect(page.body.items.map((o: { id: string }) => o.id)).toEqual([second.body.id]);
    const next = await operator.get(`/api/v1/master-resellers?q=${n}&pageSize=1&page=2`);
    expect(next.body.items.map((o: { id: string }) => o.id)).toEqual([first.body.id]);
    const byEmail = await operator.get(`/api/v1/master-resellers?q=MASTER-${n}-TWO@`);
    expect(byEmail.body.items.map((o: { id: string }) => o.id)).toEqual([second.body.id]);
    const active = await operator.get(`/api/v1/master-resellers?status=active&pageSize=100`);
    const ids = active.body.items.map((o: { id: string }) => o.id);
    expect(ids).toEqual(expect.arrayContaining([world.a.master.id, world.b.master.id]));
    expect(ids).not.toContain(first.body.id);
    expect(active.body.items.every((o: { status: string }) => o.status === "active")).toBe(true);
    // a search wildcard is taken literally
    expect((await operator.get("/api/v1/master-resellers?q=%25")).body.total).toBe(0);
  });

  it("lets the operator edit one, and refuses to take away what its resellers still offer", async () => {
    const res = await operator.patch(`/api/v1/master-resellers/${world.b.master.id}`, {
      companyName: "Master B Renamed",
      adminName: "Bea",
      billingReference: "MB-1",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "Master B Renamed",
      contactName: "Bea",
      billingReference: "MB-1",
    });
    const shrink = await operator.patch(`/api/v1/master-resellers/${world.b.master.id}`, {
      regionIds: [world.regions[0]!.id],
    });
    expect(shrink.status).toBe(409);
    expect(shrink.body.fields).toEqual({
      regionIds: `Still offered by reseller ${world.b.reseller.name}; remove it there first`,
    });
    const extra = await buildRegion(t.services.db);
    const grow = await operator.patch(`/api/v1/master-resellers/${world.b.master.id}`, {
      regionIds: [...world.regions.map((r) => r.id), extra.id],
    });
    expect(grow.status).toBe(200);
    expect(grow.body.regionIds).toContain(extra.id);
    const audit = await t.services.db
      .select(auditColumns)
      .from(events)
      .where(eq(events.subjectId, world.b.master.id));
    const updated = audit.filter((a) => a.action === "master_reseller.updated");
    expect(updated).toHaveLength(2);
    expect(updated.map((a) => (a.after as { name: string }).name)).toContain("Master B Renamed");
  });

  it("disables a master reseller: its admins and its resellers' admins are signed out and refused", async () => {
    const master = await buildOrganization(t.services.db, {
      kind: "master_reseller",
      parent: world.operator,
    });
    const admin = await buildAccount(t.services.db, { organizationId: master.id });
    const reseller = await buildOrganization(t.services.db, { kind: "reseller", parent: master });
    const resellerAdmin = await buildAccount(t.services.db, { organizationId: reseller.id });
    const masterClient = await signIn(t.app, admin.email);
    const resellerClient = await signIn(t.app, resellerAdmin.email);

    const res = await operator.post(`/api/v1/master-resellers/${master.id}/disable`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("disabled");
    expect(res.body.abilities).toContain("master_reseller.enable");
    for (const id of [admin.id, resellerAdmin.id]) {
      expect(
        await t.services.db.select().from(sessions).where(eq(sessions.accountId, id)),
      ).toHaveLength(0);
    }
    expect((await masterClient.get("/api/v1/resellers")).status).toBe(401);
    expect((await resellerClient.get("/api/v1/auth/session")).status).toBe(401);
    const login = await anon().post("/api/v1/auth/login", {
      login: resellerAdmin.email,
      password: "correct-horse-battery-staple",
    });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe("account_disabled");
    const again = await operator.post(`/api/v1/master-resellers/${master.id}/disable`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("invalid_state");

    const enabled = await operator.post(`/api/v1/master-resellers/${master.id}/enable`);
    expect(enabled.body.status).toBe("active");
    expect((await signIn(t.app, resellerAdmin.email)).get).toBeDefined();
    expect(await auditActions(master.id)).toEqual(
      expect.arrayContaining(["master_reseller.disabled", "master_reseller.enabled"]),
    );
  });

  it("enables a never-activated master reseller back to invited, and resends only while invited", async () => {
    const created = await operator.post("/api/v1/master-resellers", masterBody(unique()));
    const id = created.body.id;
    expect((await operator.post(`/api/v1/master-resellers/${id}/enable`)).status).toBe(409);
    await operator.post(`/api/v1/master-resellers/${id}/disable`);
    const enabled = await operator.post(`/api/v1/master-resellers/${id}/enable`);
    expect(enabled.body.status).toBe("invited");

    const resent = await operator.post(`/api/v1/master-resellers/${id}/resend-invitation`);
    expect(resent.status).toBe(200);
    const rows = await t.services.db.select().from(invitations).where(eq(invitations.targetId, id));
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => r.revokedAt === null)).toHaveLength(1);

    const active = await operator.post(
      `/api/v1/master-resellers/${world.a.master.id}/resend-invitation`,
    );
    expect(active.status).toBe(409);
    expect(active.body.code).toBe("invalid_state");
  });
});

describe("resellers (Add Reseller, seed 2)", () => {
  it("refuses anonymous callers on every route (401)", async () => {
    const id = world.a.reseller.id;
    const calls = [
      anon().get("/api/v1/resellers"),
      anon().post(
        `/api/v1/master-resellers/${world.a.master.id}/resellers`,
        resellerBody(unique()),
      ),
      anon().get(`/api/v1/resellers/${id}`),
      anon().patch(`/api/v1/resellers/${id}`, { name: "Nope" }),
      anon().post(`/api/v1/resellers/${id}/disable`),
      anon().post(`/api/v1/resellers/${id}/enable`),
      anon().post(`/api/v1/resellers/${id}/resend-invitation`),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
  });

  it("names each invalid field (400) and writes nothing", async () => {
    const before = await rowCount(organizations);
    const res = await masterA.post(`/api/v1/master-resellers/${world.a.master.id}/resellers`, {
      name: "x",
      email: "nope@",
      services: [],
      billingReference: "b".repeat(101),
      colour: "red",
    });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({
      name: "Must be at least 2 characters",
      email: "Must be a valid e-mail address",
      services: "Select at least one service",
      billingReference: "Must be at most 100 characters",
      colour: "Unknown field",
    });
    const missing = await masterA.post(
      `/api/v1/master-resellers/${world.a.master.id}/resellers`,
      {},
    );
    expect(missing.body.fields).toEqual({
      name: "Required",
      email: "Required",
      services: "Required",
    });
    const badService = await masterA.post(
      `/api/v1/master-resellers/${world.a.master.id}/resellers`,
      resellerBody(unique(), { services: ["FAX"] }),
    );
    expect(badService.body.fields).toEqual({ "services.0": "Must be PBX or TRUNK" });
    expect(await rowCount(organizations)).toBe(before);
  });

  it("refuses entitlements the master reseller does not have (400 naming the field)", async () => {
    const outside = await buildRegion(t.services.db);
    const res = await masterA.post(
      `/api/v1/master-resellers/${world.a.master.id}/resellers`,
      resellerBody(unique(), { regionIds: [world.regions[0]!.id, outside.id] }),
    );
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ regionIds: "Not available to this master reseller" });
  });

  it("answers 404 outside the actor's subtree", async () => {
    expect(
      (
        await masterA.post(
          `/api/v1/master-resellers/${world.b.master.id}/resellers`,
          resellerBody(unique()),
        )
      ).status,
    ).toBe(404);
    // a reseller's parent is not in its subtree
    expect(
      (
        await resellerA.post(
          `/api/v1/master-resellers/${world.a.master.id}/resellers`,
          resellerBody(unique()),
        )
      ).status,
    ).toBe(404);
    expect((await masterA.get(`/api/v1/resellers/${world.b.reseller.id}`)).status).toBe(404);
    expect(
      (await masterA.patch(`/api/v1/resellers/${world.b.reseller.id}`, { name: "Mine" })).status,
    ).toBe(404);
    expect((await masterA.post(`/api/v1/resellers/${world.b.reseller.id}/disable`)).status).toBe(
      404,
    );
    expect((await resellerA.get(`/api/v1/resellers/${world.b.reseller.id}`)).status).toBe(404);
    expect((await operator.get(`/api/v1/resellers/${world.a.master.id}`)).status).toBe(404);
  });

  it("refuses a reseller admin (403), even on its own reseller", async () => {
    expect((await resellerA.get("/api/v1/resellers")).status).toBe(403);
    expect((await resellerA.get(`/api/v1/resellers/${world.a.reseller.id}`)).status).toBe(403);
    expect(
      (await resellerA.patch(`/api/v1/resellers/${world.a.reseller.id}`, { name: "Self" })).status,
    ).toBe(403);
    expect((await resellerA.post(`/api/v1/resellers/${world.a.reseller.id}/disable`)).status).toBe(
      403,
    );
  });

  it("lets a master reseller add one: trimmed, lower-cased, invited, entitled to all it has", async () => {
    const n = unique();
    const res = await masterA.post(
      `/api/v1/master-resellers/${world.a.master.id}/resellers`,
      resellerBody(n, { name: `  Reseller ${n}  `, email: ` Reseller-${n}@Partner.Example.COM ` }),
    );
    expect(res.status).toBe(201);
    const email = `reseller-${n}@partner.example.com`;
    expect(res.body).toMatchObject({
      kind: "reseller",
      parentId: world.a.master.id,
      name: `Reseller ${n}`,
      email,
      status: "invited",
      services: ["PBX", "TRUNK"],
      billingReference: `BR-${n}`,
      enterpriseCount: 0,
      invitation: { email, mailState: "queued" },
    });
    expect(res.body.regionIds.sort()).toEqual(world.regions.map((r) => r.id).sort());
    expect(res.body.pbxTypeIds.sort()).toEqual(world.pbxTypes.map((p) => p.id).sort());
    expect(res.body.abilities).toEqual([
      "reseller.update",
      "reseller.disable",
      "reseller.resend_invitation",
    ]);
    await t.services.drain("invitations.send-email");
    const { mail, token } = lastActivationMail(t.services.mailer, email);
    expect(mail.text).toContain(`http://teamgate.test/activate?token=`);
    expect(token.length).toBeGreaterThan(20);
    const [audit] = await t.services.db
      .select(auditColumns)
      .from(events)
      .where(eq(events.subjectId, res.body.id));
    expect(audit).toMatchObject({
      action: "reseller.created",
      actorAccountId: world.a.masterAdmin.id,
      masterResellerId: world.a.master.id,
      resellerId: res.body.id,
    });
    // the master reseller sees it in its audit log
    const log = await masterA.get(`/api/v1/audit?targetId=${res.body.id}`);
    expect(log.body.items).toHaveLength(1);
  });

  it("keeps only the requested entitlements when they are within the master reseller's", async () => {
    const res = await masterA.post(
      `/api/v1/master-resellers/${world.a.master.id}/resellers`,
      resellerBody(unique(), {
        services: ["TRUNK"],
        regionIds: [world.regions[1]!.id, world.regions[1]!.id],
        pbxTypeIds: [],
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      services: ["TRUNK"],
      regionIds: [world.regions[1]!.id],
      pbxTypeIds: [],
    });
  });

  it("refuses a name taken by a sibling in another case (409 on name); another master may reuse it", async () => {
    const res = await masterA.post(
      `/api/v1/master-resellers/${world.a.master.id}/resellers`,
      resellerBody(unique(), { name: world.a.reseller.name.toUpperCase() }),
    );
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("name_in_use");
    expect(res.body.fields).toEqual({
      name: "A reseller with this name already exists under this master reseller",
    });
    const elsewhere = await operator.post(
      `/api/v1/master-resellers/${world.b.master.id}/resellers`,
      resellerBody(unique(), { name: world.a.reseller.name }),
    );
    expect(elsewhere.status).toBe(201);
  });

  it("refuses an e-mail used in any tier, case-insensitively, and writes nothing", async () => {
    const orgs = await rowCount(organizations);
    const invites = await rowCount(invitations);
    const jobsBefore = await t.services.drain("invitations.send-email");
    expect(jobsBefore).toBeGreaterThanOrEqual(0);
    const sentBefore = t.services.mailer.sent.length;
    for (const taken of [
      world.b.enterprise.adminEmail.toUpperCase(),
      world.operatorAdmin.email.toUpperCase(),
      world.a.masterAdmin.email,
    ]) {
      const res = await masterA.post(
        `/api/v1/master-resellers/${world.a.master.id}/resellers`,
        resellerBody(unique(), { email: taken }),
      );
      expect(res.status).toBe(409);
      expect(res.body.fields).toEqual({ email: "This e-mail address is already in use" });
    }
    expect(await rowCount(organizations)).toBe(orgs);
    expect(await rowCount(invitations)).toBe(invites);
    expect(await t.services.drain("invitations.send-email")).toBe(0);
    expect(t.services.mailer.sent.length).toBe(sentBefore);
  });

  it("lists only the actor's subtree, with enterprise counts, search and status filter", async () => {
    const mine = await masterA.get("/api/v1/resellers?pageSize=100");
    expect(mine.status).toBe(200);
    const items = mine.body.items as { id: string; parentId: string; enterpriseCount: number }[];
    expect(items.length).toBe(mine.body.total);
    expect(items.every((r) => r.parentId === world.a.master.id)).toBe(true);
    expect(items.find((r) => r.id === world.a.reseller.id)?.enterpriseCount).toBe(1);
    const all = await operator.get("/api/v1/resellers?pageSize=100");
    const allIds = all.body.items.map((r: { id: string }) => r.id);
    expect(allIds).toEqual(expect.arrayContaining([world.a.reseller.id, world.b.reseller.id]));
    expect(all.body.total).toBeGreaterThan(mine.body.total);
    const foreign = await masterA.get(`/api/v1/resellers?q=${world.b.reseller.email}`);
    expect(foreign.body).toMatchObject({ total: 0, items: [] });
    const found = await masterA.get(`/api/v1/resellers?q=${world.a.reseller.email.toUpperCase()}`);
    expect(found.body.items.map((r: { id: string }) => r.id)).toEqual([world.a.reseller.id]);
    const invited = await masterA.get("/api/v1/resellers?status=invited&pageSize=100");
    expect(invited.body.items.length).toBeGreaterThan(0);
    expect(invited.body.items.every((r: { status: string }) => r.status === "invited")).toBe(true);
  });

  it("lets the master reseller edit a reseller within its own entitlements", async () => {
    const res = await masterA.patch(`/api/v1/resellers/${world.a.reseller.id}`, {
      name: "Reseller A Renamed",
      billingReference: "",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "Reseller A Renamed", billingReference: null });
    const outside = await buildRegion(t.services.db);
    const bad = await masterA.patch(`/api/v1/resellers/${world.a.reseller.id}`, {
      regionIds: [outside.id],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ regionIds: "Not available to this master reseller" });
    // Enterprise A uses region 0, PBX type 0 and the PBX service: none of them can be taken away.
    const inUse = await masterA.patch(`/api/v1/resellers/${world.a.reseller.id}`, {
      services: ["TRUNK"],
      regionIds: [world.regions[1]!.id],
      pbxTypeIds: [world.pbxTypes[1]!.id],
    });
    expect(inUse.status).toBe(409);
    expect(inUse.body.fields).toEqual({
      services: `Still used by enterprise ${world.a.enterprise.name}`,
      regionIds: `Still used by enterprise ${world.a.enterprise.name}`,
      pbxTypeIds: `Still used by enterprise ${world.a.enterprise.name}`,
    });
    const narrowed = await masterA.patch(`/api/v1/resellers/${world.a.reseller.id}`, {
      pbxTypeIds: [world.pbxTypes[0]!.id],
    });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.pbxTypeIds).toEqual([world.pbxTypes[0]!.id]);
    expect(
      (await masterA.patch(`/api/v1/resellers/${world.a.reseller.id}`, { name: "x" })).body.fields,
    ).toEqual({ name: "Must be at least 2 characters" });
  });

  it("disables a reseller: its sessions end, sign-in is refused; enable restores it", async () => {
    const reseller = await buildOrganization(t.services.db, {
      kind: "reseller",
      parent: world.a.master,
    });
    const admin = await buildAccount(t.services.db, { organizationId: reseller.id });
    const client = await signIn(t.app, admin.email);
    expect((await client.get("/api/v1/auth/session")).status).toBe(200);

    const res = await masterA.post(`/api/v1/resellers/${reseller.id}/disable`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("disabled");
    expect(res.body.abilities).toEqual(["reseller.update", "reseller.enable"]);
    expect(
      await t.services.db.select().from(sessions).where(eq(sessions.accountId, admin.id)),
    ).toHaveLength(0);
    expect((await client.get("/api/v1/auth/session")).status).toBe(401);
    await expect(signIn(t.app, admin.email)).rejects.toThrow(/403/);
    // the master reseller's own session is untouched
    expect((await masterA.get("/api/v1/resellers")).status).toBe(200);

    const enabled = await masterA.post(`/api/v1/resellers/${reseller.id}/enable`);
    expect(enabled.body.status).toBe("active");
    expect((await signIn(t.app, admin.email)).get).toBeDefined();
    expect(await auditActions(reseller.id)).toEqual(["reseller.disabled", "reseller.enabled"]);
  });

  it("resends the activation only while invited (409 otherwise)", async () => {
    const active = await masterA.post(`/api/v1/resellers/${world.a.reseller.id}/resend-invitation`);
    expect(active.status).toBe(409);
    expect(active.body.code).toBe("invalid_state");
    const created = await masterA.post(
      `/api/v1/master-resellers/${world.a.master.id}/resellers`,
      resellerBody(unique()),
    );
    const res = await masterA.post(`/api/v1/resellers/${created.body.id}/resend-invitation`);
    expect(res.status).toBe(200);
    expect(res.body.invitation).toMatchObject({ mailState: "queued", usedAt: null });
    expect(await auditActions(created.body.id)).toEqual([
      "reseller.created",
      "reseller.invitation_resent",
    ]);
  });
});
