import { Writable } from "node:stream";
import { eq } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  closeTestServices,
  createTestApp,
  createTestServices,
  signIn,
  signInEnterpriseAdmin,
  type TestApp,
  type TestServices,
} from "../../../../test/harness.ts";
import { devices, events, gatewayNodes } from "../../db/schema/index.ts";
import { buildEnterpriseAdmin, buildWorld, type World } from "../../db/seed/factories.ts";
import { buildApp } from "../../http/app.ts";
import { hashToken } from "../../lib/secrets.ts";
import { createLogger } from "../../main.ts";
import { buildPbx } from "../pbx/pbx.factories.ts";
import { buildConfiguredUser, buildGatewayNode } from "./gateway-feed.factories.ts";

let t: TestApp;
let world: World;
let operator: Client;
let masterA: Client;
let resellerA: Client;
let enterpriseAdmin: Client;
let regionId: string;
let base: string;

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  regionId = world.regions[0]!.id;
  base = `/api/v1/regions/${regionId}/gateway-nodes`;
  operator = await signIn(t.app, world.operatorAdmin.email);
  masterA = await signIn(t.app, world.a.masterAdmin.email);
  resellerA = await signIn(t.app, world.a.resellerAdmin.email);
  enterpriseAdmin = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, world.a.enterprise)).id,
  );
});
afterAll(() => t.close());

/** A client presenting a gateway node's bearer token. */
const nodeClient = (token: string) => ({
  get: (url: string) =>
    t.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } }),
  post: (url: string, payload: object) =>
    t.app.inject({ method: "POST", url, payload, headers: { authorization: `Bearer ${token}` } }),
});

describe("the operator's gateway node routes", () => {
  it("list: 401, 400, 404, 403, 200", async () => {
    expect((await clientOf(t.app).get(base)).status).toBe(401);
    expect((await operator.get(`/api/v1/regions/${"x".repeat(65)}/gateway-nodes`)).status).toBe(
      400,
    );
    const absent = await operator.get("/api/v1/regions/reg_00000000000000000000/gateway-nodes");
    expect([absent.status, absent.body.code]).toEqual([404, "not_found"]);
    for (const client of [masterA, resellerA, enterpriseAdmin]) {
      const res = await client.get(base);
      expect([res.status, res.body.code]).toEqual([403, "forbidden"]);
    }
    expect((await operator.get(base)).status).toBe(200);
  });

  it("add: 401, 400, 404, 403, 201 with the token once, 409 for a name taken in the region", async () => {
    const body = { name: "sbc-1" };
    expect((await clientOf(t.app).post(base, body)).status).toBe(401);
    const bad = await operator.post(base, { name: "" });
    expect([bad.status, bad.body.fields]).toEqual([400, { name: "Required" }]);
    expect(
      (await operator.post("/api/v1/regions/reg_00000000000000000000/gateway-nodes", body)).status,
    ).toBe(404);
    for (const client of [masterA, resellerA, enterpriseAdmin])
      expect((await client.post(base, body)).status).toBe(403);
    const created = await operator.post(base, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "sbc-1", regionId, revokedAt: null });
    expect(created.body.token).toMatch(new RegExp(`^gw\\.${created.body.id}\\.[A-Za-z0-9_-]{43}$`));
    // Stored as its hash only; listed without it; the event never carries it.
    const [row] = await t.services.db
      .select()
      .from(gatewayNodes)
      .where(eq(gatewayNodes.id, created.body.id));
    expect(row!.tokenHash).toBe(hashToken(created.body.token));
    const list = await operator.get(base);
    expect(list.body.items.map((n: { id: string }) => n.id)).toContain(created.body.id);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    const logged = await t.services.db
      .select()
      .from(events)
      .where(eq(events.subjectId, created.body.id));
    expect(logged.map((e) => e.name)).toEqual(["gateway_node.created"]);
    expect(JSON.stringify(logged)).not.toContain(created.body.token.split(".")[2]);
    // The same name (whatever its case) in the same region is taken; in another region it is not.
    const again = await operator.post(base, { name: "SBC-1" });
    expect([again.status, again.body.code]).toEqual([409, "name_in_use"]);
    const other = await operator.post(`/api/v1/regions/${world.regions[1]!.id}/gateway-nodes`, {
      name: "sbc-1",
    });
    expect(other.status).toBe(201);
  });

  it("revoke: 401, 404 (another region's node too), 403, 200; the token then opens nothing", async () => {
    const created = (await operator.post(base, { name: "sbc-revoked" })).body;
    const url = `${base}/${created.id}/revoke`;
    const node = nodeClient(created.token);
    expect((await node.get("/api/v1/gateway/snapshot")).statusCode).toBe(200);
    // It holds the lease of a device of the region.
    const pbx = await buildPbx(t.services.db, {
      enterpriseId: world.a.enterprise.id,
      pbxTypeId: world.pbxTypes[0]!.id,
    });
    const { device } = await buildConfiguredUser(t.services.db, t.services.secret, {
      enterpriseId: world.a.enterprise.id,
      regionId,
      pbxId: pbx.id,
    });
    const leased = await node.post("/api/v1/gateway/leases/acquire", { deviceIds: [device!.id] });
    expect(leased.json().leases).toHaveLength(1);
    expect((await clientOf(t.app).post(url)).status).toBe(401);
    const foreign = await operator.post(
      `/api/v1/regions/${world.regions[1]!.id}/gateway-nodes/${created.id}/revoke`,
    );
    expect(foreign.status).toBe(404);
    expect((await operator.post(`${base}/gwn_00000000000000000000/revoke`)).status).toBe(404);
    for (const client of [masterA, resellerA, enterpriseAdmin])
      expect((await client.post(url)).status).toBe(403);
    const revoked = await operator.post(url);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    // Idempotent: a second revoke changes nothing and records nothing.
    expect((await operator.post(url)).body.revokedAt).toBe(revoked.body.revokedAt);
    const logged = await t.services.db
      .select()
      .from(events)
      .where(eq(events.subjectId, created.id));
    expect(logged.map((e) => e.name)).toEqual(["gateway_node.created", "gateway_node.revoked"]);
    const refused = await node.get("/api/v1/gateway/snapshot");
    expect([refused.statusCode, refused.json().code]).toEqual([401, "unauthenticated"]);
    // Its leases were freed with it.
    const held = await t.services.db
      .select()
      .from(devices)
      .where(eq(devices.leaseNodeId, created.id));
    expect(held).toEqual([]);
  });
});

