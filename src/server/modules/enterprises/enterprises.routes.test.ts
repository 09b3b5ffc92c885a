import { and, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import { enterprises, events } from "../../db/schema/index.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";
import { enterpriseBody, lastInvitationMail } from "./enterprises.test-support.ts";

let t: TestApp;
let world: World;
let anonymous: Client;
let operator: Client;
let master: Client;
let reseller: Client;
let entitlements: { regionIds: string[]; pbxTypeIds: string[] };

const add = (resellerId: string) => `/api/v1/resellers/${resellerId}/enterprises`;
const one = (id: string) => `/api/v1/enterprises/${id}`;
const unknownEnterprise = "ent_00000000000000000000";
const tooLongId = "x".repeat(65);

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  anonymous = clientOf(t.app);
  operator = await signIn(t.app, world.operatorAdmin.email);
  master = await signIn(t.app, world.a.masterAdmin.email);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
  entitlements = {
    regionIds: world.regions.map((r) => r.id),
    pbxTypeIds: [world.pbxTypes[0]!.id],
  };
});
afterAll(() => t.close());

let n = 0;
/** Creates an enterprise under reseller A through the API. */
async function addEnterprise() {
  const res = await reseller.post(
    add(world.a.reseller.id),
    enterpriseBody(`r${++n}`, entitlements),
  );
  expect(res.status).toBe(201);
  return res.body as { id: string; adminEmail: string; name: string };
}

describe("POST /resellers/:resellerId/enterprises (Add Enterprise)", () => {
  it("refuses anonymous callers (401)", async () => {
    const res = await anonymous.post(add(world.a.reseller.id), enterpriseBody("x", entitlements));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("unauthenticated");
  });

  it("names each invalid field (400)", async () => {
    const res = await reseller.post(add(world.a.reseller.id), {
      name: " ",
      adminEmail: "not-an-email",
      userLimit: 0,
      regionIds: [],
      services: ["PBX"],
      pbxTypeIds: [],
      extra: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("validation_failed");
    expect(res.body.fields).toMatchObject({
      name: "Required",
      adminEmail: "Must be a valid e-mail address",
      userLimit: "Enter a whole number of at least 1, or leave blank for unlimited",
      regionIds: "Select at least one SBC region",
      extra: "Unknown field",
    });
    const noService = await reseller.post(add(world.a.reseller.id), {
      ...enterpriseBody("y", entitlements),
      services: [],
    });
    expect(noService.body.fields).toEqual({ services: "Select at least one service" });
    const noPbxType = await reseller.post(add(world.a.reseller.id), {
      ...enterpriseBody("y", entitlements),
      pbxTypeIds: [],
    });
    expect(noPbxType.body.fields).toEqual({ pbxTypeIds: "Assign at least one PBX type" });
  });

  it("refuses a user limit that is not a whole number of at least 1, and creates nothing", async () => {
    for (const userLimit of [-1, 1.5, "abc", "12", 0, 1_000_001]) {
      const name = `Limit ${String(userLimit)}`;
      const res = await reseller.post(add(world.a.reseller.id), {
        ...enterpriseBody("limit", entitlements),
        name,
        userLimit,
      });
      expect(res.status, String(userLimit)).toBe(400);
      expect(Object.keys(res.body.fields)).toEqual(["userLimit"]);
      expect(res.body.fields.userLimit).toMatch(/^Enter (a whole number of at least 1|at most)/);
      const rows = await t.services.db.select().from(enterprises).where(eq(enterprises.name, name));
      expect(rows).toHaveLength(0);
    }
  });

  it("answers 404 for a reseller outside the actor's subtree, or no reseller at all", async () => {
    const body = enterpriseBody("z", entitlements);
    for (const [client, resellerId] of [
      [reseller, world.b.reseller.id],
      [master, world.b.reseller.id],
      [reseller, world.a.master.id],
      [operator, world.a.master.id],
      [operator, "org_00000000000000000000"],
    ] as const) {
      const res = await client.post(add(resellerId), body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe("not_found");
    }
  });

  it("refuses a master reseller, who may only read enterprises (403)", async () => {
    const res = await master.post(add(world.a.reseller.id), enterpriseBody("m", entitlements));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("forbidden");
  });

  it("lets the reseller and the operator add an enterprise (201)", async () => {
    const mine = await reseller.post(add(world.a.reseller.id), enterpriseBody("ok1", entitlements));
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ name: "Acme ok1", status: "invited" });
    const theirs = await operator.post(
      add(world.b.reseller.id),
      enterpriseBody("ok2", entitlements),
    );
    expect(theirs.status).toBe(201);
    expect(theirs.body).toMatchObject({
      resellerId: world.b.reseller.id,
      resellerName: "Reseller B",
    });
  });
});

describe("GET /enterprises", () => {
  it("refuses anonymous callers (401)", async () => {
    expect((await anonymous.get("/api/v1/enterprises")).status).toBe(401);
  });

  it("names an invalid filter or page size (400)", async () => {
    const res = await reseller.get("/api/v1/enterprises?status=deleted&pageSize=1000");
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.fields).sort()).toEqual(["pageSize", "status"]);
    expect(res.body.fields.status).toBe("Must be invited, registered, active or disabled");
  });

  it("shows each role only its subtree (no 404/403: every portal role may list)", async () => {
    const resellersOf = async (client: Client) =>
      new Set(
        (
          (await client.get("/api/v1/enterprises?pageSize=100")).body.items as {
            resellerId: string;
          }[]
        ).map((e) => e.resellerId),
      );
    expect(await resellersOf(reseller)).toEqual(new Set([world.a.reseller.id]));
    expect(await resellersOf(master)).toEqual(new Set([world.a.reseller.id]));
    expect(await resellersOf(operator)).toEqual(
      new Set([world.a.reseller.id, world.b.reseller.id]),
    );
  });
});

