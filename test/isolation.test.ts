import { eq } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enterprises } from "../src/server/db/schema/index.ts";
import {
  buildEnterprise,
  buildEnterpriseAdmin,
  buildWorld,
  type World,
} from "../src/server/db/seed/factories.ts";
import { buildApp } from "../src/server/http/app.ts";
import type { EnterpriseRouteDeclaration } from "../src/server/http/enterprise-route.ts";
import { buildSyncedUser } from "../src/server/modules/calling/calling.factories.ts";
import { buildCdr } from "../src/server/modules/calls/calls.factories.ts";
import {
  buildConfiguredUser,
  buildDirectRoute,
  buildGatewayNode,
} from "../src/server/modules/gateway-feed/gateway-feed.factories.ts";
import { buildPhoneNumber } from "../src/server/modules/numbers/numbers.factories.ts";
import { buildPbx } from "../src/server/modules/pbx/pbx.factories.ts";
import { permissions } from "../src/shared/permissions.ts";
import {
  type Client,
  closeTestServices,
  createTestServices,
  signIn,
  signInEnterpriseAdmin,
  type TestServices,
} from "./harness.ts";

/**
 * SPEC §1: an actor outside a resource's subtree gets 404, indistinguishable from absent. This
 * walks every registered API route: each one with a path parameter is called by the admins of
 * subtree A on the objects of subtree B (with a valid body, so validation cannot answer first) and
 * must answer 404; each list must not mention any of B's ids. A route missing from these tables
 * fails the test, so a new route cannot skip the check.
 */

type Ids = (w: World) => Record<string, string>;

/** Path parameters of B's objects, per route pattern. */
const scoped: Record<
  string,
  {
    params: Ids;
    body?: (w: World) => unknown;
    headers?: Record<string, string>;
    /** A valid query string, so that the answer is about scope, not validation. */
    query?: () => string;
  }
