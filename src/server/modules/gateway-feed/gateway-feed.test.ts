import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../../test/harness.ts";
import {
  GatewayChanges,
  GatewaySnapshot,
  type GatewayUser,
  LeasesResponse,
} from "../../../shared/contracts/gateway.ts";
import { inTransaction } from "../../context.ts";
import {
  callingUsers,
  cdrs,
  deviceRegistrationEvents,
  devices,
  enterpriseRegions,
  enterprises,
  events,
  pbxes,
  sipTraces,
} from "../../db/schema/index.ts";
import { buildEnterprise, buildRegion, buildWorld, type World } from "../../db/seed/factories.ts";
import { buildPbx } from "../pbx/pbx.factories.ts";
import {
  buildConfiguredUser,
  buildConfiguredUsers,
  buildDirectRoute,
  buildGatewayNode,
} from "./gateway-feed.factories.ts";

let t: TestApp;
let world: World;
let region0: string;
let region1: string;
/** Two nodes of region 0 and one of region 1. */
let node0: Node;
let node0b: Node;
let node1: Node;

/** Enterprise A: region 0, an active trunk there, one PBX location, PBX users and a trunk user. */
let a: Awaited<ReturnType<typeof buildServedEnterprise>>;
/** Enterprise C: region 1 only. */
let c: Awaited<ReturnType<typeof buildServedEnterprise>>;

interface Node {
  id: string;
  get<T = any>(url: string): Promise<{ status: number; body: T }>;
  post<T = any>(url: string, body: unknown): Promise<{ status: number; body: T }>;
}

function nodeClient(id: string, token: string): Node {
  const request = async (method: "GET" | "POST", url: string, payload?: unknown) => {
    const res = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
  return { id, get: (url) => request("GET", url), post: (url, body) => request("POST", url, body) };
}

async function buildNode(regionId: string) {
  const { node, token } = await buildGatewayNode(t.services.db, regionId);
  return nodeClient(node.id, token);
}

/** An enterprise served by `regionId` (offered it, a trunk there), a PBX location and users. */
async function buildServedEnterprise(
  regionId: string,
  options: { users?: number; password?: string; reseller?: World["a"]["reseller"] } = {},
) {
  const db = t.services.db;
  const enterprise = await buildEnterprise(db, {
    reseller: options.reseller ?? world.a.reseller,
    status: "active",
    regionIds: [regionId],
  });
  const route = await buildDirectRoute(db, { enterpriseId: enterprise.id, regionId });
  const pbx = await buildPbx(db, {
    enterpriseId: enterprise.id,
    pbxTypeId: world.pbxTypes[0]!.id,
    dnsLookup: "SRV",
    transport: "tls",
    sipProxy: "proxy.example.com:5061",
    registrationExpiry: 600,
    codecs: ["G722", "PCMU"],
    dtmfMode: "info",
  });
  const users = await buildConfiguredUsers(db, t.services.secret, {
    enterpriseId: enterprise.id,
    regionId,
    pbxId: pbx.id,
    password: options.password ?? "pbx-password",
    count: options.users ?? 3,
  });
  return { enterprise, route, pbx, users };
}

/** A change to a calling user as a command makes it: the row and its event in one transaction. */
async function changeUser(
  enterprise: { id: string; resellerId: string; masterResellerId: string },
  userId: string,
  set: Partial<typeof callingUsers.$inferInsert>,
) {
  await inTransaction(
    t.services,
    { actor: null, label: "test", clientAddress: null },
    async (ctx) => {
      await ctx.tx
        .update(callingUsers)
        .set({ ...set, updatedAt: ctx.now })
        .where(eq(callingUsers.userId, userId));
      await ctx.emit("user.calling_updated", {
        subject: { type: "user", id: userId },
        path: {
          enterpriseId: enterprise.id,
          resellerId: enterprise.resellerId,
          masterResellerId: enterprise.masterResellerId,
        },
        payload: { before: {}, after: set as Record<string, unknown> },
      });
    },
  );
}

/** Reads every page from `after` until nothing more is waiting; returns all pages. */
async function drain(node: Node, after: string) {
  const pages: GatewayChanges[] = [];
  let cursor = after;
  for (let i = 0; i < 100; i++) {
    const res = await node.get<GatewayChanges>(`/api/v1/gateway/changes?after=${cursor}`);
    expect(res.status).toBe(200);
    pages.push(res.body);
    cursor = res.body.cursor;
    if (!res.body.more) break;
  }
  return { pages, cursor, changes: pages.flatMap((p) => p.changes) };
}

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  region0 = world.regions[0]!.id;
  region1 = world.regions[1]!.id;
  node0 = await buildNode(region0);
  node0b = await buildNode(region0);
  node1 = await buildNode(region1);
  a = await buildServedEnterprise(region0, { password: "a-password" });
  c = await buildServedEnterprise(region1, { password: "c-password", reseller: world.b.reseller });
});
afterAll(() => t.close());

