import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createTestApp, signIn, type TestApp } from "../../../../test/harness.ts";
import { enterpriseListCountCap } from "../../../shared/contracts/enterprises.ts";
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
type ListBody = {
  items: Item[];
  total: number;
  isTotalCapped: boolean;
  pageSize: number;
  nextCursor: string | null;
  prevCursor: string | null;
};

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
  it("pages newest first by cursor, with the total of the whole result on every page", async () => {
    const first = await list(reseller, "?pageSize=10");
    expect(first).toMatchObject({
      total: 32,
      isTotalCapped: false,
      pageSize: 10,
      prevCursor: null,
    });
    expect(first.items.map((e) => e.name)).toEqual([
      "Delta API",
      "Enterprise A",
      ...[30, 29, 28, 27, 26, 25, 24, 23].map((i) => `Alpha ${pad(i)}`),
    ]);
    let page = first;
    for (let n = 2; n <= 4; n++) {
      expect(page.nextCursor).toEqual(expect.any(String));
      page = await list(reseller, `?pageSize=10&cursor=${page.nextCursor}`);
      expect(page.total).toBe(32);
      expect(page.prevCursor).toEqual(expect.any(String));
    }
    expect(page.items.map((e) => e.name)).toEqual(["Alpha 02", "Alpha 01"]);
    expect(page.nextCursor).toBeNull();
    const back = await list(reseller, `?pageSize=10&cursor=${page.prevCursor}`);
    expect(back.items.map((e) => e.name)).toEqual(
      [12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => `Alpha ${pad(i)}`),
    );
  });

  it("goes back to a full first page from a short page near the top", async () => {
    const first = await list(reseller, "?pageSize=10");
    const second = await list(reseller, `?pageSize=10&cursor=${first.nextCursor}`);
    // The row after "Delta API": going back shows the first page whole, not one row.
    const nearTop = await list(reseller, `?pageSize=10&cursor=a.${apiCreated.id}`);
    const back = await list(reseller, `?pageSize=10&cursor=${nearTop.prevCursor}`);
    expect(back).toEqual(first);
    expect((await list(reseller, `?pageSize=10&cursor=${second.prevCursor}`)).items).toEqual(
      first.items,
    );
  });

  it("answers an empty last page past the end, and names a malformed cursor (400)", async () => {
    const all = await list(reseller, "?pageSize=100");
    const past = await list(reseller, `?cursor=a.${all.items.at(-1)!.id}`);
    expect(past).toMatchObject({ items: [], total: 32, nextCursor: null, prevCursor: null });
    for (const cursor of ["x.ent_1", "a.", "a.ent 1", `a.${"x".repeat(65)}`]) {
      const res = await reseller.get(`/api/v1/enterprises?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.fields)).toEqual(["cursor"]);
    }
    // A page number is not a cursor: the contract changed to keyset paging (ADR 0011).
    expect((await reseller.get("/api/v1/enterprises?page=2")).status).toBe(400);
  });

  it("uses 25 a page by default", async () => {
    const page = await list(operator);
    expect(page).toMatchObject({ total: 45, pageSize: 25, prevCursor: null });
    expect(page.items).toHaveLength(25);
  });

  it("carries the reseller's name, the regions, PBX types and the current invitation", async () => {
    const page = await list(reseller, "?pageSize=3");
    const [delta, worldA, alpha30] = page.items;
    expect(delta).toMatchObject({
      id: apiCreated.id,
      resellerName: "Reseller A",
      // In the order chosen: the primary region first.
      regionIds: world.regions.map((r) => r.id),
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
    const first = await list(reseller, "?q=alpha&status=disabled&pageSize=4");
    const page = await list(
      reseller,
      `?q=alpha&status=disabled&pageSize=4&cursor=${first.nextCursor}`,
    );
    expect(page.total).toBe(6);
    expect(page.nextCursor).toBeNull();
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

  it("issues one query whatever the page size (no N+1)", async () => {
    const actor = {
      kind: "portal",
      role: "operator",
      organizationId: world.operator.id,
      masterResellerId: null,
      resellerId: null,
    } as PortalActor;
    const statementsFor = async (pageSize: number) => {
      const { db, counter } = countingDb();
      const page = await listEnterprises(db, actor, { pageSize });
      expect(page.items).toHaveLength(pageSize);
      return counter.statements;
    };
    const small = await statementsFor(2);
    const large = await statementsFor(40);
    expect(large).toBe(small);
    // The page with its region and PBX type ids, invitation and capped total, in one statement.
    expect(large).toBe(1);
  });
});

describe("Enterprises list: keyset paging", () => {
  /** Follows `nextCursor` from the first page, then `prevCursor` back from the last one. */
  async function walk(client: Client, query: string) {
    const forward: ListBody[] = [await list(client, query)];
    while (forward.at(-1)!.nextCursor)
      forward.push(await list(client, `${query}&cursor=${forward.at(-1)!.nextCursor}`));
    const backward: ListBody[] = [forward.at(-1)!];
    while (backward.at(-1)!.prevCursor)
      backward.push(await list(client, `${query}&cursor=${backward.at(-1)!.prevCursor}`));
    return { forward, backward };
  }
  const ids = (pages: ListBody[]) => pages.flatMap((p) => p.items.map((e) => e.id));

  it("visits every row exactly once, forward and back, with ties on the creation time", async () => {
    const tied = await buildOrganization(t.services.db, {
      kind: "reseller",
      parent: world.b.master,
      name: "Reseller Tied",
    });
    // 23 enterprises created in the same instant, tied also with Alpha 03, Beta 3 and Gamma 3.
    for (let i = 1; i <= 23; i++)
      await buildEnterprise(t.services.db, {
        reseller: tied,
        name: `Tied ${pad(i)}`,
        status: i % 2 ? "invited" : "active",
        createdAt: new Date(base + 3 * minute),
      });
    for (const [client, query] of [
      [operator, "?pageSize=7"],
      [operator, "?pageSize=1"],
      [operator, "?pageSize=5&q=tied"],
      [operator, "?pageSize=4&status=active"],
      [master, "?pageSize=6"],
      [reseller, "?pageSize=3&q=alpha&status=invited"],
    ] as const) {
      const truth = await list(client, query.replace(/pageSize=\d+/, "pageSize=100"));
      expect(truth.nextCursor).toBeNull();
      const { forward, backward } = await walk(client, query);
      expect(ids(forward)).toEqual(truth.items.map((e) => e.id));
      expect(new Set(ids(forward)).size).toBe(truth.total);
      // Back from the last page: the same pages in reverse, ending on the first page.
      expect(backward.map((p) => p.items)).toEqual(forward.map((p) => p.items).reverse());
      expect(backward.at(-1)!.prevCursor).toBeNull();
    }
  });

  it("counts up to the cap and says when there are more", async () => {
    const bulk = await buildOrganization(t.services.db, {
      kind: "reseller",
      parent: world.b.master,
      name: "Reseller Bulk",
    });
    await t.services.db.insert(schema.enterprises).values(
      Array.from({ length: enterpriseListCountCap + 1 }, (_, i) => ({
        id: `ent_bulk${String(i).padStart(16, "0")}`,
        resellerId: bulk.id,
        masterResellerId: world.b.master.id,
        name: `Bulk ${i}`,
        adminEmail: `ga-${i}@bulk.example.com`,
        createdAt: new Date(base + 100 * minute),
      })),
    );
    const actor = { role: "reseller" as const, organizationId: bulk.id };
    const capped = await listEnterprises(t.services.db, actor, { pageSize: 25 });
    expect(capped).toMatchObject({ total: enterpriseListCountCap, isTotalCapped: true });
    expect(capped.items).toHaveLength(25);
    const exact = await listEnterprises(t.services.db, actor, { pageSize: 25, q: "Bulk 99" });
    expect(exact).toMatchObject({ total: 11, isTotalCapped: false }); // 99, 990-999
  });
});
