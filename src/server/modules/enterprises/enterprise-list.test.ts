import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createTestApp, signIn, type TestApp } from "../../../../test/harness.ts";
import type { PortalActor } from "../../authz/actor.ts";
import type { Db } from "../../db/client.ts";
import * as schema from "../../db/schema/index.ts";
import {
  buildAccount,
  buildEnterprise,
  buildOrganization,
  buildWorld,
  type World,
} from "../../db/seed/factories.ts";
import { listEnterprises } from "./enterprises.queries.ts";

let t: TestApp;
let world: World;
let operator: Client;
let master: Client;
let reseller: Client;
let resellerA2: Client;
let apiCreated: { id: string; adminEmail: string };

type Item = {
  id: string;
  name: string;
  resellerId: string;
  resellerName: string;
  status: string;
  regionIds: string[];
  pbxTypeIds: string[];
  invitation: { email: string; mailState: string } | null;
};
type ListBody = { items: Item[]; total: number; page: number; pageSize: number };

const pad = (i: number) => String(i).padStart(2, "0");
const minute = 60_000;
const base = Date.UTC(2024, 0, 1);

/**
 * Reseller A: 30 "Alpha NN" (every 5th disabled, every 7th registered) + its world enterprise + one
 * added through the API (45 in all). Reseller A2 (same master): 5 "Beta". Reseller B: 7 "Gamma" + its
 * world enterprise.
 */
beforeAll(async () => {
  t = await createTestApp();
  const db = t.services.db;
  world = await buildWorld(db);
  const r0 = world.regions[0]!.id;
  const p0 = world.pbxTypes[0]!.id;
  for (let i = 1; i <= 30; i++) {
    await buildEnterprise(db, {
      reseller: world.a.reseller,
      name: `Alpha ${pad(i)}`,
      adminEmail: `alpha-${pad(i)}@north.example.com`,
      status: i % 5 === 0 ? "disabled" : i % 7 === 0 ? "registered" : "invited",
      createdAt: new Date(base + i * minute),
      regionIds: [r0],
      pbxTypeIds: [p0],
    });
  }
  const a2 = await buildOrganization(db, {
    kind: "reseller",
    parent: world.a.master,
    name: "Reseller A2",
    regionIds: [r0],
    pbxTypeIds: [p0],
  });
  const a2Admin = await buildAccount(db, { organizationId: a2.id });
  for (let i = 1; i <= 5; i++) {
    await buildEnterprise(db, {
      reseller: a2,
      name: `Beta ${i}`,
      adminEmail: `beta-${i}@south.example.com`,
      createdAt: new Date(base + i * minute),
    });
  }
  for (let i = 1; i <= 7; i++) {
    await buildEnterprise(db, {
      reseller: world.b.reseller,
      name: `Gamma ${i}`,
      createdAt: new Date(base + i * minute),
    });
  }
  operator = await signIn(t.app, world.operatorAdmin.email);
  master = await signIn(t.app, world.a.masterAdmin.email);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
  resellerA2 = await signIn(t.app, a2Admin.username);
  const created = await reseller.post(`/api/v1/resellers/${world.a.reseller.id}/enterprises`, {
    name: "Delta API",
    adminEmail: "ga@delta.example.com",
    regionIds: world.regions.map((r) => r.id),
    services: ["PBX"],
    pbxTypeIds: [p0],
  });
  expect(created.status).toBe(201);
  apiCreated = created.body;
});
afterAll(() => t.close());

async function list(client: Client, query = ""): Promise<ListBody> {
  const res = await client.get(`/api/v1/enterprises${query}`);
  expect(res.status).toBe(200);
  return res.body;
}

describe("Enterprises list: subtree", () => {
  it("shows a reseller only its own enterprises", async () => {
    const page = await list(reseller, "?pageSize=100");
    expect(page.total).toBe(32);
    expect(new Set(page.items.map((e) => e.resellerId))).toEqual(new Set([world.a.reseller.id]));
    expect((await list(resellerA2, "?pageSize=100")).total).toBe(5);
  });

  it("shows a master reseller the enterprises of all its resellers, and no other", async () => {
    const page = await list(master, "?pageSize=100");
    expect(page.total).toBe(37);
    expect(new Set(page.items.map((e) => e.resellerName))).toEqual(
      new Set(["Reseller A", "Reseller A2"]),
    );
  });

  it("shows the operator every enterprise", async () => {
    const page = await list(operator, "?pageSize=100");
    expect(page.total).toBe(45);
    expect(page.items).toHaveLength(45);
  });
});

