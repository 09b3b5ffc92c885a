/**
 * The lease on a table of its own, on the test database (PGlite, or PostgreSQL with
 * TEST_DATABASE_URL: there the racing claims run on separate connections at the same time).
 */
import { eq, sql } from "drizzle-orm";
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeTestServices, createTestServices, type TestServices } from "../../../test/harness.ts";
import { acquireLease, type Lease, releaseLease, renewLease, staleBefore } from "./lease.ts";

const things = pgTable("lease_test_things", {
  id: text("id").primaryKey(),
  owner: text("owner"),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
  status: text("status").notNull().default("idle"),
});

const lease: Lease = {
  key: things.id,
  owner: things.owner,
  heartbeat: things.heartbeatAt,
  staleAfterMs: 60_000,
};

let s: TestServices;
let n = 0;
const t0 = new Date("2030-01-01T00:00:00Z");
const later = (ms: number) => new Date(t0.getTime() + ms);

/** A new leasable row, free. */
async function thing(): Promise<string> {
  const id = `thing-${++n}`;
  await s.db.insert(things).values({ id });
  return id;
}

async function row(id: string) {
  const [found] = await s.db.select().from(things).where(eq(things.id, id));
  return found!;
}

beforeAll(async () => {
  s = await createTestServices();
  await s.db.execute(sql`
    CREATE TABLE lease_test_things (
      id text PRIMARY KEY, owner text, heartbeat_at timestamptz, status text NOT NULL DEFAULT 'idle')`);
});
afterAll(() => closeTestServices(s));

describe("lease", () => {
  it("is taken when free, with what the claim sets, and refused to another owner while fresh", async () => {
    const key = await thing();
    expect(
      await acquireLease(s.db, lease, { key, owner: "a", now: t0 }, sql`status = 'running'`),
    ).toBe(true);
    expect(await row(key)).toMatchObject({ owner: "a", heartbeatAt: t0, status: "running" });
    expect(await acquireLease(s.db, lease, { key, owner: "b", now: later(59_000) })).toBe(false);
    expect((await row(key)).owner).toBe("a");
    // Its owner may claim it again (a retried step of the same holder).
    expect(await acquireLease(s.db, lease, { key, owner: "a", now: later(1000) })).toBe(true);
  });

  it("lets exactly one of several owners racing for it win", async () => {
    for (let round = 0; round < 10; round++) {
      const key = await thing();
      const owners = ["a", "b", "c", "d"];
      const won = await Promise.all(
        owners.map((owner) => acquireLease(s.db, lease, { key, owner, now: t0 })),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
      expect((await row(key)).owner).toBe(owners[won.indexOf(true)]);
    }
  });

  it("is taken over once stale, and the old owner can no longer renew or release it", async () => {
    const key = await thing();
    await acquireLease(s.db, lease, { key, owner: "a", now: t0 });
    expect(staleBefore(lease, later(60_001))).toEqual(later(1));
    // Exactly at the limit it is not stale yet; one millisecond later it is.
    expect(await acquireLease(s.db, lease, { key, owner: "b", now: later(60_000) })).toBe(false);
    expect(await acquireLease(s.db, lease, { key, owner: "b", now: later(60_001) })).toBe(true);
    expect(await renewLease(s.db, lease, { key, owner: "a", now: later(60_002) })).toBe(false);
    expect(await releaseLease(s.db, lease, { key, owner: "a" }, sql`status = 'done'`)).toBe(false);
    expect(await row(key)).toMatchObject({
      owner: "b",
      heartbeatAt: later(60_001),
      status: "idle",
    });
  });

  it("renews only for its owner, which keeps it from going stale", async () => {
    const key = await thing();
    await acquireLease(s.db, lease, { key, owner: "a", now: t0 });
    expect(await renewLease(s.db, lease, { key, owner: "b", now: later(50_000) })).toBe(false);
    expect(await renewLease(s.db, lease, { key, owner: "a", now: later(50_000) })).toBe(true);
    expect((await row(key)).heartbeatAt).toEqual(later(50_000));
    expect(await acquireLease(s.db, lease, { key, owner: "b", now: later(100_000) })).toBe(false);
  });

  it("is released by its owner only, with the outcome written in the same statement", async () => {
    const key = await thing();
    await acquireLease(s.db, lease, { key, owner: "a", now: t0 });
    expect(await releaseLease(s.db, lease, { key, owner: "b" })).toBe(false);
    expect(await releaseLease(s.db, lease, { key, owner: "a" }, sql`status = 'done'`)).toBe(true);
    expect(await row(key)).toMatchObject({ owner: null, heartbeatAt: null, status: "done" });
    expect(await renewLease(s.db, lease, { key, owner: "a", now: later(1) })).toBe(false);
    expect(await acquireLease(s.db, lease, { key, owner: "b", now: later(2) })).toBe(true);
  });

  it("cannot lease a row that does not exist", async () => {
    expect(await acquireLease(s.db, lease, { key: "missing", owner: "a", now: t0 })).toBe(false);
  });
});
