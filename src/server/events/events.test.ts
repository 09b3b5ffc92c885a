/**
 * The event log: typed appends in the writer's transaction, and a cursor that a follower reads
 * without missing or repeating an event, even when transactions commit out of id order. On
 * PostgreSQL the writers really interleave; PGlite has one connection, so its transactions never
 * do and the same reads must simply see every event once.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeTestServices, createTestServices, type TestServices } from "../../../test/harness.ts";
import type { Who } from "../authz/actor.ts";
import { contextOf, inTransaction } from "../context.ts";
import { redact } from "./append-event.ts";
import { beginning, type EventCursor, readEvents, type StoredEvent } from "./read-events.ts";

let s: TestServices;
const system: Who = { actor: null, label: "system", clientAddress: null };

beforeAll(async () => {
  s = await createTestServices();
});
afterAll(() => closeTestServices(s));

let n = 0;
/** Emits one `region.created` event with a unique subject, in its own transaction. */
async function emitOne(enterpriseId: string | null = null): Promise<string> {
  const id = `subject-${process.pid}-${++n}`;
  await inTransaction(s, system, (ctx) =>
    ctx.emit("region.created", {
      subject: { type: "region", id, label: id },
      path: { enterpriseId },
      payload: { after: { name: id } },
    }),
  );
  return id;
}

/** Follows the log from `cursor` to its end, in pages of `limit`. */
async function follow(cursor: EventCursor, limit = 3) {
  const seen: StoredEvent[] = [];
  for (;;) {
    const page = await readEvents(s.db, cursor, {}, limit);
    seen.push(...page.events);
    if (page.cursor === cursor) return { seen, cursor };
    cursor = page.cursor;
  }
}

/** The cursor at the end of the log as it is now. */
async function endOfLog(): Promise<EventCursor> {
  return (await follow(beginning, 1000)).cursor;
}

describe("Appending events", () => {
  it("writes the event with its actor, subject, path and checked payload in the transaction", async () => {
    const start = await endOfLog();
    const id = await emitOne("ent_1");
    const { seen } = await follow(start);
    expect(seen).toEqual([
      expect.objectContaining({
        name: "region.created",
        actor: { accountId: null, label: "system" },
        subject: { type: "region", id, label: id },
        path: { masterResellerId: null, resellerId: null, enterpriseId: "ent_1" },
        payload: { after: { name: id } },
      }),
    ]);
  });

  it("rolls the change back with its events when the transaction fails", async () => {
    const start = await endOfLog();
    await expect(
      inTransaction(s, system, async (ctx) => {
        await ctx.emit("enterprise.user_sync_requested", {
          subject: { type: "enterprise", id: "ent_rollback" },
          path: {},
          payload: {},
        });
        throw new Error("later step failed");
      }),
    ).rejects.toThrow("later step failed");
    expect((await follow(start)).seen).toEqual([]);
  });

  it("refuses a payload that does not match its catalogue schema, as a programming error", async () => {
    await expect(
      inTransaction(s, system, (ctx) =>
        ctx.emit("enterprise.disabled", {
          subject: { type: "enterprise", id: "ent_x" },
          path: {},
          payload: { before: { status: "active" } } as never,
        }),
      ),
    ).rejects.toThrow(/enterprise.disabled does not match its catalogue schema/);
  });

  it("never stores a secret: secret-looking values go, flags about them stay", () => {
    expect(
      redact({
        after: {
          name: "A",
          password: "hunter2",
          passwordHash: "$argon2id$…",
          sealedToken: "v1.x",
          mustChangePassword: true,
          at: new Date("2026-01-02T03:04:05Z"),
          nested: [{ clientSecret: "s", kept: 1 }],
        },
      }),
    ).toEqual({
      after: {
        name: "A",
        mustChangePassword: true,
        at: "2026-01-02T03:04:05.000Z",
        nested: [{ kept: 1 }],
      },
    });
  });
});

describe("Reading events by cursor", () => {
  it("pages through the log in order, each event once, and stays at the end", async () => {
    const start = await endOfLog();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await emitOne());
    const { seen, cursor } = await follow(start, 3);
    expect(seen.map((e) => e.subject.id)).toEqual(ids);
    expect((await readEvents(s.db, cursor)).events).toEqual([]);
  });

  it("filters by name and subtree, and moves a filtered reader past what it skipped", async () => {
    const start = await endOfLog();
    await emitOne("ent_a");
    const wanted = await emitOne("ent_b");
    await emitOne("ent_a");
    const page = await readEvents(s.db, start, { enterpriseId: "ent_b" });
    expect(page.events.map((e) => e.subject.id)).toEqual([wanted]);
    expect((await readEvents(s.db, page.cursor, { enterpriseId: "ent_b" })).events).toEqual([]);
    // The cursor reached the horizon: nothing before it is scanned again.
    expect(page.cursor).not.toBe(page.events[0]!.cursor);
    const byName = await readEvents(s.db, start, { names: ["enterprise.user_sync_requested"] });
    expect(byName.events).toEqual([]);
  });

  it("refuses a malformed cursor", async () => {
    await expect(readEvents(s.db, "12")).rejects.toThrow(/Not an event cursor/);
    await expect(readEvents(s.db, "1.2; drop table events")).rejects.toThrow();
  });

  it.skipIf(process.env.TEST_DATABASE_URL === undefined)(
    "does not skip an event whose transaction commits after a later one's (PostgreSQL)",
    async () => {
      const start = await endOfLog();
      let releaseFirst!: () => void;
      const firstMayCommit = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstEmitted!: () => void;
      const emitted = new Promise<void>((resolve) => {
        firstEmitted = resolve;
      });
      // The first transaction takes the lower id and commits last.
      const first = s.db.transaction(async (tx) => {
        await contextOf(s, tx, system).emit("region.created", {
          subject: { type: "region", id: "late-commit" },
          path: {},
          payload: { after: { name: "late" } },
        });
        firstEmitted();
        await firstMayCommit;
      });
      await emitted;
      await emitOne();
      // The second is committed, but the first is still running: nothing is handed out yet.
      const during = await readEvents(s.db, start);
      expect(during.events).toEqual([]);
      releaseFirst();
      await first;
      const after = await follow(start);
      expect(after.seen.map((e) => e.subject.id)).toHaveLength(2);
      expect(after.seen.map((e) => e.subject.id)).toContain("late-commit");
    },
  );

  it("hands every committed event exactly once to a follower reading while writers commit out of order", async () => {
    const start = await endOfLog();
    const written: string[] = [];
    const writers = Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; i < 8; i++) {
        const id = `w${w}-${i}-${process.pid}`;
        await s.db.transaction(async (tx) => {
          await contextOf(s, tx, system).emit("region.created", {
            subject: { type: "region", id },
            path: {},
            payload: { after: { name: id } },
          });
          // Hold the transaction open for a while, so commits interleave with later inserts.
          await tx.execute(sql`SELECT pg_sleep(${(((w * 7 + i * 3) % 5) + 1) / 1000})`);
        });
        written.push(id);
      }
    });
    const seen: string[] = [];
    let cursor = start;
    let writing = true;
    const all = Promise.all(writers).finally(() => {
      writing = false;
    });
    while (writing) {
      const page = await readEvents(s.db, cursor, {}, 4);
      seen.push(...page.events.map((e) => e.subject.id));
      cursor = page.cursor;
    }
    await all;
    seen.push(...(await follow(cursor, 4)).seen.map((e) => e.subject.id));
    expect(seen).toHaveLength(written.length);
    expect(new Set(seen)).toEqual(new Set(written));
  });
});