describe("GET /enterprises/:id", () => {
  it("has the ladder: 401, 400, 404 foreign, then 200 for every role of the subtree", async () => {
    expect((await anonymous.get(one(world.a.enterprise.id))).status).toBe(401);
    const bad = await reseller.get(one(tooLongId));
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields)).toEqual(["id"]);
    expect((await reseller.get(one(world.b.enterprise.id))).status).toBe(404);
    expect((await master.get(one(world.b.enterprise.id))).status).toBe(404);
    expect((await operator.get(one(unknownEnterprise))).status).toBe(404);
    // Reading is allowed to every portal role, so there is no 403 here; the abilities differ.
    const asMaster = await master.get(one(world.a.enterprise.id));
    expect(asMaster.status).toBe(200);
    expect(asMaster.body).toMatchObject({ id: world.a.enterprise.id, abilities: [] });
    const asReseller = await reseller.get(one(world.a.enterprise.id));
    expect(asReseller.body.abilities).toEqual([
      "enterprise.update",
      "enterprise.disable",
      "enterprise.resend_invitation",
    ]);
    expect((await operator.get(one(world.b.enterprise.id))).status).toBe(200);
  });
});

describe("PATCH /enterprises/:id", () => {
  it("has the ladder: 401, 400, 404, 403, 200", async () => {
    const target = one(world.a.enterprise.id);
    expect((await anonymous.patch(target, { name: "Renamed" })).status).toBe(401);
    const bad = await reseller.patch(target, { userLimit: 1.5, billingReference: "x".repeat(101) });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({
      userLimit: "Enter a whole number of at least 1, or leave blank for unlimited",
      billingReference: "Must be at most 100 characters",
    });
    expect((await reseller.patch(one(world.b.enterprise.id), { name: "Mine now" })).status).toBe(
      404,
    );
    const asMaster = await master.patch(target, { name: "Renamed" });
    expect(asMaster.status).toBe(403);
    const ok = await reseller.patch(target, { name: "Enterprise A renamed" });
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe("Enterprise A renamed");
  });

  it("keeps the regions in the order chosen (the primary first), and a new order is a change", async () => {
    const target = one(world.a.enterprise.id);
    const ids = world.regions.map((r) => r.id);
    const first = await reseller.patch(target, { regionIds: ids });
    expect(first.body.regionIds).toEqual(ids);
    const reversed = [...ids].reverse();
    const second = await reseller.patch(target, { regionIds: reversed });
    expect(second.body.regionIds).toEqual(reversed);
    expect((await reseller.get(target)).body.regionIds).toEqual(reversed);
    const [update] = await t.services.db
      .select({ payload: events.payload })
      .from(events)
      .where(
        and(eq(events.name, "enterprise.updated"), eq(events.subjectId, world.a.enterprise.id)),
      )
      .orderBy(desc(events.id))
      .limit(1);
    expect(update?.payload).toMatchObject({
      before: { regionIds: ids },
      after: { regionIds: reversed },
    });
  });
});