> = {
  "GET /api/v1/enterprises/:id": { params: (w) => ({ id: w.b.enterprise.id }) },
  "PATCH /api/v1/enterprises/:id": {
    params: (w) => ({ id: w.b.enterprise.id }),
    body: () => ({ billingReference: "X" }),
  },
  "POST /api/v1/enterprises/:id/disable": { params: (w) => ({ id: w.b.enterprise.id }) },
  "POST /api/v1/enterprises/:id/enable": { params: (w) => ({ id: w.b.enterprise.id }) },
  "POST /api/v1/enterprises/:id/resend-invitation": { params: (w) => ({ id: w.b.enterprise.id }) },
  "POST /api/v1/resellers/:resellerId/enterprises": {
    params: (w) => ({ resellerId: w.b.reseller.id }),
    body: (w) => ({
      name: "Intruder Inc",
      adminEmail: "intruder@example.com",
      regionIds: [w.regions[0]!.id],
      services: ["PBX"],
      pbxTypeIds: [w.pbxTypes[0]!.id],
    }),
  },
  "GET /api/v1/organizations/:orgId/admins": { params: (w) => ({ orgId: w.b.reseller.id }) },
  "POST /api/v1/organizations/:orgId/admins": {
    params: (w) => ({ orgId: w.b.reseller.id }),
    body: () => ({ name: "Intruder", email: "intruder-admin@example.com", username: "intruder" }),
  },
  "POST /api/v1/organizations/:orgId/admins/:accountId/reset-password": {
    params: (w) => ({ orgId: w.b.reseller.id, accountId: w.b.resellerAdmin.id }),
  },
  "DELETE /api/v1/organizations/:orgId/admins/:accountId": {
    params: (w) => ({ orgId: w.b.reseller.id, accountId: w.b.resellerAdmin.id }),
  },
  "POST /api/v1/master-resellers/:masterId/resellers": {
    params: (w) => ({ masterId: w.b.master.id }),
    body: () => ({
      name: "Intruder reseller",
      email: "intruder-rsl@example.com",
      services: ["PBX"],
    }),
  },
  "GET /api/v1/master-resellers/:id": { params: (w) => ({ id: w.b.master.id }) },
  "PATCH /api/v1/master-resellers/:id": {
    params: (w) => ({ id: w.b.master.id }),
    body: () => ({ billingReference: "X" }),
  },
  "POST /api/v1/master-resellers/:id/disable": { params: (w) => ({ id: w.b.master.id }) },
  "POST /api/v1/master-resellers/:id/enable": { params: (w) => ({ id: w.b.master.id }) },
  "POST /api/v1/master-resellers/:id/resend-invitation": { params: (w) => ({ id: w.b.master.id }) },
  "GET /api/v1/resellers/:id": { params: (w) => ({ id: w.b.reseller.id }) },
  "PATCH /api/v1/resellers/:id": {
    params: (w) => ({ id: w.b.reseller.id }),
    body: () => ({ billingReference: "X" }),
  },
  "POST /api/v1/resellers/:id/disable": { params: (w) => ({ id: w.b.reseller.id }) },
  "POST /api/v1/resellers/:id/enable": { params: (w) => ({ id: w.b.reseller.id }) },
  "POST /api/v1/resellers/:id/resend-invitation": { params: (w) => ({ id: w.b.reseller.id }) },
  ...Object.fromEntries(
    [
      "GET /api/v1/enterprises/:enterpriseId/overview",
      "PUT /api/v1/enterprises/:enterpriseId/management-consent",
      "DELETE /api/v1/enterprises/:enterpriseId/management-consent",
      "GET /api/v1/enterprises/:enterpriseId/sync-groups",
      "GET /api/v1/enterprises/:enterpriseId/directory-groups",
      "GET /api/v1/enterprises/:enterpriseId/users",
      "GET /api/v1/enterprises/:enterpriseId/user-sync",
      "POST /api/v1/enterprises/:enterpriseId/user-sync",
      "GET /api/v1/enterprises/:enterpriseId/activity",
      "POST /api/v1/enterprises/:enterpriseId/microsoft-permissions/consent",
      "POST /api/v1/enterprises/:enterpriseId/microsoft-permissions/consent/finish",
      "POST /api/v1/enterprises/:enterpriseId/teams-admin-role/retry",
      "GET /api/v1/enterprises/:enterpriseId/direct-routing",
      "POST /api/v1/enterprises/:enterpriseId/direct-routing",
      "DELETE /api/v1/enterprises/:enterpriseId/direct-routing",
      "POST /api/v1/enterprises/:enterpriseId/direct-routing/check",
      "POST /api/v1/enterprises/:enterpriseId/direct-routing/repair",
    ].map((route) => [route, { params: (w: World) => ({ enterpriseId: w.b.enterprise.id }) }]),
  ),
  "PUT /api/v1/enterprises/:enterpriseId/sync-groups": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
    body: () => ({ groupIds: [] }),
  },
  "GET /api/v1/enterprises/:enterpriseId/pbxes": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
  },
  "POST /api/v1/enterprises/:enterpriseId/pbxes": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
    body: (w) => ({
      pbxTypeId: w.pbxTypes[0]!.id,
      locationName: "Intruder location",
      sipDomain: "pbx.intruder.example",
    }),
  },
  // A location of B's enterprise (pbx.routes.test.ts: B's location id under A's enterprise is 404 too).
  ...Object.fromEntries(
    [
      "GET /api/v1/enterprises/:enterpriseId/pbxes/:pbxId",
      "PATCH /api/v1/enterprises/:enterpriseId/pbxes/:pbxId",
      "DELETE /api/v1/enterprises/:enterpriseId/pbxes/:pbxId",
    ].map((route) => [
      route,
      {
        params: (w: World) => ({ enterpriseId: w.b.enterprise.id, pbxId: bPbxId }),
        body: () => ({ locationName: "Renamed by an intruder" }),
      },
    ]),
  ),
  "GET /api/v1/enterprises/:enterpriseId/numbers": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
  },
  "POST /api/v1/enterprises/:enterpriseId/numbers": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
    body: () => ({ from: "+19995550000", to: "+19995550009" }),
  },
  "POST /api/v1/enterprises/:enterpriseId/numbers/import": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
    body: () => "number\n+19995550100\n",
    headers: { "content-type": "text/csv" },
  },
  // A number of B's enterprise (numbers.routes.test.ts: B's number id under A's enterprise is 404 too).
  "DELETE /api/v1/enterprises/:enterpriseId/numbers/:numberId": {
    params: (w: World) => ({ enterpriseId: w.b.enterprise.id, numberId: bNumberId }),
  },
  // A configured user of B's enterprise (calling.routes.test.ts: B's user under A's enterprise is 404 too).
  ...Object.fromEntries(
    [
      "GET /api/v1/enterprises/:enterpriseId/users/:userId",
      "GET /api/v1/enterprises/:enterpriseId/users/:userId/registration-history",
      "POST /api/v1/enterprises/:enterpriseId/users/:userId/disable-calling",
      "POST /api/v1/enterprises/:enterpriseId/users/:userId/enable-calling",
      "POST /api/v1/enterprises/:enterpriseId/users/:userId/disable",
      "POST /api/v1/enterprises/:enterpriseId/users/:userId/enable",
      "DELETE /api/v1/enterprises/:enterpriseId/users/:userId/calling",
      "POST /api/v1/enterprises/:enterpriseId/users/:userId/restore",
      "POST /api/v1/enterprises/:enterpriseId/users/:userId/teams-push",
    ].map((route) => [
      route,
      { params: (w: World) => ({ enterpriseId: w.b.enterprise.id, userId: bUserId }) },
    ]),
  ),
  "PUT /api/v1/enterprises/:enterpriseId/users/:userId/calling": {
    params: (w: World) => ({ enterpriseId: w.b.enterprise.id, userId: bUserId }),
    body: () => ({
      pbxId: bPbxId,
      regionId: "reg_intruder",
      sipUser: "666@pbx.intruder.example",
      phoneNumber: "+19995550666",
      sipAuthId: "666",
      sipPassword: "intruder",
    }),
  },
  "POST /api/v1/enterprises/:enterpriseId/users/:userId/sip-password": {
    params: (w: World) => ({ enterpriseId: w.b.enterprise.id, userId: bUserId }),
    body: () => ({ sipPassword: "intruder-pw" }),
  },
  "POST /api/v1/enterprises/:enterpriseId/teams-push": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
    body: () => ({}),
  },
  "POST /api/v1/enterprises/:enterpriseId/user-imports": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
    query: () => `pbxId=${bPbxId}&regionId=reg_intruder`,
    body: () => "Teams user,Phone number\nintruder@contoso.example,+19995550667\n",
    headers: { "content-type": "text/csv" },
  },
  "GET /api/v1/enterprises/:enterpriseId/user-imports/:importId": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id, importId: "uim_intruder" }),
  },
  "GET /api/v1/enterprises/:enterpriseId/users-export": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
  },
  "GET /api/v1/enterprises/:enterpriseId/regions": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
  },
  "GET /api/v1/enterprises/:enterpriseId/calls": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id }),
  },
  // A call of B's enterprise (calls.routes.test.ts: B's call under A's enterprise is 404 too).
  "GET /api/v1/enterprises/:enterpriseId/calls/:callId": {
    params: (w) => ({ enterpriseId: w.b.enterprise.id, callId: bCallId }),
  },
};

