import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  signInEnterpriseAdmin,
  type TestApp,
} from "../../../../test/harness.ts";
import { callingUsers, devices, enterprises, phoneNumbers } from "../../db/schema/index.ts";
import {
  buildEnterprise,
  buildEnterpriseAdmin,
  buildWorld,
  type World,
} from "../../db/seed/factories.ts";
import { unseal } from "../../lib/secrets.ts";
import { buildGatewayNode } from "../gateway-feed/gateway-feed.factories.ts";
import { buildPhoneNumber } from "../numbers/numbers.factories.ts";
import { buildPbx } from "../pbx/pbx.factories.ts";
import { buildSyncedUser } from "./calling.factories.ts";

let t: TestApp;
let world: World;
let admin: Client;
let resellerA: Client;
let masterA: Client;
let resellerB: Client;
let enterpriseId: string;
let regionId: string;
let pbx: { id: string; sipDomain: string };

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  enterpriseId = world.a.enterprise.id;
  regionId = world.regions[0]!.id;
  admin = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, world.a.enterprise)).id,
  );
  resellerA = await signIn(t.app, world.a.resellerAdmin.email);
  masterA = await signIn(t.app, world.a.masterAdmin.email);
  resellerB = await signIn(t.app, world.b.resellerAdmin.email);
  pbx = await buildPbx(t.services.db, { enterpriseId, pbxTypeId: world.pbxTypes[0]!.id });
});
afterAll(() => t.close());

const url = (userId: string, rest = "calling", enterprise = enterpriseId) =>
  `/api/v1/enterprises/${enterprise}/users/${userId}/${rest}`;

let extension = 200;
/** A licensed user, a free number and a valid PBX-user body for them. */
async function candidate(overrides: Record<string, unknown> = {}, enterprise = enterpriseId) {
  const user = await buildSyncedUser(t.services.db, { enterpriseId: enterprise });
  const number = await buildPhoneNumber(t.services.db, { enterpriseId: enterprise });
  const ext = extension++;
  return {
    user,
    number,
    body: {
      pbxId: pbx.id,
      regionId,
      sipUser: `${ext}@${pbx.sipDomain}`,
      phoneNumber: number.number,
      sipAuthId: `${ext}`,
      sipPassword: "pbx-issued-pw",
      ...overrides,
    },
  };
}

/** Row counts and digests of everything configuring writes. */
async function snapshot() {
  const { rows } = await t.services.database.execute(
    `select (select md5(coalesce(string_agg(c::text, ',' order by c.user_id), '')) from calling_users c) as calling,
            (select md5(coalesce(string_agg(d::text, ',' order by d.id), '')) from devices d) as devices,
            (select md5(coalesce(string_agg(n::text, ',' order by n.id), '')) from phone_numbers n) as numbers,
            (select count(*)::int from events) as events`,
  );
  return rows[0];
}

describe("configure a PBX user: the ladder", () => {
  it("401, 400, 404 (another subtree, another enterprise's user), 403, 201, 200", async () => {
    const { user, body } = await candidate();
    expect((await clientOf(t.app).put(url(user.id), body)).status).toBe(401);
    const bad = await admin.put(url(user.id), { ...body, phoneNumber: "12" });
    expect([bad.status, Object.keys(bad.body.fields)]).toEqual([400, ["phoneNumber"]]);
    expect((await resellerB.put(url(user.id), body)).status).toBe(404);
    const other = await candidate({}, world.b.enterprise.id);
    expect((await admin.put(url(other.user.id), body)).status).toBe(404);
    const master = await masterA.put(url(user.id), body);
    expect([master.status, master.body.code]).toEqual([403, "forbidden"]);
    const created = await admin.put(url(user.id), body);
    expect(created.status).toBe(201);
    expect(created.body.calling).toMatchObject({
      service: "pbx",
      sipUser: body.sipUser,
      phoneNumber: body.phoneNumber,
      status: "active",
      device: { sipAuthId: body.sipAuthId, hasSipPassword: true },
      teams: { state: "pending" },
    });
    expect(JSON.stringify(created.body)).not.toContain(body.sipPassword);
    const updated = await admin.put(url(user.id), {
      ...body,
      tag: "sales",
      sipPassword: undefined,
    });
    expect([updated.status, updated.body.calling.tag]).toEqual([200, "sales"]);
    // The password was kept, sealed.
    const [device] = await t.services.db.select().from(devices).where(eq(devices.userId, user.id));
    expect(device?.sipPassword).not.toContain(body.sipPassword);
    expect(unseal(t.services.secret, device!.sipPassword)).toBe(body.sipPassword);
    // The number is the user's in the inventory.
    const [n] = await t.services.db
      .select()
      .from(phoneNumbers)
      .where(eq(phoneNumbers.number, body.phoneNumber));
    expect([n?.state, n?.assignedUserId]).toEqual(["assigned", user.id]);
    const detail = await resellerA.get(`/api/v1/enterprises/${enterpriseId}/users/${user.id}`);
    expect(detail.body.calling.phoneNumber).toBe(body.phoneNumber);
  });

  it("a provider without management consent configures, and the Teams side waits for an enterprise admin", async () => {
    const { user, body } = await candidate();
    const res = await resellerA.put(url(user.id), body);
    expect(res.status).toBe(201);
    expect(res.body.calling.teams.state).toBe("waiting");
    expect(res.body.abilities).not.toContain("calling.push");
    const push = await resellerA.post(url(user.id, "teams-push"));
    expect([push.status, push.body.code]).toEqual([403, "management_consent_required"]);
    const released = await admin.post(`/api/v1/enterprises/${enterpriseId}/teams-push`, {});
    expect(released.status).toBe(202);
    expect(released.body.queued).toBeGreaterThanOrEqual(1);
    const [row] = await t.services.db
      .select()
      .from(callingUsers)
      .where(eq(callingUsers.userId, user.id));
    expect(row?.teamsState).toBe("pending");
  });
});