describe("POST /enterprises/:id/disable and /enable", () => {
  it("has the ladder: 401, 400, 404, 403, 200, then 409 when already in that state", async () => {
    const created = await addEnterprise();
    for (const action of ["disable", "enable"]) {
      expect((await anonymous.post(`${one(created.id)}/${action}`)).status).toBe(401);
      expect((await reseller.post(`${one(tooLongId)}/${action}`)).status).toBe(400);
      expect((await reseller.post(`${one(world.b.enterprise.id)}/${action}`)).status).toBe(404);
      expect((await master.post(`${one(created.id)}/${action}`)).status).toBe(403);
    }
    const disabled = await reseller.post(`${one(created.id)}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({
      status: "disabled",
      abilities: ["enterprise.update", "enterprise.enable"],
    });
    const again = await reseller.post(`${one(created.id)}/disable`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("invalid_state");
    const enabled = await reseller.post(`${one(created.id)}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.body.status).toBe("invited");
    expect((await reseller.post(`${one(created.id)}/enable`)).status).toBe(409);
  });
});

describe("POST /enterprises/:id/resend-invitation", () => {
  it("has the ladder: 401, 400, 404, 403, 200, and 409 unless invited", async () => {
    const created = await addEnterprise();
    const url = `${one(created.id)}/resend-invitation`;
    expect((await anonymous.post(url)).status).toBe(401);
    expect((await reseller.post(`${one(tooLongId)}/resend-invitation`)).status).toBe(400);
    expect((await reseller.post(`${one(world.b.enterprise.id)}/resend-invitation`)).status).toBe(
      404,
    );
    expect((await master.post(url)).status).toBe(403);
    const ok = await reseller.post(url);
    expect(ok.status).toBe(200);
    expect(ok.body.invitation).toMatchObject({ email: created.adminEmail, mailState: "queued" });

    await t.services.db
      .update(enterprises)
      .set({ status: "registered" })
      .where(eq(enterprises.id, created.id));
    const refused = await reseller.post(url);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      code: "invalid_state",
      message: "Only an invited enterprise can be sent a new invitation",
    });
  });
});

describe("The public Complete page API", () => {
  let invitation: { code: string; token: string };
  let created: { name: string; adminEmail: string };

  beforeAll(async () => {
    created = await addEnterprise();
    await t.services.drain("invitations.send-email");
    invitation = lastInvitationMail(t.services.mailer, created.adminEmail);
  });

  it("GET /enterprise-invitations: public; 400 without a token, 410 unknown, 200 valid", async () => {
    const missing = await anonymous.get("/api/v1/enterprise-invitations");
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.fields)).toEqual(["token"]);
    const unknown = await anonymous.get(`/api/v1/enterprise-invitations?token=${"a".repeat(43)}`);
    expect(unknown.status).toBe(410);
    expect(unknown.body.code).toBe("invitation_invalid");
    const ok = await anonymous.get(
      `/api/v1/enterprise-invitations?token=${encodeURIComponent(invitation.token)}`,
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      enterpriseName: created.name,
      resellerName: "Reseller A",
      expiresAt: expect.any(String),
    });
  });

  it("POST /enterprise-invitations/verify: public; 400 bad body or code, 410 unknown, 200", async () => {
    const bad = await anonymous.post("/api/v1/enterprise-invitations/verify", {
      token: "short",
      code: " ",
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields).sort()).toEqual(["code", "token"]);
    const wrong = await anonymous.post("/api/v1/enterprise-invitations/verify", {
      token: invitation.token,
      code: "AAAA-AAAA",
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.fields.code).toMatch(/not correct \(\d+ attempts left\)/);
    const unknown = await anonymous.post("/api/v1/enterprise-invitations/verify", {
      token: "b".repeat(43),
      code: invitation.code,
    });
    expect(unknown.status).toBe(410);
    const ok = await anonymous.post("/api/v1/enterprise-invitations/verify", {
      token: invitation.token,
      code: invitation.code,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      enterpriseName: created.name,
      resellerName: "Reseller A",
      adminEmail: created.adminEmail,
      next: "microsoft_sign_in",
    });
  });

  it("limits each address to 20 requests a minute per Complete route (429)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      statuses.push(
        (await anonymous.get(`/api/v1/enterprise-invitations?token=${"c".repeat(43)}`)).status,
      );
    }
    // Whatever earlier tests spent, at most 20 pass in the minute and every later one is refused.
    const firstRefused = statuses.indexOf(429);
    expect(firstRefused).toBeGreaterThan(0);
    expect(firstRefused).toBeLessThanOrEqual(20);
    expect(new Set(statuses.slice(0, firstRefused))).toEqual(new Set([410]));
    expect(new Set(statuses.slice(firstRefused))).toEqual(new Set([429]));
  });
});