/**
 * SPEC §3.4: the routes on one enterprise, and whether its service provider needs the enterprise's
 * management consent there (`true`: it is refused with 403 `management_consent_required` until an
 * enterprise admin grants it). Every route under `/enterprises/:enterpriseId` must be listed, and
 * must declare the same through `enterpriseRoute`.
 */
const onBehalf: Record<string, boolean> = {
  "GET /api/v1/enterprises/:enterpriseId/overview": false,
  "PUT /api/v1/enterprises/:enterpriseId/management-consent": false,
  "DELETE /api/v1/enterprises/:enterpriseId/management-consent": false,
  "POST /api/v1/enterprises/:enterpriseId/microsoft-permissions/consent": false,
  "POST /api/v1/enterprises/:enterpriseId/microsoft-permissions/consent/finish": false,
  "POST /api/v1/enterprises/:enterpriseId/teams-admin-role/retry": true,
  "GET /api/v1/enterprises/:enterpriseId/sync-groups": false,
  "PUT /api/v1/enterprises/:enterpriseId/sync-groups": true,
  "GET /api/v1/enterprises/:enterpriseId/directory-groups": false,
  "GET /api/v1/enterprises/:enterpriseId/users": false,
  "GET /api/v1/enterprises/:enterpriseId/user-sync": false,
  "POST /api/v1/enterprises/:enterpriseId/user-sync": true,
  "GET /api/v1/enterprises/:enterpriseId/activity": false,
  "GET /api/v1/enterprises/:enterpriseId/direct-routing": false,
  "POST /api/v1/enterprises/:enterpriseId/direct-routing": true,
  "DELETE /api/v1/enterprises/:enterpriseId/direct-routing": true,
  "POST /api/v1/enterprises/:enterpriseId/direct-routing/check": true,
  "POST /api/v1/enterprises/:enterpriseId/direct-routing/repair": true,
  "GET /api/v1/enterprises/:enterpriseId/pbxes": false,
  "GET /api/v1/enterprises/:enterpriseId/pbxes/:pbxId": false,
  "POST /api/v1/enterprises/:enterpriseId/pbxes": true,
  "PATCH /api/v1/enterprises/:enterpriseId/pbxes/:pbxId": true,
  "DELETE /api/v1/enterprises/:enterpriseId/pbxes/:pbxId": true,
  "GET /api/v1/enterprises/:enterpriseId/numbers": false,
  "POST /api/v1/enterprises/:enterpriseId/numbers": true,
  "POST /api/v1/enterprises/:enterpriseId/numbers/import": true,
  "DELETE /api/v1/enterprises/:enterpriseId/numbers/:numberId": true,
  "GET /api/v1/enterprises/:enterpriseId/users/:userId": false,
  "GET /api/v1/enterprises/:enterpriseId/users/:userId/registration-history": false,
  "PUT /api/v1/enterprises/:enterpriseId/users/:userId/calling": false,
  "POST /api/v1/enterprises/:enterpriseId/users/:userId/sip-password": false,
  "POST /api/v1/enterprises/:enterpriseId/users/:userId/disable-calling": false,
  "POST /api/v1/enterprises/:enterpriseId/users/:userId/enable-calling": false,
  "POST /api/v1/enterprises/:enterpriseId/users/:userId/disable": false,
  "POST /api/v1/enterprises/:enterpriseId/users/:userId/enable": false,
  "DELETE /api/v1/enterprises/:enterpriseId/users/:userId/calling": false,
  "POST /api/v1/enterprises/:enterpriseId/users/:userId/restore": false,
  "POST /api/v1/enterprises/:enterpriseId/users/:userId/teams-push": true,
  "POST /api/v1/enterprises/:enterpriseId/teams-push": true,
  "POST /api/v1/enterprises/:enterpriseId/user-imports": false,
  "GET /api/v1/enterprises/:enterpriseId/user-imports/:importId": false,
  "GET /api/v1/enterprises/:enterpriseId/users-export": false,
  "GET /api/v1/enterprises/:enterpriseId/regions": false,
  "GET /api/v1/enterprises/:enterpriseId/calls": false,
  "GET /api/v1/enterprises/:enterpriseId/calls/:callId": false,
};

