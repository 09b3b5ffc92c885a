import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  signInEnterpriseAdmin,
  type TestApp,
} from "../../../../test/harness.ts";
import type { CallListResponse, CallView } from "../../../shared/contracts/calls.ts";
import { cdrs, enterprises, users } from "../../db/schema/index.ts";
import { buildEnterpriseAdmin, buildWorld, type World } from "../../db/seed/factories.ts";
import { buildSyncedUser } from "../calling/calling.factories.ts";
import { buildGatewayNode } from "../gateway-feed/gateway-feed.factories.ts";
import {
  buildCdr,
  buildSipMessage,
  type CallEnterprise,
  type CallNode,
} from "./calls.factories.ts";

let t: TestApp;
let world: World;
/** Enterprise A's admin (signed in with Microsoft). */
let admin: Client;
/** Enterprise B's admin. */
let adminB: Client;
let resellerA: Client;
let masterA: Client;
let operator: Client;
let resellerB: Client;
let node: CallNode;
let otherNode: CallNode;
let entA: CallEnterprise;
let entB: CallEnterprise;
let base: string;

/** Turns enterprise A's Access SIP Data on or off (the provider's setting, SPEC §2.2). */
async function setAccessSipData(on: boolean, id = entA.id) {
  await t.services.db.update(enterprises).set({ accessSipData: on }).where(eq(enterprises.id, id));
}

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  const position = (e: World["a"]["enterprise"]) => ({
    id: e.id,
    resellerId: world.a.reseller.id,
    masterResellerId: world.a.master.id,
  });
  entA = position(world.a.enterprise);
  entB = {
    id: world.b.enterprise.id,
    resellerId: world.b.reseller.id,
    masterResellerId: world.b.master.id,
  };
  base = `/api/v1/enterprises/${entA.id}/calls`;
  admin = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, world.a.enterprise)).id,
  );
  adminB = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, world.b.enterprise)).id,
  );
  resellerA = await signIn(t.app, world.a.resellerAdmin.email);
  masterA = await signIn(t.app, world.a.masterAdmin.email);
  operator = await signIn(t.app, world.operatorAdmin.email);
  resellerB = await signIn(t.app, world.b.resellerAdmin.email);
  const regionId = world.regions[0]!.id;
  node = { nodeId: (await buildGatewayNode(t.services.db, regionId)).node.id, regionId };
  otherNode = { nodeId: (await buildGatewayNode(t.services.db, regionId)).node.id, regionId };
});
afterAll(() => t.close());

/** Deletes every call record (each test builds its own). */
async function clearCalls() {
  await t.services.database.execute("delete from sip_traces; delete from cdrs");
}

