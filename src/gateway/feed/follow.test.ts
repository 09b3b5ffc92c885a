import { describe, expect, it } from "vitest";
import type {
  GatewayChange,
  GatewayChanges,
  GatewaySnapshot,
} from "../../shared/contracts/gateway.ts";
import { buildSnapshot, buildUser } from "../gateway.test-support.ts";
import { applyChanges, applySnapshot, type RegionState, toSnapshot } from "../state.ts";
import { createGatewayClient } from "./client.ts";
import { memoryCursorStore } from "./cursor-store.ts";
import { type FeedUpdate, followFeed } from "./follow.ts";

/**
 * A fake gateway API over `fetch`: a snapshot at cursor `100.0` and an event log after it, served
 * two events a page; `fail` answers queued error statuses first; cursors below `floor` get 400.
 */
function fakeApi(initial: GatewaySnapshot = buildSnapshot()) {
  const log: Array<{ seq: number; change: GatewayChange }> = [];
  let seq = 100;
  const api = {
    fail: [] as number[],
    /** Empty pages move the cursor on (the log grew with other regions' events). */
    idleAdvance: false,
    idlePages: 0,
    floor: 0,
    snapshots: 0,
    changeRequests: [] as string[],
    append(change: GatewayChange) {
      log.push({ seq: ++seq, change });
    },
    /** What a fresh snapshot would hold now. */
    current(): GatewaySnapshot {
      let state = applySnapshot(initial).state;
      for (const { seq: at, change } of log)
        state = applyChanges(state, { cursor: `${at}.0`, changes: [change], more: false }).state;
      return toSnapshot(state)!;
    },
    fetch: (async (input: string | URL | Request) => {
      const url = new URL(String(input));
      const status = api.fail.shift();
      if (status)
        return new Response(JSON.stringify({ code: "unavailable", message: "no" }), { status });
      if (url.pathname.endsWith("/gateway/snapshot")) {
        api.snapshots++;
        return Response.json(api.current());
      }
      const after = url.searchParams.get("after")!;
      api.changeRequests.push(after);
      const from = Number(after.split(".")[0]);
      if (from < api.floor)
        return Response.json({ code: "invalid_request", message: "too old" }, { status: 400 });
      const pending = log.filter((e) => e.seq > from);
      const page = pending.slice(0, 2);
      const body: GatewayChanges = {
        cursor:
          page.length > 0
            ? `${page.at(-1)!.seq}.0`
            : api.idleAdvance
              ? `${from}.${++api.idlePages}`
              : after,
        changes: page.map((e) => e.change),
        more: pending.length > 2,
      };
      return Response.json(body);
    }) as typeof fetch,
  };
  return api;
}

function run(
  api: ReturnType<typeof fakeApi>,
  store: ReturnType<typeof memoryCursorStore>,
  until: (update: FeedUpdate) => boolean,
  extra: { sleeps?: number[]; errors?: unknown[]; now?: () => number } = {},
): Promise<{ state: RegionState; updates: FeedUpdate[] }> {
  const controller = new AbortController();
  const updates: FeedUpdate[] = [];
  const sleep = async (ms: number) => {
    extra.sleeps?.push(ms);
  };
  const client = createGatewayClient({
    baseUrl: "http://api.test/api/v1",
    token: "gw.1.s",
    fetch: api.fetch,
    retry: { attempts: 2 },
    sleep,
    random: () => 1,
  });
  // Stop anyway if the loop polls an idle feed too long.
  let idle = 0;
  const guarded = {
    ...client,
    changes: (after: string, wait: number, signal?: AbortSignal) => {
      if (++idle > 50) controller.abort();
      return client.changes(after, wait, signal);
    },
  };
  return followFeed({
    client: guarded,
    store,
    signal: controller.signal,
    sleep,
    random: () => 1,
    ...(extra.now ? { now: extra.now } : {}),
    onError: (error) => extra.errors?.push(error),
    onChanged: (update) => {
      updates.push(update);
      if (until(update)) controller.abort();
    },
  }).then((state) => ({ state, updates }));
}