/**
 * The enterprise's own decisions: only its admins may take them, and its service provider is
 * refused (403 `forbidden`) with management consent or without. Management consent itself, and
 * Microsoft's admin consent for the tenant, which only the tenant can give.
 */
const enterpriseOnly = [
  "PUT /api/v1/enterprises/:enterpriseId/management-consent",
  "DELETE /api/v1/enterprises/:enterpriseId/management-consent",
  "POST /api/v1/enterprises/:enterpriseId/microsoft-permissions/consent",
  "POST /api/v1/enterprises/:enterpriseId/microsoft-permissions/consent/finish",
].sort();

/** Lists: must not leak B's objects (a 403 for a role that may not list is fine too). */
const lists = [
  "GET /api/v1/enterprises",
  "GET /api/v1/resellers",
  "GET /api/v1/master-resellers",
  "GET /api/v1/audit",
  "GET /api/v1/regions",
  "GET /api/v1/pbx-types",
];

/** Not tenant-scoped: the operator catalogue (role-checked, 403) and the public or own-account routes. */
const exempt = new Set([
  "PATCH /api/v1/regions/:id",
  "PATCH /api/v1/pbx-types/:id",
  "POST /api/v1/regions",
  "POST /api/v1/pbx-types",
  "POST /api/v1/master-resellers",
  "POST /api/v1/auth/login",
  "POST /api/v1/auth/logout",
  "GET /api/v1/auth/session",
  "PUT /api/v1/auth/password",
  "POST /api/v1/auth/password-reset",
  "POST /api/v1/auth/password-reset/complete",
  "GET /api/v1/activation",
  "POST /api/v1/activation",
  "GET /api/v1/enterprise-invitations",
  "POST /api/v1/enterprise-invitations/verify",
  "POST /api/v1/enterprise-invitations/sign-in",
  "POST /api/v1/enterprise-invitations/finish",
  "POST /api/v1/auth/microsoft/sign-in",
  "GET /api/v1/microsoft/callback",
  "GET /api/v1/microsoft/admin-consent/callback",
  // The operator's gateway nodes of a region: the catalogue, role-checked (403);
  // gateway-nodes.routes.test.ts walks their ladder.
  "GET /api/v1/regions/:regionId/gateway-nodes",
  "POST /api/v1/regions/:regionId/gateway-nodes",
  "POST /api/v1/regions/:regionId/gateway-nodes/:nodeId/revoke",
]);