const list = async (client: Client, query = "") => {
  const res = await client.get(`${base}${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as CallListResponse;
};

/** Every page of the list from the first, following `nextCursor`. */
async function walk(client: Client, query: string): Promise<CallListResponse[]> {
  const pages = [await list(client, `?${query}`)];
  while (pages.at(-1)!.nextCursor)
    pages.push(await list(client, `?${query}&cursor=${pages.at(-1)!.nextCursor}`));
  return pages;
}

describe("the ladder", () => {
  it("list: 401, 400, 404, 403 without Access SIP Data for the enterprise admin, 200", async () => {
    await setAccessSipData(false);
    expect((await clientOf(t.app).get(base)).status).toBe(401);
    const bad = await operator.get(`${base}?direction=sideways`);
    expect([bad.status, bad.body.code, bad.body.fields]).toEqual([
      400,
      "validation_failed",
      { direction: "Must be inbound or outbound" },
    ]);
    for (const foreign of [resellerB, adminB]) expect((await foreign.get(base)).status).toBe(404);
    const off = await admin.get(base);
    expect([off.status, off.body.code]).toEqual([403, "sip_data_access_disabled"]);
    for (const client of [operator, masterA, resellerA])
      expect((await client.get(base)).status).toBe(200);
    await setAccessSipData(true);
    expect((await admin.get(base)).status).toBe(200);
    // B's admin stays outside A's subtree whatever A's setting.
    expect((await adminB.get(base)).status).toBe(404);
  });

  it("detail: 401, 400, 404 (another enterprise's call too), 403, 200", async () => {
    await clearCalls();
    const own = await buildCdr(t.services.db, { ...node, enterprise: entA });
    const foreign = await buildCdr(t.services.db, { ...node, enterprise: entB });
    const url = `${base}/${encodeURIComponent(own.callId)}`;
    expect((await clientOf(t.app).get(url)).status).toBe(401);
    const bad = await operator.get(`${base}/${"x".repeat(201)}`);
    expect([bad.status, Object.keys(bad.body.fields ?? {})]).toEqual([400, ["callId"]]);
    for (const wrong of [
      `${base}/${encodeURIComponent(foreign.callId)}`,
      `${base}/no-such-call`,
      `/api/v1/enterprises/${entB.id}/calls/${encodeURIComponent(foreign.callId)}`,
    ])
      expect((await resellerA.get(wrong)).status).toBe(404);
    expect((await resellerB.get(url)).status).toBe(404);
    await setAccessSipData(false);
    const off = await admin.get(url);
    expect([off.status, off.body.code]).toEqual([403, "sip_data_access_disabled"]);
    for (const client of [operator, masterA, resellerA])
      expect((await client.get(url)).status).toBe(200);
    await setAccessSipData(true);
    expect((await admin.get(url)).body.legs.map((l: CallView) => l.id)).toEqual([String(own.id)]);
  });

  it("offers calls.read in an enterprise admin's session only while Access SIP Data is on", async () => {
    await setAccessSipData(false);
    expect((await admin.get("/api/v1/auth/session")).body.abilities).not.toContain("calls.read");
    await setAccessSipData(true);
    expect((await admin.get("/api/v1/auth/session")).body.abilities).toContain("calls.read");
    expect((await resellerA.get("/api/v1/auth/session")).body.abilities).toContain("calls.read");
  });
});

describe("the list", () => {
  it("shows one enterprise's calls only, never another's or unattributed ones", async () => {
    await clearCalls();
    const mine = await buildCdr(t.services.db, { ...node, enterprise: entA });
    const theirs = await buildCdr(t.services.db, { ...node, enterprise: entB });
    await buildCdr(t.services.db, { ...node, enterprise: null });
    const page = await list(operator);
    expect(page.items.map((c) => c.id)).toEqual([String(mine.id)]);
    const text = JSON.stringify(await list(resellerA));
    expect(text).not.toContain(theirs.callId);
    const bList = await adminB.get(`/api/v1/enterprises/${entB.id}/calls`);
    await setAccessSipData(true, entB.id);
    const bList2 = await adminB.get(`/api/v1/enterprises/${entB.id}/calls`);
    expect(bList.status).toBe(403);
    expect(bList2.body.items.map((c: CallView) => c.id)).toEqual([String(theirs.id)]);
  });

  it("shows every column, the user's name while the user exists, and whether a trace exists", async () => {
    await clearCalls();
    const user = await buildSyncedUser(t.services.db, { enterpriseId: entA.id });
    const startedAt = new Date("2026-11-02T09:00:00.000Z");
    const call = await buildCdr(t.services.db, {
      ...node,
      enterprise: entA,
      userId: user.id,
      startedAt,
      direction: "inbound",
      caller: "+442079460001",
      callee: "+442079461001",
    });
    const failed = await buildCdr(t.services.db, {
      ...otherNode,
      enterprise: entA,
      startedAt: new Date(startedAt.getTime() - 60_000),
      disposition: "failed",
      sipCode: 503,
      sipReason: "Service Unavailable",
      hangupSide: "gateway",
      answeredAt: null,
      durationSeconds: 0,
      codec: null,
    });
    await buildSipMessage(t.services.db, { ...node, callId: call.callId, seq: 0 });
    const [first, second] = (await list(resellerA)).items;
    expect(first).toEqual({
      id: String(call.id),
      callId: call.callId,
      leg: "microsoft",
      startedAt: "2026-11-02T09:00:00.000Z",
      answeredAt: "2026-11-02T09:00:02.000Z",
      endedAt: "2026-11-02T09:01:02.000Z",
      durationSeconds: 60,
      direction: "inbound",
      caller: "+442079460001",
      callee: "+442079461001",
      userId: user.id,
      userName: user.displayName,
      regionId: node.regionId,
      regionName: world.regions[0]!.name,
      nodeId: node.nodeId,
      nodeName: expect.any(String),
      disposition: "answered",
      sipCode: 200,
      sipReason: "OK",
      hangupSide: "caller",
      codec: "PCMA",
      hasTrace: true,
    });
    expect(second).toMatchObject({
      id: String(failed.id),
      answeredAt: null,
      disposition: "failed",
      sipCode: 503,
      sipReason: "Service Unavailable",
      hangupSide: "gateway",
      codec: null,
      userId: null,
      userName: null,
      nodeId: otherNode.nodeId,
      hasTrace: false,
    });
    // The record outlives its user: the id stays, the name goes.
    await t.services.db.delete(users).where(eq(users.id, user.id));
    expect((await list(resellerA)).items[0]).toMatchObject({ userId: user.id, userName: null });
  });

  it("pages newest first with no duplicate and no gap when start times tie", async () => {
    await clearCalls();
    const tie = new Date("2026-11-03T12:00:00.000Z");
    const built = [];
    for (let i = 0; i < 7; i++)
      built.push(await buildCdr(t.services.db, { ...node, enterprise: entA, startedAt: tie }));
    for (let i = 1; i <= 6; i++)
      built.push(
        await buildCdr(t.services.db, {
          ...node,
          enterprise: entA,
          startedAt: new Date(tie.getTime() + (i % 3) * 1000),
        }),
      );
    // Two more a few microseconds apart (finer than a JavaScript date): the cursor keeps them.
    const fine = [
      await buildCdr(t.services.db, { ...node, enterprise: entA, startedAt: tie }),
      await buildCdr(t.services.db, { ...node, enterprise: entA, startedAt: tie }),
    ];
    await t.services.db
      .update(cdrs)
      .set({ startedAt: sql`${cdrs.startedAt} + interval '3 microseconds'` })
      .where(eq(cdrs.id, fine[0]!.id));
    await t.services.db
      .update(cdrs)
      .set({ startedAt: sql`${cdrs.startedAt} + interval '5 microseconds'` })
      .where(eq(cdrs.id, fine[1]!.id));
    built.push(...fine);
    const { rows } = await t.services.database.execute(
      `select id::text from cdrs where enterprise_id = '${entA.id}' order by cdrs.started_at desc, cdrs.id desc`,
    );
    const expected = (rows as { id: string }[]).map((r) => r.id);
    expect(expected).toHaveLength(built.length);
    for (const pageSize of [1, 2, 3, 4, 7, 15, 200]) {
      const pages = await walk(operator, `pageSize=${pageSize}`);
      const seen = pages.flatMap((p) => p.items.map((c) => c.id));
      expect(seen, `pageSize ${pageSize}`).toEqual(expected);
      expect(pages.every((p) => p.items.length <= pageSize)).toBe(true);
      expect(pages.at(-1)!.nextCursor).toBeNull();
    }
  });

  it("answers 50 rows by default and at most 200, and an empty page past the end", async () => {
    await clearCalls();
    const start = Date.parse("2026-11-04T00:00:00Z");
    await t.services.database.execute(
      `insert into cdrs (call_id, leg, node_id, region_id, enterprise_id, reseller_id, master_reseller_id,
         direction, caller, callee, started_at, ended_at, disposition, duration_seconds)
       select 'bulk-' || g, 'microsoft', '${node.nodeId}', '${node.regionId}', '${entA.id}',
         '${entA.resellerId}', '${entA.masterResellerId}', 'outbound', '+1', '+2',
         to_timestamp(${start / 1000} + g), to_timestamp(${start / 1000} + g + 1), 'answered', 1
       from generate_series(1, 230) g`,
    );
    const first = await list(operator);
    expect([first.items.length, first.pageSize]).toEqual([50, 50]);
    const big = await list(operator, "?pageSize=200");
    expect(big.items.length).toBe(200);
    const rest = await list(operator, `?pageSize=200&cursor=${big.nextCursor}`);
    expect([rest.items.length, rest.nextCursor]).toEqual([30, null]);
    const tooBig = await operator.get(`${base}?pageSize=201`);
    expect([tooBig.status, tooBig.body.fields]).toEqual([400, { pageSize: "Must be at most 200" }]);
    for (const cursor of ["x", "not a cursor", btoa("12.x"), `${"A".repeat(61)}`]) {
      const res = await operator.get(`${base}?cursor=${encodeURIComponent(cursor)}`);
      expect([res.status, Object.keys(res.body.fields ?? {})], cursor).toEqual([400, ["cursor"]]);
    }
  });

  it("filters by time, direction, disposition, number and user", async () => {
    await clearCalls();
    const user = await buildSyncedUser(t.services.db, { enterpriseId: entA.id });
    const at = (iso: string) => new Date(iso);
    const a = await buildCdr(t.services.db, {
      ...node,
      enterprise: entA,
      startedAt: at("2026-11-01T08:00:00Z"),
      direction: "inbound",
      caller: "+442079460100",
      callee: "sip:alice@contoso.example",
      userId: user.id,
    });
    const b = await buildCdr(t.services.db, {
      ...node,
      enterprise: entA,
      startedAt: at("2026-11-01T23:59:59Z"),
      disposition: "no_answer",
      caller: "+15550100%",
      callee: "+442079469999",
    });
    const c = await buildCdr(t.services.db, {
      ...node,
      enterprise: entA,
      startedAt: at("2026-11-02T00:00:00Z"),
      disposition: "busy",
      caller: "+15550199",
      callee: "+15550200",
    });
    const ids = async (query: string) =>
      (await list(resellerA, `?${query}`)).items.map((r) => r.id).sort();
    const sorted = (...rows: { id: number }[]) => rows.map((r) => String(r.id)).sort();
    expect(await ids("")).toEqual(sorted(a, b, c));
    expect(await ids("direction=inbound")).toEqual(sorted(a));
    expect(await ids("direction=outbound")).toEqual(sorted(b, c));
    expect(await ids("disposition=no_answer")).toEqual(sorted(b));
    expect(await ids("disposition=answered")).toEqual(sorted(a));
    // A day as `to` includes that day; `from` is inclusive.
    expect(await ids("from=2026-11-01&to=2026-11-01")).toEqual(sorted(a, b));
    expect(await ids("from=2026-11-02")).toEqual(sorted(c));
    expect(await ids("from=2026-11-01T08:00:00Z&to=2026-11-01T09:30:00%2B01:00")).toEqual(
      sorted(a),
    );
    // Digits or a SIP address, in any case, anywhere in caller or callee; LIKE wildcards are text.
    expect(await ids("q=2079460100")).toEqual(sorted(a));
    expect(await ids("q=ALICE")).toEqual(sorted(a));
    expect(await ids("q=9999")).toEqual(sorted(b));
    expect(await ids("q=%25")).toEqual(sorted(b));
    expect(await ids("q=_")).toEqual([]);
    expect(await ids("q=1555")).toEqual(sorted(b, c));
    expect(await ids(`userId=${user.id}`)).toEqual(sorted(a));
    expect(await ids("userId=usr_nobody")).toEqual([]);
    expect(await ids("q=1555&disposition=busy&direction=outbound")).toEqual(sorted(c));
    const pages = await walk(resellerA, "q=1555&pageSize=1");
    expect(pages.map((p) => p.items.map((r) => r.id))).toEqual([[String(c.id)], [String(b.id)]]);
    const bad = await resellerA.get(`${base}?from=2026-11-02&to=2026-11-01`);
    expect(bad.body.fields).toEqual({ to: "Must be after From" });
    const lost = await resellerA.get(`${base}?disposition=lost`);
    expect(lost.body.fields).toEqual({
      disposition: "Must be one of answered, busy, no_answer, cancelled, failed",
    });
    const badDate = await resellerA.get(`${base}?from=yesterday`);
    expect(Object.keys(badDate.body.fields)).toEqual(["from"]);
  });
});

describe("one call", () => {
  it("shows its legs and its SIP messages by time, then leg, then seq, with their first lines", async () => {
    await clearCalls();
    const startedAt = new Date("2026-11-05T10:00:00.000Z");
    const ms = (n: number) => new Date(startedAt.getTime() + n);
    const teams = await buildCdr(t.services.db, {
      ...node,
      enterprise: entA,
      startedAt,
      leg: "microsoft",
    });
    const pbx = await buildCdr(t.services.db, {
      ...node,
      enterprise: entA,
      startedAt: ms(20),
      leg: "pbx",
      callId: teams.callId,
    });
    const msg = (leg: string, seq: number, at: Date, firstLine: string, direction = "in") =>
      buildSipMessage(t.services.db, {
        ...node,
        callId: teams.callId,
        leg,
        seq,
        at,
        direction: direction as "in",
        message: `${firstLine}\r\nCall-ID: ${teams.callId}\r\n\r\n`,
      });
    await msg("pbx", 0, ms(10), "INVITE sip:100@pbx.example.com SIP/2.0", "out");
    await msg("microsoft", 0, ms(0), "INVITE sip:+442079461100@sbc.example.net SIP/2.0");
    await msg("microsoft", 1, ms(10), "SIP/2.0 100 Trying", "out");
    await msg("pbx", 1, ms(30), "SIP/2.0 200 OK");
    // Another node's messages under the same Call-ID belong to no leg of this enterprise.
    await buildSipMessage(t.services.db, { ...otherNode, callId: teams.callId, seq: 0, leg: "x" });
    const res = await resellerA.get(`${base}/${encodeURIComponent(teams.callId)}`);
    expect(res.status).toBe(200);
    expect(res.body.callId).toBe(teams.callId);
    expect(res.body.legs.map((l: CallView) => [l.id, l.leg, l.hasTrace])).toEqual([
      [String(teams.id), "microsoft", true],
      [String(pbx.id), "pbx", true],
    ]);
    expect(
      res.body.messages.map(
        (m: { leg: string; seq: number; direction: string; firstLine: string }) => [
          m.leg,
          m.seq,
          m.direction,
          m.firstLine,
        ],
      ),
    ).toEqual([
      ["microsoft", 0, "in", "INVITE sip:+442079461100@sbc.example.net SIP/2.0"],
      ["microsoft", 1, "out", "SIP/2.0 100 Trying"],
      ["pbx", 0, "out", "INVITE sip:100@pbx.example.com SIP/2.0"],
      ["pbx", 1, "in", "SIP/2.0 200 OK"],
    ]);
    expect(res.body.messages[0]).toMatchObject({
      at: "2026-11-05T10:00:00.000Z",
      source: "52.114.14.70:5061",
      destination: "192.0.2.10:5061",
      message: expect.stringContaining(`Call-ID: ${teams.callId}`),
    });
  });

  it("answers a call without a trace with no messages", async () => {
    await clearCalls();
    const call = await buildCdr(t.services.db, { ...node, enterprise: entA });
    const res = await operator.get(`${base}/${encodeURIComponent(call.callId)}`);
    expect([res.status, res.body.legs.length, res.body.messages]).toEqual([200, 1, []]);
  });

  it("finds a call by any Call-ID the gateway may report (200 characters, any punctuation)", async () => {
    await clearCalls();
    const callId = '/?#%@[]{}<>":;x'.padStart(200, "a1-");
    expect(callId).toHaveLength(200);
    const call = await buildCdr(t.services.db, { ...node, enterprise: entA, callId });
    const res = await operator.get(`${base}/${encodeURIComponent(callId)}`);
    expect([res.status, res.body.legs[0]?.id]).toEqual([200, String(call.id)]);
  });
});

describe("generated queries", () => {
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom(
      "",
      "0",
      "-1",
      "201",
      "50",
      "inbound",
      "answered",
      "no_answer",
      "2026-11-01",
      "2026-11-01T00:00:00Z",
      "2026-13-45",
      "%",
      "%00",
      "%ZZ",
      "\\",
      "x".repeat(300),
      "MTIuMw",
    ),
    fc.integer().map(String),
  );
  const keys = fc.constantFrom(
    "cursor",
    "pageSize",
    "from",
    "to",
    "direction",
    "disposition",
    "q",
    "userId",
    "page",
    "other",
  );

  it("answers 200 or 400 with field errors, never a 500", async () => {
    await clearCalls();
    await buildCdr(t.services.db, { ...node, enterprise: entA });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(keys, value), { maxLength: 4 }), async (pairs) => {
        const qs = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
        const res = await operator.get(`${base}?${qs}`);
        expect([200, 400], `${qs}: ${res.status} ${JSON.stringify(res.body)}`).toContain(
          res.status,
        );
        if (res.status === 400) {
          expect(res.body.code).toBe("validation_failed");
          expect(Object.keys(res.body.fields ?? {}).length).toBeGreaterThan(0);
        } else expect(Array.isArray(res.body.items)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("answers 200 or 400 to raw, unencoded query strings too", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), async (raw) => {
        const res = await operator.get(`${base}?${raw}`);
        expect(res.status, `${raw}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
        expect([200, 400, 404]).toContain(res.status);
      }),
      { numRuns: 100 },
    );
  });
});