describe("who may use which door", () => {
  it("refuses the gateway routes without a node token: none, malformed, unknown, a portal session", async () => {
    const routes: [string, string, object?][] = [
      ["GET", "/api/v1/gateway/snapshot"],
      ["GET", "/api/v1/gateway/changes?after=0.0"],
      ["POST", "/api/v1/gateway/registrations", { items: [] }],
      ["POST", "/api/v1/gateway/leases/acquire", {}],
      ["POST", "/api/v1/gateway/leases/renew", { deviceIds: [] }],
      ["POST", "/api/v1/gateway/leases/release", { deviceIds: [] }],
      ["POST", "/api/v1/gateway/cdrs", { items: [] }],
      ["POST", "/api/v1/gateway/traces", { items: [] }],
    ];
    const { token } = await buildGatewayNode(t.services.db, regionId);
    const unknown = `gw.gwn_00000000000000000000.${"A".repeat(43)}`;
    for (const [method, url, payload] of routes) {
      for (const headers of [
        {},
        { authorization: "Bearer nonsense" },
        { authorization: `Bearer ${unknown}` },
        { authorization: `Basic ${token}` },
      ]) {
        const res = await t.app.inject({ method: method as "GET", url, payload, headers });
        expect([url, res.statusCode, res.json().code]).toEqual([url, 401, "unauthenticated"]);
      }
      for (const client of [operator, resellerA, enterpriseAdmin]) {
        const res = await client.request(method as "GET", url, payload);
        expect([url, res.status]).toEqual([url, 401]);
      }
      const ok = await t.app.inject({
        method: method as "GET",
        url,
        payload,
        headers: { authorization: `Bearer ${token}` },
      });
      expect([url, ok.statusCode]).toEqual([url, 200]);
    }
  });

  it("refuses a node token on the portal routes", async () => {
    const { token } = await buildGatewayNode(t.services.db, regionId);
    for (const url of [
      "/api/v1/auth/session",
      "/api/v1/regions",
      "/api/v1/enterprises",
      base,
      `/api/v1/enterprises/${world.a.enterprise.id}/pbxes`,
    ]) {
      const res = await nodeClient(token).get(url);
      expect([url, res.statusCode]).toEqual([url, 401]);
    }
    const res = await nodeClient(token).post(base, { name: "by a node" });
    expect(res.statusCode).toBe(401);
  });

  it("notes when a node was last seen", async () => {
    const { node, token } = await buildGatewayNode(t.services.db, regionId);
    expect(node.lastSeenAt).toBeNull();
    await nodeClient(token).get("/api/v1/gateway/snapshot");
    const [row] = await t.services.db
      .select()
      .from(gatewayNodes)
      .where(eq(gatewayNodes.id, node.id));
    expect(row!.lastSeenAt).not.toBeNull();
  });

  it("never logs a node's token, even at trace level", async () => {
    const lines: string[] = [];
    const services: TestServices = await createTestServices({ LOG_LEVEL: "trace" });
    services.log = createLogger(
      services.env,
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    let app: FastifyInstance | undefined;
    try {
      app = await buildApp(services);
      await app.ready();
      const w = await buildWorld(services.db);
      const { token } = await buildGatewayNode(services.db, w.regions[0]!.id);
      const headers = { authorization: `Bearer ${token}` };
      await app.inject({ method: "GET", url: "/api/v1/gateway/snapshot", headers });
      await app.inject({ method: "GET", url: "/api/v1/gateway/changes?after=bad", headers });
      await app.inject({ method: "GET", url: "/api/v1/enterprises", headers });
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join("")).not.toContain(token.split(".")[2]);
    } finally {
      await app?.close();
      await closeTestServices(services);
    }
  });
});