/**
 * The gateway feed (ADR 0019): a third kind of actor, the SBC gateway node, with a bearer token
 * and a region instead of a session and a subtree. No session opens these routes, no node token
 * opens any other, and a node sees nothing of another region.
 */
const gatewayRoutes: Record<string, unknown> = {
  "GET /api/v1/gateway/snapshot": undefined,
  "GET /api/v1/gateway/changes": undefined,
  "POST /api/v1/gateway/registrations": { items: [] },
  "POST /api/v1/gateway/leases/acquire": {},
  "POST /api/v1/gateway/leases/renew": { deviceIds: [] },
  "POST /api/v1/gateway/leases/release": { deviceIds: [] },
  "POST /api/v1/gateway/cdrs": { items: [] },
  "POST /api/v1/gateway/traces": { items: [] },
};

let services: TestServices;
let app: FastifyInstance;
let world: World;
/** A PBX location of B's enterprise. */
let bPbxId: string;
/** A phone number of B's enterprise. */
let bNumberId: string;
/** A synced user of B's enterprise. */
let bUserId: string;
/** The Call-ID of a call of B's enterprise. */
let bCallId: string;
const routes: string[] = [];
/** What each route declared through `enterpriseRoute` (absent: it did not use the helper). */
const declared = new Map<string, EnterpriseRouteDeclaration | undefined>();
/** `portalOnly`: the actor may answer 403 on service-provider routes (the same for every id). */
let actors: { name: string; client: Client; portalOnly?: boolean }[];

beforeAll(async () => {
  services = await createTestServices();
  app = await buildApp(services, {
    onRoute: (route) => {
      for (const method of [route.method].flat()) {
        if (method !== "HEAD" && route.url.startsWith("/api/v1/")) {
          routes.push(`${method} ${route.url}`);
          const config = route.config as { enterpriseRoute?: EnterpriseRouteDeclaration };
          declared.set(`${method} ${route.url}`, config?.enterpriseRoute);
        }
      }
    },
  });
  await app.ready();
  world = await buildWorld(services.db);
  // Some audit history in B, so the audit list has something to leak.
  const bMaster = await signIn(app, world.b.masterAdmin.email);
  await bMaster.patch(`/api/v1/resellers/${world.b.reseller.id}`, { billingReference: "B-REF" });
  actors = [
    { name: "master reseller A", client: await signIn(app, world.a.masterAdmin.email) },
    { name: "reseller A", client: await signIn(app, world.a.resellerAdmin.email) },
    {
      name: "enterprise admin of A's enterprise",
      client: await signInEnterpriseAdmin(
        app,
        services,
        (await buildEnterpriseAdmin(services.db, world.a.enterprise)).id,
      ),
      portalOnly: true,
    },
  ];
  // B's enterprise registered too, with some activity, so nothing fails for being unregistered.
  await buildEnterpriseAdmin(services.db, world.b.enterprise);
  bPbxId = (
    await buildPbx(services.db, {
      enterpriseId: world.b.enterprise.id,
      pbxTypeId: world.pbxTypes[0]!.id,
    })
  ).id;
  bNumberId = (await buildPhoneNumber(services.db, { enterpriseId: world.b.enterprise.id })).id;
  bUserId = (await buildSyncedUser(services.db, { enterpriseId: world.b.enterprise.id })).id;
  const callNode = await buildGatewayNode(services.db, world.regions[0]!.id);
  bCallId = (
    await buildCdr(services.db, {
      nodeId: callNode.node.id,
      regionId: world.regions[0]!.id,
      enterprise: {
        id: world.b.enterprise.id,
        resellerId: world.b.reseller.id,
        masterResellerId: world.b.master.id,
      },
    })
  ).callId;
});
afterAll(async () => {
  await app.close();
  await closeTestServices(services);
});