describe("configure: the rules, and nothing written when one fails", () => {
  it("refuses each mistake with a field message", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ sipUser: "201@other.example.com" }, "sipUser", /Must end in @/],
      [{ sipUser: null }, "sipUser", /Required for a PBX user/],
      [{ sipAuthId: null }, "sipAuthId", /Required/],
      [{ sipPassword: undefined }, "sipPassword", /Required for a new device/],
      [{ phoneNumber: "+15550001111" }, "phoneNumber", /not in the enterprise's phone numbers/],
      [{ pbxId: "pbx_nope" }, "pbxId", /PBX locations/],
      [{ regionId: world.regions[1]!.id }, "regionId", /SBC regions/],
      [{ forwardedDids: ["+15550001111"] }, "forwardedDids", /Only a trunk user/],
      [{ callerNamePolicy: "OTHER" }, "callerName", /Required when/],
    ];
    for (const [overrides, field, message] of cases) {
      const { user, body } = await candidate(overrides);
      const before = await snapshot();
      const res = await admin.put(url(user.id), { ...body, ...overrides });
      expect([res.status, field]).toEqual([400, field]);
      expect(res.body.fields[field]).toMatch(message);
      expect(await snapshot()).toEqual(before);
    }
  });

  it("needs a Teams Phone licence", async () => {
    const { body } = await candidate();
    const unlicensed = await buildSyncedUser(t.services.db, {
      enterpriseId,
      teamsPhoneLicensed: false,
    });
    const res = await admin.put(url(unlicensed.id), body);
    expect(res.status).toBe(400);
    expect(res.body.fields.userId).toMatch(/no Teams Phone licence/);
  });

  it("keeps a SIP user and a number to one user, disabled users included", async () => {
    const first = await candidate();
    expect((await admin.put(url(first.user.id), first.body)).status).toBe(201);
    expect((await admin.post(url(first.user.id, "disable"))).status).toBe(200);
    const second = await candidate();
    const sameSip = await admin.put(url(second.user.id), {
      ...second.body,
      sipUser: first.body.sipUser.toUpperCase().replace(pbx.sipDomain.toUpperCase(), pbx.sipDomain),
    });
    expect(sameSip.body.fields.sipUser).toMatch(/already another user's SIP user/);
    const sameNumber = await admin.put(url(second.user.id), {
      ...second.body,
      phoneNumber: first.body.phoneNumber,
    });
    expect(sameNumber.body.fields.phoneNumber).toMatch(/already assigned to another user/);
  });

  it("configures a trunk user with forwarded DIDs and no device", async () => {
    const { user, body } = await candidate();
    const did = await buildPhoneNumber(t.services.db, { enterpriseId });
    const withDevice = await admin.put(url(user.id), { ...body, service: "trunk", sipUser: null });
    expect(withDevice.body.fields.sipAuthId).toMatch(/no device/);
    const res = await admin.put(url(user.id), {
      service: "trunk",
      pbxId: pbx.id,
      regionId,
      phoneNumber: body.phoneNumber,
      forwardedDids: [did.number],
    });
    expect(res.status).toBe(201);
    expect(res.body.calling).toMatchObject({ service: "trunk", device: null, sipUser: null });
    const assigned = await t.services.db
      .select()
      .from(phoneNumbers)
      .where(eq(phoneNumbers.assignedUserId, user.id));
    expect(assigned.map((n) => n.number).sort()).toEqual([body.phoneNumber, did.number].sort());
    // Back to one number: the DID is free again.
    await admin.put(url(user.id), {
      service: "trunk",
      pbxId: pbx.id,
      regionId,
      phoneNumber: body.phoneNumber,
    });
    const [freed] = await t.services.db
      .select()
      .from(phoneNumbers)
      .where(eq(phoneNumbers.number, did.number));
    expect([freed?.state, freed?.assignedUserId]).toEqual(["available", null]);
  });

  it("refuses to delete a PBX location in use (409)", async () => {
    const res = await admin.delete(`/api/v1/enterprises/${enterpriseId}/pbxes/${pbx.id}`);
    expect([res.status, res.body.code]).toEqual([409, "conflict"]);
  });
});