describe("Enterprises list: paging and order", () => {
  it("pages newest first with the total of the whole result", async () => {
    const first = await list(reseller, "?pageSize=10");
    expect(first).toMatchObject({ total: 32, page: 1, pageSize: 10 });
    expect(first.items.map((e) => e.name)).toEqual([
      "Delta API",
      "Enterprise A",
      ...[30, 29, 28, 27, 26, 25, 24, 23].map((i) => `Alpha ${pad(i)}`),
    ]);
    const last = await list(reseller, "?pageSize=10&page=4");
    expect(last.total).toBe(32);
    expect(last.items.map((e) => e.name)).toEqual(["Alpha 02", "Alpha 01"]);
    const beyond = await list(reseller, "?pageSize=10&page=5");
    expect(beyond).toMatchObject({ total: 32, items: [] });
  });

  it("uses 25 a page by default", async () => {
    const page = await list(operator);
    expect(page).toMatchObject({ total: 45, page: 1, pageSize: 25 });
    expect(page.items).toHaveLength(25);
  });

  it("carries the reseller's name, the regions, PBX types and the current invitation", async () => {
    const page = await list(reseller, "?pageSize=3");
    const [delta, worldA, alpha30] = page.items;
    expect(delta).toMatchObject({
      id: apiCreated.id,
      resellerName: "Reseller A",
      regionIds: world.regions.map((r) => r.id).sort(),
      pbxTypeIds: [world.pbxTypes[0]!.id],
      invitation: { email: "ga@delta.example.com", mailState: "queued" },
    });
    expect(worldA).toMatchObject({
      id: world.a.enterprise.id,
      regionIds: [world.regions[0]!.id],
      pbxTypeIds: [world.pbxTypes[0]!.id],
      invitation: null,
    });
    expect(alpha30).toMatchObject({ name: "Alpha 30", status: "disabled" });
  });
});

describe("Enterprises list: search and status filter", () => {
  it("searches the name and the admin e-mail, case-insensitively", async () => {
    const byName = await list(reseller, "?q=ALPHA%201&pageSize=100");
    expect(byName.total).toBe(10);
    expect(byName.items.every((e) => /^Alpha 1\d$/.test(e.name))).toBe(true);
    const byEmail = await list(master, "?q=south.EXAMPLE");
    expect(byEmail.items.map((e) => e.name).sort()).toEqual(
      [1, 2, 3, 4, 5].map((i) => `Beta ${i}`),
    );
    // The subtree still applies to a search.
    expect((await list(reseller, "?q=south.example")).total).toBe(0);
    expect((await list(reseller, "?q=gamma")).total).toBe(0);
  });

  it("treats the search text literally (no SQL wildcards)", async () => {
    expect((await list(operator, "?q=%25")).total).toBe(0);
    expect((await list(operator, "?q=_")).total).toBe(0);
    expect((await list(operator, "?q=")).total).toBe(45);
  });

  it("filters by status, alone and with a search, with the right totals", async () => {
    expect((await list(reseller, "?status=disabled")).total).toBe(6);
    expect((await list(reseller, "?status=registered")).total).toBe(4);
    expect((await list(reseller, "?status=invited")).total).toBe(22);
    expect((await list(reseller, "?status=active")).total).toBe(0);
    const page = await list(reseller, "?q=alpha&status=disabled&pageSize=4&page=2");
    expect(page.total).toBe(6);
    expect(page.items.map((e) => e.name)).toEqual(["Alpha 10", "Alpha 05"]);
    expect(page.items.every((e) => e.status === "disabled")).toBe(true);
  });
});

describe("Enterprises list: cost", () => {
  /** The same database as the app's, through a drizzle instance that counts executed statements. */
  function countingDb() {
    const counter = { statements: 0 };
    const logger = { logQuery: () => void counter.statements++ };
    const client = (t.services.db as unknown as { $client: never }).$client;
    const db = (t.services.database.kind === "pglite"
      ? drizzlePglite(client, { schema, logger })
      : drizzlePg(client, { schema, logger })) as unknown as Db;
    return { db, counter };
  }

  it("issues the same small number of queries whatever the page size (no N+1)", async () => {
    const actor = {
      kind: "portal",
      role: "operator",
      organizationId: world.operator.id,
      masterResellerId: null,
      resellerId: null,
    } as PortalActor;
    const statementsFor = async (pageSize: number) => {
      const { db, counter } = countingDb();
      const page = await listEnterprises(db, actor, { page: 1, pageSize });
      expect(page.items).toHaveLength(pageSize);
      return counter.statements;
    };
    const small = await statementsFor(2);
    const large = await statementsFor(40);
    expect(large).toBe(small);
    expect(large).toBe(2); // the page (with region and PBX type ids and the invitation), the total
  });
});