/** Every id of enterprise A that must never reach another region's node. */
const idsOfA = () => [
  a.enterprise.id,
  a.pbx.id,
  a.route.fqdn,
  ...a.users.flatMap((u) => [u.user.id, u.device!.id, u.calling.phoneNumber]),
];

describe("snapshot", () => {
  it("holds the region's enterprises, PBX locations and users, with the device password in clear", async () => {
    const trunkUser = await buildConfiguredUser(t.services.db, t.services.secret, {
      enterpriseId: a.enterprise.id,
      regionId: region0,
      pbxId: a.pbx.id,
      service: "trunk",
      calling: { forwardedDids: ["+442079460001"], callingEnabled: false },
    });
    const res = await node0.get<GatewaySnapshot>("/api/v1/gateway/snapshot");
    expect(res.status).toBe(200);
    // The answer is what the contract the agent checks it against says.
    const snap = GatewaySnapshot.parse(res.body);
    expect(snap.cursor).toMatch(/^\d+\.0$/);
    expect(snap).toMatchObject({ regionId: region0, nodeId: node0.id });
    expect(snap.enterprises.find((e) => e.enterpriseId === a.enterprise.id)).toEqual({
      enterpriseId: a.enterprise.id,
      name: a.enterprise.name,
      tenantId: null,
      pbxMusicOnHold: false,
      trunks: [{ fqdn: a.route.fqdn, priority: 0, status: "active" }],
    });
    expect(snap.pbxes.find((p) => p.pbxId === a.pbx.id)).toEqual({
      pbxId: a.pbx.id,
      enterpriseId: a.enterprise.id,
      locationName: a.pbx.locationName,
      dnsLookup: "SRV",
      sipDomain: a.pbx.sipDomain,
      sipProxy: "proxy.example.com:5061",
      transport: "tls",
      registrationExpiry: 600,
      codecs: ["G722", "PCMU"],
      dtmfMode: "info",
      voicemailFeatureCode: null,
    });
    const first = a.users[0]!;
    expect(snap.users.find((u) => u.userId === first.user.id)).toEqual({
      userId: first.user.id,
      enterpriseId: a.enterprise.id,
      displayName: first.user.displayName,
      service: "pbx",
      pbxId: a.pbx.id,
      sipUser: first.calling.sipUser,
      phoneNumber: first.calling.phoneNumber,
      forwardedDids: [],
      callerNamePolicy: "TRANSPARENT",
      callerName: null,
      forwardedCallerId: "USER_CALLER_ID",
      enabled: true,
      device: {
        deviceId: first.device!.id,
        sipAuthId: first.device!.sipAuthId,
        password: "a-password",
      },
    } satisfies GatewayUser);
    expect(snap.users.find((u) => u.userId === trunkUser.user.id)).toMatchObject({
      service: "trunk",
      forwardedDids: ["+442079460001"],
      enabled: false,
      device: null,
    });
    // At rest the password is sealed, and the event log never holds it.
    expect(first.device!.sipPassword).not.toContain("a-password");
    const log = await t.services.db.select().from(events);
    expect(JSON.stringify(log)).not.toContain("a-password");
  });

  it("leaves out disabled enterprises, trunks being removed, deleted users", async () => {
    const d = await buildServedEnterprise(region0, { users: 2 });
    await t.services.db
      .update(callingUsers)
      .set({ deletedAt: new Date() })
      .where(eq(callingUsers.userId, d.users[0]!.user.id));
    let snap = (await node0.get<GatewaySnapshot>("/api/v1/gateway/snapshot")).body;
    expect(snap.enterprises.map((e) => e.enterpriseId)).toContain(d.enterprise.id);
    expect(snap.users.map((u) => u.userId)).not.toContain(d.users[0]!.user.id);
    expect(snap.users.map((u) => u.userId)).toContain(d.users[1]!.user.id);
    await t.services.db
      .update(enterprises)
      .set({ status: "disabled" })
      .where(eq(enterprises.id, d.enterprise.id));
    snap = (await node0.get<GatewaySnapshot>("/api/v1/gateway/snapshot")).body;
    expect(snap.enterprises.map((e) => e.enterpriseId)).not.toContain(d.enterprise.id);
  });

  it("serves 10,000 users in one answer, one query per kind", async () => {
    const region = await buildRegion(t.services.db);
    const node = await buildNode(region.id);
    const big = await buildServedEnterprise(region.id, { users: 10_000 });
    const started = Date.now();
    const res = await node.get<GatewaySnapshot>("/api/v1/gateway/snapshot");
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(res.body.users).toHaveLength(10_000);
    expect(res.body.users.every((u) => u.device?.password === "pbx-password")).toBe(true);
    expect(res.body.pbxes.map((p) => p.pbxId)).toEqual([big.pbx.id]);
    // Generous for a slow CI machine; one query per object would take minutes.
    expect(elapsed).toBeLessThan(15_000);
  }, 120_000);

  it("shows a node of another region nothing of this one", async () => {
    const res = await node1.get<GatewaySnapshot>("/api/v1/gateway/snapshot");
    expect(res.status).toBe(200);
    expect(res.body.enterprises.map((e) => e.enterpriseId)).toEqual([c.enterprise.id]);
    expect(res.body.users.map((u) => u.userId).sort()).toEqual(
      c.users.map((u) => u.user.id).sort(),
    );
    expect(res.body.users[0]!.device!.password).toBe("c-password");
    const text = JSON.stringify(res.body);
    for (const id of idsOfA()) expect(text).not.toContain(id);
  });
});