describe("the user limit", () => {
  it("holds when two admins take the last seat at the same moment: exactly one succeeds", async () => {
    const limited = await buildEnterprise(t.services.db, {
      reseller: world.a.reseller,
      regionIds: [regionId],
      pbxTypeIds: [world.pbxTypes[0]!.id],
      userLimit: 1,
    });
    const limitedAdmin = await signInEnterpriseAdmin(
      t.app,
      t.services,
      (await buildEnterpriseAdmin(t.services.db, limited)).id,
    );
    const limitedPbx = await buildPbx(t.services.db, {
      enterpriseId: limited.id,
      pbxTypeId: world.pbxTypes[0]!.id,
    });
    const one = await candidate({ pbxId: limitedPbx.id }, limited.id);
    const two = await candidate({ pbxId: limitedPbx.id }, limited.id);
    const body = (c: typeof one, ext: string) => ({
      ...c.body,
      sipUser: `${ext}@${limitedPbx.sipDomain}`,
    });
    const results = await Promise.all([
      limitedAdmin.put(url(one.user.id, "calling", limited.id), body(one, "301")),
      admin.put(url(two.user.id, "calling", limited.id), body(two, "302")),
      resellerA.put(url(two.user.id, "calling", limited.id), body(two, "302")),
    ]);
    const statuses = results.map((r) => r.status).sort();
    // The enterprise A admin is another enterprise's: 404. Of the two real attempts one wins.
    expect(statuses).toEqual([201, 404, 409]);
    expect(results.find((r) => r.status === 409)?.body.code).toBe("user_limit_reached");
    const rows = await t.services.db
      .select()
      .from(callingUsers)
      .where(eq(callingUsers.enterpriseId, limited.id));
    expect(rows).toHaveLength(1);
    await t.services.db
      .update(enterprises)
      .set({ userLimit: 2 })
      .where(eq(enterprises.id, limited.id));
  });
});

describe("actions", () => {
  it("disable calling, enable it, change the password, disable, delete, and 409 where the state forbids", async () => {
    const { user, body } = await candidate();
    expect((await admin.put(url(user.id), body)).status).toBe(201);
    expect((await admin.post(url(user.id, "enable-calling"))).status).toBe(409);
    const off = await admin.post(url(user.id, "disable-calling"));
    expect([off.status, off.body.calling.status]).toEqual([200, "calling_disabled"]);
    expect((await admin.post(url(user.id, "enable-calling"))).body.calling.status).toBe("active");
    const pw = await admin.post(url(user.id, "sip-password"), { sipPassword: "new-pw-1234" });
    expect(pw.status).toBe(200);
    const [device] = await t.services.db.select().from(devices).where(eq(devices.userId, user.id));
    expect(unseal(t.services.secret, device!.sipPassword)).toBe("new-pw-1234");
    const early = await admin.delete(url(user.id));
    expect([early.status, early.body.message]).toEqual([
      409,
      expect.stringMatching(/disable it first/),
    ]);
    expect((await admin.post(url(user.id, "disable"))).body.calling.status).toBe("disabled");
    const gone = await admin.delete(url(user.id));
    expect([gone.status, gone.body.soft, gone.body.calling.status]).toEqual([
      200,
      false,
      "deleted",
    ]);
    expect((await admin.post(url(user.id, "restore"))).status).toBe(409);
  });

  it("a provider without consent deletes softly, and may restore until an admin signs in", async () => {
    const { user, body } = await candidate();
    expect((await resellerA.put(url(user.id), body)).status).toBe(201);
    expect((await resellerA.post(url(user.id, "disable"))).status).toBe(200);
    const soft = await resellerA.delete(url(user.id));
    expect([soft.status, soft.body.soft]).toEqual([200, true]);
    expect(soft.body.abilities).toEqual(["calling.restore"]);
    const restored = await resellerA.post(url(user.id, "restore"));
    expect([restored.status, restored.body.calling.status]).toEqual([200, "disabled"]);
  });
});