const bIds = (w: World) => [
  bPbxId,
  bNumberId,
  bUserId,
  bCallId,
  w.b.master.id,
  w.b.reseller.id,
  w.b.enterprise.id,
  w.b.masterAdmin.id,
  w.b.resellerAdmin.id,
];

describe("tenant isolation", () => {
  it("has every API route in one of the tables", () => {
    const unknown = routes.filter(
      (r) => !(r in scoped) && !lists.includes(r) && !exempt.has(r) && !(r in gatewayRoutes),
    );
    expect(unknown, "add these routes to test/isolation.test.ts").toEqual([]);
    expect(routes.length).toBeGreaterThan(40);
  });

  it("answers 404 to every actor of another subtree, on every scoped route", async () => {
    const failures: string[] = [];
    for (const [route, spec] of Object.entries(scoped)) {
      const [method, pattern] = route.split(" ") as [string, string];
      const path = Object.entries(spec.params(world)).reduce(
        (u, [k, v]) => u.replace(`:${k}`, v),
        pattern,
      );
      const url = spec.query ? `${path}?${spec.query()}` : path;
      for (const { name, client, portalOnly } of actors) {
        const body =
          spec.body?.(world) ?? (method === "GET" || method === "DELETE" ? undefined : {});
        const res = await client.request(method as "GET", url, body, spec.headers);
        if (res.status === 404) continue;
        const portalRoute = !route.includes(":enterpriseId/");
        const refusedAsRole =
          portalOnly && portalRoute && res.status === 403 && res.body?.code === "forbidden";
        if (!refusedAsRole)
          failures.push(`${route} as ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("never lists another subtree's objects", async () => {
    const failures: string[] = [];
    for (const route of lists) {
      const url = route.split(" ")[1]!;
      for (const { name, client } of actors) {
        const res = await client.get(
          `${url}${url.includes("?") ? "&" : "?"}pageSize=100`
            .replace("/regions?pageSize=100", "/regions")
            .replace("/pbx-types?pageSize=100", "/pbx-types"),
        );
        if (res.status === 403) continue;
        if (res.status !== 200) failures.push(`${route} as ${name}: ${res.status}`);
        const text = JSON.stringify(res.body);
        for (const id of bIds(world))
          if (text.includes(id)) failures.push(`${route} as ${name} leaks ${id}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("gateway nodes", () => {
  const walk = async (
    list: string[],
    bodyOf: (route: string) => unknown,
    send: (method: string, url: string, body: unknown) => Promise<number>,
  ) => {
    const failures: string[] = [];
    for (const route of list) {
      const [method, pattern] = route.split(" ") as [string, string];
      const url = Object.entries(scoped[route]?.params(world) ?? {}).reduce(
        (u, [k, v]) => u.replace(`:${k}`, v),
        pattern.replace(":regionId", world.regions[0]!.id).replace(":nodeId", "gwn_0"),
      );
      const status = await send(
        method,
        `${url}${route.endsWith("/changes") ? "?after=0.0" : ""}`,
        bodyOf(route),
      );
      if (status !== 401) failures.push(`${route}: ${status}`);
    }
    return failures;
  };

  it("opens no portal route to a node token, and no gateway route to a portal session", async () => {
    const { token } = await buildGatewayNode(services.db, world.regions[0]!.id);
    const portal = [
      ...Object.keys(scoped),
      ...lists,
      "GET /api/v1/regions/:regionId/gateway-nodes",
      "POST /api/v1/regions/:regionId/gateway-nodes",
      "POST /api/v1/regions/:regionId/gateway-nodes/:nodeId/revoke",
      "GET /api/v1/auth/session",
    ];
    const asNode = await walk(
      portal,
      (r) => scoped[r]?.body?.(world) ?? (/^(GET|DELETE) /.test(r) ? undefined : {}),
      async (method, url, body) =>
        (
          await app.inject({
            method: method as "GET",
            url,
            headers: { authorization: `Bearer ${token}` },
            ...(body === undefined ? {} : { payload: body as object }),
          })
        ).statusCode,
    );
    expect(asNode).toEqual([]);
    for (const { name, client } of actors) {
      const asActor = await walk(
        Object.keys(gatewayRoutes),
        (r) => gatewayRoutes[r],
        async (method, url, body) => (await client.request(method as "GET", url, body)).status,
      );
      expect(asActor, name).toEqual([]);
    }
  });

  it("shows a node nothing of another region's enterprises, PBXs and users", async () => {
    // B's enterprise served by region 0, with a configured user on B's PBX location.
    await buildDirectRoute(services.db, {
      enterpriseId: world.b.enterprise.id,
      regionId: world.regions[0]!.id,
    });
    const user = await buildConfiguredUser(services.db, services.secret, {
      enterpriseId: world.b.enterprise.id,
      regionId: world.regions[0]!.id,
      pbxId: bPbxId,
    });
    const own = await buildGatewayNode(services.db, world.regions[0]!.id);
    const other = await buildGatewayNode(services.db, world.regions[1]!.id);
    const read = async (token: string, url: string) =>
      (await app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } }))
        .body;
    const secrets = [...bIds(world), user.user.id, user.device!.id];
    // The region's own node sees them (so the check below is not vacuous) …
    const ownSnapshot = await read(own.token, "/api/v1/gateway/snapshot");
    expect(ownSnapshot).toContain(user.user.id);
    // … another region's node sees none of them, in the snapshot or the changes.
    for (const url of ["/api/v1/gateway/snapshot", "/api/v1/gateway/changes?after=0.0"]) {
      const text = await read(other.token, url);
      for (const id of secrets) expect(text, url).not.toContain(id);
    }
  });
});

describe("management consent", () => {
  const enterpriseRoutes = () => routes.filter((r) => r.includes("/enterprises/:enterpriseId"));

  it("lists every route on one enterprise, each declared as the table says", () => {
    const declarations = Object.fromEntries(
      enterpriseRoutes().map((r) => [r, declared.get(r)?.onBehalf ?? "not declared"]),
    );
    expect(declarations).toEqual(onBehalf);
  });

  it("keeps the enterprise's own decisions to its admins: no service provider role may take them", () => {
    const own = enterpriseRoutes().filter((r) => {
      const may = declared.get(r)?.may;
      return may !== undefined && permissions[may].every((role) => role === "enterprise_admin");
    });
    expect(own.sort()).toEqual(enterpriseOnly);
  });

  it("refuses the provider exactly the on-behalf routes until the enterprise consents, and its own decisions always", async () => {
    const enterprise = await buildEnterprise(services.db, {
      reseller: world.a.reseller,
      requestManagementConsent: true,
    });
    const enterpriseAdmin = await signInEnterpriseAdmin(
      app,
      services,
      (await buildEnterpriseAdmin(services.db, enterprise)).id,
    );
    const provider = await signIn(app, world.a.resellerAdmin.email);
    const refusals = async (client: Client, code = "management_consent_required") => {
      const refused: string[] = [];
      for (const route of enterpriseRoutes()) {
        const [method, pattern] = route.split(" ") as [string, string];
        const path = pattern.replace(":enterpriseId", enterprise.id);
        const query = scoped[route]?.query;
        const url = query ? `${path}?${query()}` : path;
        const body =
          scoped[route]?.body?.(world) ??
          (method === "GET" || method === "DELETE" ? undefined : {});
        const res = await client.request(method as "GET", url, body, scoped[route]?.headers);
        if (res.body?.code === code) refused.push(route);
      }
      return refused.sort();
    };
    const expected = Object.keys(onBehalf)
      .filter((r) => onBehalf[r])
      .sort();

    expect(await refusals(provider)).toEqual(expected);
    expect(await refusals(enterpriseAdmin)).toEqual([]);
    await services.db
      .update(enterprises)
      .set({ managementConsentGrantedAt: new Date(), managementConsentGrantedBy: "Admin" })
      .where(eq(enterprises.id, enterprise.id));
    expect(await refusals(provider)).toEqual([]);
    expect(await refusals(provider, "forbidden")).toEqual(enterpriseOnly);
  });
});