describe("changes", () => {
  it("refuses a malformed cursor or wait (400)", async () => {
    for (const query of [
      "after=bad",
      "after=1.2&wait=31",
      "after=1.2&wait=-1",
      "wait=1",
      "after=99999999999999999999.0",
      "after=1.9999999999999999999",
    ]) {
      const res = await node0.get(`/api/v1/gateway/changes?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
    }
  });

  it("brings the current state of what changed, to this region's nodes only", async () => {
    const from0 = (await node0.get<GatewaySnapshot>("/api/v1/gateway/snapshot")).body.cursor;
    const from1 = (await node1.get<GatewaySnapshot>("/api/v1/gateway/snapshot")).body.cursor;
    const user = a.users[1]!;
    await changeUser(a.enterprise, user.user.id, { callerNamePolicy: "OTHER", callerName: "Desk" });
    await changeUser(a.enterprise, user.user.id, { callerName: "Front desk" });
    await inTransaction(
      t.services,
      { actor: null, label: "test", clientAddress: null },
      async (ctx) => {
        await ctx.tx
          .update(pbxes)
          .set({ codecs: ["PCMA"] })
          .where(eq(pbxes.id, a.pbx.id));
        await ctx.emit("pbx.updated", {
          subject: { type: "pbx", id: a.pbx.id },
          path: { enterpriseId: a.enterprise.id },
          payload: { before: {}, after: { codecs: ["PCMA"] } },
        });
      },
    );
    const { changes, pages } = await drain(node0, from0);
    for (const page of pages) GatewayChanges.parse(page);
    // Each object once, in its current state; the user brings its PBX along.
    expect(changes.filter((c) => c.kind === "user")).toEqual([
      expect.objectContaining({
        userId: user.user.id,
        user: expect.objectContaining({ callerNamePolicy: "OTHER", callerName: "Front desk" }),
      }),
    ]);
    expect(changes.filter((c) => c.kind === "pbx")).toEqual([
      expect.objectContaining({
        pbxId: a.pbx.id,
        pbx: expect.objectContaining({ codecs: ["PCMA"] }),
      }),
    ]);
    const other = await drain(node1, from1);
    expect(other.changes).toEqual([]);
    const text = JSON.stringify(other.pages);
    for (const id of idsOfA()) expect(text).not.toContain(id);
  });

  it("tells the old region's nodes to remove a user who moved, and the new region's to add it", async () => {
    // An enterprise served by both regions.
    const d = await buildServedEnterprise(region0, { users: 1 });
    await t.services.db
      .insert(enterpriseRegions)
      .values({ enterpriseId: d.enterprise.id, regionId: region1, position: 1 });
    const from0 = (await drain(node0, "0.0")).cursor;
    const from1 = (await drain(node1, "0.0")).cursor;
    const userId = d.users[0]!.user.id;
    await changeUser(d.enterprise, userId, { regionId: region1 });
    const read0 = await drain(node0, from0);
    expect(read0.changes).toEqual([{ kind: "user", userId, user: null }]);
    const seen1 = (await drain(node1, from1)).changes;
    expect(seen1).toContainEqual({
      kind: "user",
      userId,
      user: expect.objectContaining({ userId, enterpriseId: d.enterprise.id }),
    });
    // Its PBX comes along to the new region.
    expect(seen1).toContainEqual({
      kind: "pbx",
      pbxId: d.pbx.id,
      pbx: expect.objectContaining({ pbxId: d.pbx.id }),
    });
    // Disabling the enterprise removes it from the region's nodes.
    await inTransaction(
      t.services,
      { actor: null, label: "test", clientAddress: null },
      async (ctx) => {
        await ctx.tx
          .update(enterprises)
          .set({ status: "disabled" })
          .where(eq(enterprises.id, d.enterprise.id));
        await ctx.emit("enterprise.disabled", {
          subject: { type: "enterprise", id: d.enterprise.id },
          path: { enterpriseId: d.enterprise.id },
          payload: { before: { status: "active" }, after: { status: "disabled" } },
        });
      },
    );
    const after = (await drain(node0, read0.cursor)).changes;
    expect(after).toEqual([
      { kind: "enterprise", enterpriseId: d.enterprise.id, enterprise: null },
    ]);
  });

  it("misses none of 1,000 changes when resumed from an old cursor, while they are being written", async () => {
    const e = await buildServedEnterprise(region0, { users: 1000 });
    const from = (await drain(node0, "0.0")).cursor;
    const ids = e.users.map((u) => u.user.id);
    let writing = true;
    const writer = (async () => {
      // Four writers at once: on PostgreSQL their transactions interleave and commit out of order.
      const queue = [...ids];
      await Promise.all(
        [0, 1, 2, 3].map(async () => {
          for (let id = queue.shift(); id; id = queue.shift())
            await changeUser(e.enterprise, id, { tag: "changed" });
        }),
      );
      writing = false;
    })();
    const seen = new Set<string>();
    let cursor = from;
    let sawMore = false;
    for (let round = 0; round < 10_000; round++) {
      const stillWriting = writing;
      const res = await node0.get<GatewayChanges>(`/api/v1/gateway/changes?after=${cursor}`);
      expect(res.status).toBe(200);
      for (const change of res.body.changes)
        if (change.kind === "user" && change.user?.enterpriseId === e.enterprise.id)
          seen.add(change.userId);
      sawMore ||= res.body.more;
      cursor = res.body.cursor;
      if (!stillWriting && !res.body.more) break;
    }
    await writer;
    const missed = ids.filter((id) => !seen.has(id));
    expect(missed).toEqual([]);
    // And again from the old cursor in one go: pages of at most 500 events, then no more.
    const again = await drain(node0, from);
    expect(again.pages.length).toBeGreaterThanOrEqual(2);
    expect(again.pages[0]!.more).toBe(true);
    expect(
      new Set(
        again.changes.filter((c) => c.kind === "user").map((c) => (c as { userId: string }).userId),
      ),
    ).toEqual(new Set(ids));
    expect(sawMore || again.pages[0]!.more).toBe(true);
    // Region 1's node was told nothing of it.
    const other = await node1.get<GatewayChanges>(`/api/v1/gateway/changes?after=${from}`);
    expect(JSON.stringify(other.body)).not.toContain(e.enterprise.id);
  }, 120_000);

  it("long-polls: answers with a change made during the wait, and empty when the wait ends", async () => {
    const { cursor } = await drain(node0, "0.0");
    const started = Date.now();
    const empty = await node0.get<GatewayChanges>(`/api/v1/gateway/changes?after=${cursor}&wait=1`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(empty.body.changes).toEqual([]);
    const user = a.users[2]!;
    const waiting = node0.get<GatewayChanges>(
      `/api/v1/gateway/changes?after=${empty.body.cursor}&wait=10`,
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    const changedAt = Date.now();
    await changeUser(a.enterprise, user.user.id, { tag: "long-poll" });
    const res = await waiting;
    expect(Date.now() - changedAt).toBeLessThan(5_000);
    expect(res.body.changes).toContainEqual(
      expect.objectContaining({ kind: "user", userId: user.user.id }),
    );
  });
});

describe("leases", () => {
  it("grants each device to exactly one of two nodes acquiring at once", async () => {
    const e = await buildServedEnterprise(region0, { users: 40 });
    const deviceIds = e.users.map((u) => u.device!.id);
    for (let round = 0; round < 5; round++) {
      const [x, y] = await Promise.all([
        node0.post("/api/v1/gateway/leases/acquire", { deviceIds, max: 1000 }),
        node0b.post("/api/v1/gateway/leases/acquire", { deviceIds, max: 1000 }),
      ]);
      expect([x.status, y.status]).toEqual([200, 200]);
      const gx = x.body.leases.map((l: { deviceId: string }) => l.deviceId);
      const gy = y.body.leases.map((l: { deviceId: string }) => l.deviceId);
      expect(gx.filter((id: string) => gy.includes(id))).toEqual([]);
      expect([...gx, ...gy].sort()).toEqual([...deviceIds].sort());
      const rows = await t.services.db
        .select({ id: devices.id, owner: devices.leaseNodeId })
        .from(devices)
        .where(inArray(devices.id, deviceIds));
      for (const row of rows) expect(row.owner).toBe(gx.includes(row.id) ? node0.id : node0b.id);
      await node0.post("/api/v1/gateway/leases/release", { deviceIds: gx });
      await node0b.post("/api/v1/gateway/leases/release", { deviceIds: gy });
    }
    // Without a list: free devices of the region, bounded by max.
    const some = await node0.post("/api/v1/gateway/leases/acquire", { max: 5 });
    expect(LeasesResponse.parse(some.body).leases).toHaveLength(5);
    expect(some.body.leasePeriodSeconds).toBe(30);
  });

  it("lets a node take over an expired lease; the old holder then loses it and may not report", async () => {
    const user = await buildConfiguredUser(t.services.db, t.services.secret, {
      enterpriseId: a.enterprise.id,
      regionId: region0,
      pbxId: a.pbx.id,
    });
    const deviceId = user.device!.id;
    const first = await node0.post("/api/v1/gateway/leases/acquire", { deviceIds: [deviceId] });
    expect(first.body.leases.map((l: { deviceId: string }) => l.deviceId)).toEqual([deviceId]);
    // Held: the other node gets nothing.
    const refused = await node0b.post("/api/v1/gateway/leases/acquire", { deviceIds: [deviceId] });
    expect([refused.body.leases, refused.body.lost]).toEqual([[], [deviceId]]);
    const report = (state: string, at: string) => ({ items: [{ deviceId, state, at }] });
    const nonHolder = await node0b.post(
      "/api/v1/gateway/registrations",
      report("registered", new Date().toISOString()),
    );
    expect(nonHolder.body.items).toEqual([{ deviceId, status: 409 }]);
    // Renewed by its holder.
    const renewed = await node0.post("/api/v1/gateway/leases/renew", { deviceIds: [deviceId] });
    expect(renewed.body.leases.map((l: { deviceId: string }) => l.deviceId)).toEqual([deviceId]);
    // Expired: taken over.
    await t.services.db
      .update(devices)
      .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(devices.id, deviceId));
    const taken = await node0b.post("/api/v1/gateway/leases/acquire", { deviceIds: [deviceId] });
    expect(taken.body.leases.map((l: { deviceId: string }) => l.deviceId)).toEqual([deviceId]);
    const lost = await node0.post("/api/v1/gateway/leases/renew", { deviceIds: [deviceId] });
    expect([lost.body.leases, lost.body.lost]).toEqual([[], [deviceId]]);
    const stale = await node0.post(
      "/api/v1/gateway/registrations",
      report("registered", new Date().toISOString()),
    );
    expect(stale.body.items).toEqual([{ deviceId, status: 409 }]);
    // The holder reports: applied; an older report is acknowledged and changes nothing.
    const at = new Date();
    const ok = await node0b.post("/api/v1/gateway/registrations", {
      items: [
        {
          deviceId,
          state: "failed",
          code: 403,
          reason: "Forbidden",
          at: new Date(at.getTime() - 5000).toISOString(),
        },
        { deviceId, state: "registered", code: 200, at: at.toISOString() },
      ],
    });
    expect(ok.body.items).toEqual([
      { deviceId, status: 200 },
      { deviceId, status: 200 },
    ]);
    const older = await node0b.post(
      "/api/v1/gateway/registrations",
      report("unregistered", new Date(at.getTime() - 60_000).toISOString()),
    );
    expect(older.body.items).toEqual([{ deviceId, status: 200 }]);
    const [row] = await t.services.db.select().from(devices).where(eq(devices.id, deviceId));
    expect(row).toMatchObject({
      registrationState: "registered",
      registrationCode: null,
      leaseNodeId: node0b.id,
    });
    expect(row!.lastRegisteredAt?.getTime()).toBe(at.getTime());
    // A failure keeps the last success and records the PBX's answer.
    const failed = new Date(at.getTime() + 1000);
    await node0b.post("/api/v1/gateway/registrations", {
      items: [
        { deviceId, state: "failed", code: 401, reason: "Unauthorized", at: failed.toISOString() },
      ],
    });
    const [after] = await t.services.db.select().from(devices).where(eq(devices.id, deviceId));
    expect(after).toMatchObject({
      registrationState: "failed",
      registrationCode: 401,
      registrationReason: "Unauthorized",
    });
    expect(after!.lastRegisteredAt?.getTime()).toBe(at.getTime());
  });

  it("takes a report dated in the future as of now, so a fast clock cannot hold back later ones", async () => {
    const { device } = await buildConfiguredUser(t.services.db, t.services.secret, {
      enterpriseId: a.enterprise.id,
      regionId: region0,
      pbxId: a.pbx.id,
    });
    const deviceId = device!.id;
    await node0.post("/api/v1/gateway/leases/acquire", { deviceIds: [deviceId] });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    await node0.post("/api/v1/gateway/registrations", {
      items: [{ deviceId, state: "registered", at: tomorrow }],
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await node0.post("/api/v1/gateway/registrations", {
      items: [{ deviceId, state: "failed", code: 408, at: new Date().toISOString() }],
    });
    const [row] = await t.services.db.select().from(devices).where(eq(devices.id, deviceId));
    expect(row!.registrationState).toBe("failed");
    expect(row!.registrationReportedAt!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("answers 404 for a device of another region and never leases it", async () => {
    const foreign = c.users[0]!.device!.id;
    const acquire = await node0.post("/api/v1/gateway/leases/acquire", { deviceIds: [foreign] });
    expect([acquire.body.leases, acquire.body.lost]).toEqual([[], [foreign]]);
    const res = await node0.post("/api/v1/gateway/registrations", {
      items: [
        { deviceId: foreign, state: "registered", at: new Date().toISOString() },
        { deviceId: "dev_00000000000000000000", state: "failed", at: new Date().toISOString() },
      ],
    });
    expect(res.body.items).toEqual([
      { deviceId: foreign, status: 404 },
      { deviceId: "dev_00000000000000000000", status: 404 },
    ]);
    const [row] = await t.services.db.select().from(devices).where(eq(devices.id, foreign));
    expect([row!.leaseNodeId, row!.registrationState]).toEqual([null, "unknown"]);
  });
});

describe("registration history", () => {
  /** A fresh device of enterprise A leased by `node`. */
  async function leasedDevice(node: Node) {
    const { device } = await buildConfiguredUser(t.services.db, t.services.secret, {
      enterpriseId: a.enterprise.id,
      regionId: region0,
      pbxId: a.pbx.id,
    });
    await node.post("/api/v1/gateway/leases/acquire", { deviceIds: [device!.id] });
    return device!.id;
  }
  const historyOf = (deviceIds: string[]) =>
    t.services.db
      .select()
      .from(deviceRegistrationEvents)
      .where(inArray(deviceRegistrationEvents.deviceId, deviceIds))
      .orderBy(asc(deviceRegistrationEvents.at), asc(deviceRegistrationEvents.id));
  const base = Date.now() - 3_600_000;
  const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();

  it("writes exactly the reports that change the state or SIP code, in one batch, and nothing for a repeat", async () => {
    const one = await leasedDevice(node0);
    const two = await leasedDevice(node0);
    const othersLease = await leasedDevice(node0b);
    const foreign = c.users[0]!.device!.id;
    const first = await node0.post("/api/v1/gateway/registrations", {
      items: [
        // Every change in a batch is history, even though only the latest sets the device's state.
        { deviceId: one, state: "failed", code: 403, reason: "Forbidden", at: at(1) },
        { deviceId: one, state: "registered", code: 200, reason: "OK", at: at(2) },
        { deviceId: two, state: "registered", at: at(1) },
        { deviceId: othersLease, state: "registered", at: at(1) },
        { deviceId: foreign, state: "registered", at: at(1) },
      ],
    });
    expect(first.body.items.map((i: { status: number }) => i.status)).toEqual([
      200, 200, 200, 409, 404,
    ]);
    const rows = await historyOf([one, two, othersLease, foreign]);
    expect(
      rows.map((r) => [r.deviceId, r.state, r.code, r.reason, r.nodeId, r.at.toISOString()]),
    ).toEqual([
      [one, "failed", 403, "Forbidden", node0.id, at(1)],
      [two, "registered", null, null, node0.id, at(1)],
      [one, "registered", null, null, node0.id, at(2)],
    ]);
    expect(new Set(rows.map((r) => r.enterpriseId))).toEqual(new Set([a.enterprise.id]));

    const second = {
      items: [
        // A repeat of the stored state: nothing.
        { deviceId: one, state: "registered", at: at(3) },
        // The same failure twice, then another code: two rows.
        { deviceId: two, state: "failed", code: 401, reason: "Unauthorized", at: at(3) },
        { deviceId: two, state: "failed", code: 401, reason: "Unauthorized", at: at(4) },
        { deviceId: two, state: "failed", code: 403, reason: "Forbidden", at: at(5) },
      ],
    };
    await node0.post("/api/v1/gateway/registrations", second);
    // The same batch retried, and a report older than the stored one: nothing more.
    await node0.post("/api/v1/gateway/registrations", second);
    await node0.post("/api/v1/gateway/registrations", {
      items: [{ deviceId: two, state: "unregistered", at: at(0) }],
    });
    const after = await historyOf([one, two]);
    expect(after.slice(3).map((r) => [r.deviceId, r.state, r.code, r.at.toISOString()])).toEqual([
      [two, "failed", 401, at(3)],
      [two, "failed", 403, at(5)],
    ]);
    expect(after).toHaveLength(5);
    const [device] = await t.services.db.select().from(devices).where(eq(devices.id, two));
    expect([device?.registrationState, device?.registrationCode]).toEqual(["failed", 403]);
  });

  it("keeps each device's newest 50 events", async () => {
    const deviceId = await leasedDevice(node0);
    const flapping = (from: number, count: number) => ({
      items: Array.from({ length: count }, (_, i) => ({
        deviceId,
        state: (from + i) % 2 ? "failed" : "registered",
        code: (from + i) % 2 ? 503 : null,
        at: at(from + i),
      })),
    });
    await node0.post("/api/v1/gateway/registrations", flapping(0, 60));
    let rows = await historyOf([deviceId]);
    expect([rows.length, rows[0]?.at.toISOString(), rows.at(-1)?.at.toISOString()]).toEqual([
      50,
      at(10),
      at(59),
    ]);
    await node0.post("/api/v1/gateway/registrations", flapping(60, 5));
    rows = await historyOf([deviceId]);
    expect([rows.length, rows[0]?.at.toISOString(), rows.at(-1)?.at.toISOString()]).toEqual([
      50,
      at(15),
      at(64),
    ]);
  });
});

describe("CDRs and SIP traces", () => {
  const cdr = (callId: string, overrides: Record<string, unknown> = {}) => ({
    callId,
    leg: "a",
    enterpriseId: a.enterprise.id,
    userId: a.users[0]!.user.id,
    direction: "inbound",
    caller: "+442079460100",
    callee: a.users[0]!.calling.phoneNumber,
    startedAt: "2026-12-01T10:00:00Z",
    answeredAt: "2026-12-01T10:00:05Z",
    endedAt: "2026-12-01T10:01:05Z",
    disposition: "answered",
    sipCode: 200,
    sipReason: "OK",
    hangupSide: "caller",
    codec: "PCMU",
    durationSeconds: 60,
    ...overrides,
  });

  it("stores a batch posted twice once, attributed within the node's region only", async () => {
    const callId = `call-${Date.now()}`;
    const items = [
      cdr(callId),
      cdr(callId, { leg: "b", direction: "outbound" }),
      // Another region's enterprise: kept, but attributed to nobody.
      cdr(`${callId}-foreign`, { enterpriseId: c.enterprise.id, userId: c.users[0]!.user.id }),
    ];
    const first = await node0.post("/api/v1/gateway/cdrs", { items });
    expect(first.body).toEqual({ accepted: 3, duplicates: 0 });
    const second = await node0.post("/api/v1/gateway/cdrs", { items });
    expect(second.body).toEqual({ accepted: 0, duplicates: 3 });
    const rows = await t.services.db
      .select()
      .from(cdrs)
      .where(sql`${cdrs.callId} like ${`${callId}%`}`)
      .orderBy(cdrs.id);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      leg: "a",
      nodeId: node0.id,
      regionId: region0,
      enterpriseId: a.enterprise.id,
      resellerId: a.enterprise.resellerId,
      masterResellerId: a.enterprise.masterResellerId,
      userId: a.users[0]!.user.id,
      durationSeconds: 60,
    });
    expect(rows[2]).toMatchObject({ enterpriseId: null, resellerId: null, userId: null });
  });

  it("refuses a bad record with its field (400) and a batch over 1,000 (413), storing nothing", async () => {
    const callId = `bad-${Date.now()}`;
    const bad = await node0.post("/api/v1/gateway/cdrs", {
      items: [cdr(callId), cdr(`${callId}-2`, { startedAt: "yesterday" })],
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields)).toEqual(["items.1.startedAt"]);
    const big = await node0.post("/api/v1/gateway/cdrs", {
      items: Array.from({ length: 1001 }, (_, i) => cdr(`${callId}-${i}`)),
    });
    expect([big.status, big.body.code]).toEqual([413, "payload_too_large"]);
    const rows = await t.services.db
      .select()
      .from(cdrs)
      .where(sql`${cdrs.callId} like ${`${callId}%`}`);
    expect(rows).toEqual([]);
  });

  it("keeps a bounded trace: idempotent per message, messages past the cap dropped", async () => {
    const callId = `trace-${Date.now()}`;
    const message = (seq: number) => ({
      callId,
      leg: "a",
      seq,
      at: new Date().toISOString(),
      direction: "in",
      source: "52.114.1.1:5061",
      destination: "10.0.0.1:5061",
      message: `INVITE sip:+1@example.com SIP/2.0\r\nCSeq: ${seq} INVITE\r\n\r\n`,
    });
    const items = [0, 1, 2, 199, 200, 250].map(message);
    expect((await node0.post("/api/v1/gateway/traces", { items })).body).toEqual({
      accepted: 4,
      duplicates: 0,
      dropped: 2,
    });
    expect((await node0.post("/api/v1/gateway/traces", { items })).body).toEqual({
      accepted: 0,
      duplicates: 4,
      dropped: 2,
    });
    const rows = await t.services.db
      .select()
      .from(sipTraces)
      .where(and(eq(sipTraces.callId, callId), eq(sipTraces.leg, "a")));
    expect(rows.map((r) => r.seq).sort((x, y) => x - y)).toEqual([0, 1, 2, 199]);
    const tooBig = await node0.post("/api/v1/gateway/traces", {
      items: [{ ...message(3), message: "x".repeat(64 * 1024 + 1) }],
    });
    expect([tooBig.status, Object.keys(tooBig.body.fields)]).toEqual([400, ["items.0.message"]]);
  });
});