describe("registration history", () => {
  it("401, 400, 404 (another subtree, another enterprise's user, unknown), 200 newest first for every tier (each holds users.read: no 403)", async () => {
    const { user, body } = await candidate();
    expect((await admin.put(url(user.id), body)).status).toBe(201);
    const [device] = await t.services.db.select().from(devices).where(eq(devices.userId, user.id));
    // A node of the user's region leases the device and reports through the gateway feed.
    const { node, token } = await buildGatewayNode(t.services.db, regionId);
    const gateway = async (path: string, payload: object) =>
      (
        await t.app.inject({
          method: "POST",
          url: `/api/v1/gateway/${path}`,
          headers: { authorization: `Bearer ${token}` },
          payload,
        })
      ).json();
    expect((await gateway("leases/acquire", { deviceIds: [device!.id] })).leases).toHaveLength(1);
    const base = Date.now() - 60_000;
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    await gateway("registrations", {
      items: [
        { deviceId: device!.id, state: "failed", code: 401, reason: "Unauthorized", at: at(1) },
        { deviceId: device!.id, state: "registered", at: at(2) },
        { deviceId: device!.id, state: "registered", at: at(3) },
        { deviceId: device!.id, state: "unregistered", at: at(4) },
      ],
    });

    const history = url(user.id, "registration-history");
    expect((await clientOf(t.app).get(history)).status).toBe(401);
    const bad = await admin.get(`${history}?limit=51`);
    expect([bad.status, Object.keys(bad.body.fields)]).toEqual([400, ["limit"]]);
    expect((await resellerB.get(history)).status).toBe(404);
    const other = await buildSyncedUser(t.services.db, { enterpriseId: world.b.enterprise.id });
    expect((await admin.get(url(other.id, "registration-history"))).status).toBe(404);
    expect((await admin.get(url("usr_00000000000000000000", "registration-history"))).status).toBe(
      404,
    );
    const node0 = { id: node.id, name: node.name };
    for (const client of [admin, resellerA, masterA]) {
      const res = await client.get(history);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        {
          id: expect.any(Number),
          state: "unregistered",
          code: null,
          reason: null,
          node: node0,
          at: at(4),
        },
        {
          id: expect.any(Number),
          state: "registered",
          code: null,
          reason: null,
          node: node0,
          at: at(2),
        },
        {
          id: expect.any(Number),
          state: "failed",
          code: 401,
          reason: "Unauthorized",
          node: node0,
          at: at(1),
        },
      ]);
    }
    const newest = await admin.get(`${history}?limit=1`);
    expect(newest.body.items.map((e: { state: string }) => e.state)).toEqual(["unregistered"]);
  });

  it("is empty for a user without a device (not configured)", async () => {
    const { user } = await candidate();
    const res = await admin.get(url(user.id, "registration-history"));
    expect([res.status, res.body]).toEqual([200, { items: [] }]);
  });
});

describe("the enterprise's regions (the configure form's voice routes)", () => {
  it("401, 404, 200 for every tier, primary first", async () => {
    const url = `/api/v1/enterprises/${enterpriseId}/regions`;
    expect((await clientOf(t.app).get(url)).status).toBe(401);
    expect((await resellerB.get(url)).status).toBe(404);
    for (const client of [admin, resellerA, masterA]) {
      const res = await client.get(url);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        { id: regionId, name: world.regions[0]!.name, primary: true },
      ]);
    }
  });
});

describe("the users list", () => {
  it("filters configured, not configured, disabled and deleted users, and searches SIP users and numbers", async () => {
    const { user, body } = await candidate();
    await admin.put(url(user.id), body);
    const list = (q: string) =>
      admin.get(`/api/v1/enterprises/${enterpriseId}/users?pageSize=100&${q}`);
    const configured = await list("calling=configured");
    expect(configured.body.items.map((u: { id: string }) => u.id)).toContain(user.id);
    const not = await list("calling=not_configured");
    expect(not.body.items.every((u: { calling: unknown }) => u.calling === null)).toBe(true);
    // Another test's SIP user or number may contain these characters: contains, not equals.
    for (const q of [body.sipUser, body.phoneNumber]) {
      const found = await list(`q=${encodeURIComponent(q)}`);
      expect(found.body.items).toContainEqual(
        expect.objectContaining({
          id: user.id,
          calling: expect.objectContaining({ phoneNumber: body.phoneNumber }),
        }),
      );
    }
    expect((await list("calling=bogus")).status).toBe(400);
  });
});