describe("followFeed", () => {
  it("takes a snapshot without a persisted cursor, then applies the pages and persists each", async () => {
    const api = fakeApi();
    api.append({ kind: "user", userId: "usr_3", user: buildUser({ userId: "usr_3" }) });
    api.append({ kind: "user", userId: "usr_2", user: null });
    api.append({ kind: "user", userId: "usr_1", user: buildUser({ enabled: false }) });
    const store = memoryCursorStore();
    const { state, updates } = await run(api, store, (u) => u.state.cursor === "103.0");
    expect(updates.map((u) => [u.reason, u.affected.userIds])).toEqual([
      ["snapshot", ["usr_1", "usr_3"]],
    ]);
    // The snapshot already reflects every event (its cursor is the log's end here).
    expect(toSnapshot(state)).toEqual(api.current());
    expect(store.saved?.cursor).toBe(state.cursor);
    expect(store.saved?.snapshot).toEqual(toSnapshot(state));
  });

  it("resumes from the persisted cursor after a restart and misses no change", async () => {
    const api = fakeApi();
    const store = memoryCursorStore();
    await run(api, store, (u) => u.reason === "snapshot");
    expect(api.snapshots).toBe(1);

    api.append({ kind: "user", userId: "usr_3", user: buildUser({ userId: "usr_3" }) });
    api.append({ kind: "user", userId: "usr_1", user: buildUser({ phoneNumber: "+3299" }) });
    api.append({ kind: "user", userId: "usr_2", user: null });
    // "Crash" after the first page of two: the third event is not applied yet.
    const first = await run(api, store, (u) => u.reason === "changes");
    expect(first.updates.at(-1)?.affected.userIds).toEqual(["usr_3", "usr_1"]);
    expect(store.saved?.cursor).toBe("102.0");

    // More happens while the node is down.
    api.append({ kind: "user", userId: "usr_4", user: buildUser({ userId: "usr_4" }) });
    const second = await run(api, store, (u) => u.state.cursor === "104.0");
    expect(api.snapshots).toBe(1);
    expect(second.updates.map((u) => u.reason)).toEqual(["resume", "changes"]);
    expect(second.updates[1]!.affected.userIds).toEqual(["usr_2", "usr_4"]);
    expect(api.changeRequests).toContain("102.0");
    expect(toSnapshot(second.state)).toEqual(api.current());
    expect(second.state.userIdByNumber.get("+3299")).toBe("usr_1");
  });

  it("retries a server error with back-off, then carries on", async () => {
    const api = fakeApi();
    const store = memoryCursorStore({ cursor: "100.0", snapshot: buildSnapshot() });
    api.append({ kind: "user", userId: "usr_3", user: buildUser({ userId: "usr_3" }) });
    api.fail.push(503, 503, 500);
    const sleeps: number[] = [];
    const errors: unknown[] = [];
    const { state } = await run(api, store, (u) => u.state.cursor === "101.0", {
      sleeps,
      errors,
    });
    expect(state.users.has("usr_3")).toBe(true);
    // The client retried once (250 ms), gave up; the loop backed off (500 ms); the client again.
    expect(sleeps).toEqual([250, 500, 250]);
    expect(errors).toHaveLength(1);
    expect(api.snapshots).toBe(0);
  });

  it("starts again from a snapshot when the API refuses the persisted cursor (400)", async () => {
    const api = fakeApi();
    api.append({ kind: "user", userId: "usr_3", user: buildUser({ userId: "usr_3" }) });
    api.floor = 101;
    const store = memoryCursorStore({ cursor: "100.0", snapshot: buildSnapshot() });
    const { state, updates } = await run(api, store, (u) => u.reason === "snapshot");
    expect(updates.map((u) => u.reason)).toEqual(["resume", "snapshot"]);
    expect(updates[1]!.affected.userIds).toEqual(["usr_3"]);
    expect(state.cursor).toBe("101.0");
    expect(store.saved?.cursor).toBe("101.0");
  });

  it("persists pages that only move the cursor at most once a minute", async () => {
    const api = fakeApi();
    api.idleAdvance = true;
    const store = memoryCursorStore({ cursor: "100.0", snapshot: buildSnapshot() });
    let clock = 0;
    await run(api, store, () => false, {
      now: () => {
        clock += 1000;
        return clock;
      },
    });
    expect(api.idlePages).toBeGreaterThan(40);
    // Persisted on the first idle page, then about once a minute of the fake clock.
    const persisted = Number(store.saved!.cursor.split(".")[1]);
    expect(persisted).toBeGreaterThan(1);
    expect(persisted).toBeLessThan(api.idlePages);
    expect(store.saved!.snapshot?.cursor).toBe(store.saved!.cursor);
  });

  it("stops with the error when the token is refused (401)", async () => {
    const api = fakeApi();
    api.fail.push(401);
    await expect(run(api, memoryCursorStore(), () => false)).rejects.toMatchObject({
      status: 401,
    });
  });
});
