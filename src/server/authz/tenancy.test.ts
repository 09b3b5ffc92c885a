/**
 * The tenancy kernel on the events table, on the database: for every kind of actor, the rows
 * `subtreeFilter` selects are exactly those whose position `isInSubtree` accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeTestServices, createTestServices, type TestServices } from "../../../test/harness.ts";
import { events } from "../db/schema/index.ts";
import type { Actor } from "./actor.ts";
import {
  enterprisePosition,
  isInSubtree,
  organizationPosition,
  subtreeFilter,
  type TreePosition,
} from "./tenancy.ts";

let s: TestServices;
beforeAll(async () => {
  s = await createTestServices();
});
afterAll(() => closeTestServices(s));

const masters = ["org_m1", "org_m2"];
const resellers = [
  { id: "org_r1", kind: "reseller", masterResellerId: "org_m1" },
  { id: "org_r2", kind: "reseller", masterResellerId: "org_m1" },
  { id: "org_r3", kind: "reseller", masterResellerId: "org_m2" },
];
const enterprises = resellers.flatMap((r, i) => [
  { id: `ent_${i}a`, resellerId: r.id, masterResellerId: r.masterResellerId },
  { id: `ent_${i}b`, resellerId: r.id, masterResellerId: r.masterResellerId },
]);
const positions: TreePosition[] = [
  ...masters.map((id) =>
    organizationPosition({ id, kind: "master_reseller", masterResellerId: null }),
  ),
  ...resellers.map(organizationPosition),
  ...enterprises.map(enterprisePosition),
];

const portal = (role: Actor["role"], organizationId: string) =>
  ({ kind: "portal", role, organizationId }) as Actor;
const actors: Actor[] = [
  portal("operator", "org_op"),
  ...masters.map((id) => portal("master_reseller", id)),
  ...resellers.map((r) => portal("reseller", r.id)),
  ...enterprises.map(
    (e) => ({ kind: "enterprise_admin", role: "enterprise_admin", enterpriseId: e.id }) as Actor,
  ),
];

describe("The tenancy kernel", () => {
  it("places organizations and enterprises in the tree", () => {
    expect(
      organizationPosition({ id: "org_m1", kind: "master_reseller", masterResellerId: null }),
    ).toEqual({
      organizationId: "org_m1",
      masterResellerId: "org_m1",
      resellerId: null,
    });
    expect(enterprisePosition(enterprises[0]!)).toEqual({
      organizationId: "org_r1",
      masterResellerId: "org_m1",
      resellerId: "org_r1",
      enterpriseId: "ent_0a",
    });
  });

  it("selects in SQL exactly the positions it accepts in memory, for every actor", async () => {
    const ids = positions.map((_, i) => `tenancy-${process.pid}-${i}`);
    await s.db.insert(events).values(
      positions.map((p, i) => ({
        name: "region.created",
        actorLabel: "test",
        subjectType: "test",
        subjectId: ids[i]!,
        masterResellerId: p.masterResellerId,
        resellerId: p.resellerId,
        enterpriseId: p.enterpriseId ?? null,
        payload: {},
      })),
    );
    for (const actor of actors) {
      const rows = await s.db
        .select({ id: events.subjectId })
        .from(events)
        .where(subtreeFilter(actor, events));
      const selected = new Set(rows.map((r) => r.id).filter((id) => ids.includes(id)));
      const accepted = new Set(ids.filter((_, i) => isInSubtree(actor, positions[i]!)));
      expect(selected, `${actor.role}`).toEqual(accepted);
      if (actor.role !== "operator") expect(accepted.size).toBeLessThan(ids.length);
    }
  });
});
