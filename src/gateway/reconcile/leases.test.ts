import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyLeaseAnswer,
  type HeldLease,
  planLeases,
  usableLeases,
  withoutLeases,
} from "./leases.ts";

const now = 1_000_000;
const period = 30;
const lease = (deviceId: string, secondsLeft: number): HeldLease => ({
  deviceId,
  expiresAt: now + secondsLeft * 1000,
});

describe("planLeases", () => {
  it("asks for the wanted devices it lacks, within the cap", () => {
    expect(
      planLeases({
        wanted: ["d3", "d1", "d2"],
        held: [lease("d1", 29)],
        now,
        periodSeconds: period,
        cap: 2,
      }),
    ).toEqual({
      acquire: { deviceIds: ["d2", "d3"], max: 1 },
      renew: [],
      release: [],
      expired: [],
    });
  });

  it("lets the server pick when more than a batch is missing", () => {
    const wanted = Array.from({ length: 1500 }, (_, i) => `d${i}`);
    expect(planLeases({ wanted, held: [], now, periodSeconds: period, cap: 5000 }).acquire).toEqual(
      {
        max: 1000,
      },
    );
  });

  it("renews once a third of the period has passed, well before two thirds", () => {
    const plan = planLeases({
      wanted: ["a", "b", "c"],
      held: [lease("a", 25), lease("b", 20), lease("c", 5)],
      now,
      periodSeconds: period,
      cap: 10,
    });
    expect(plan.renew).toEqual(["b", "c"]);
    expect(plan.acquire).toBeNull();
  });

  it("releases devices no longer wanted and those beyond the cap; drops expired ones", () => {
    const plan = planLeases({
      wanted: ["a", "b", "c", "x"],
      held: [lease("a", 29), lease("b", 29), lease("c", 29), lease("gone", 29), lease("x", 0)],
      now,
      periodSeconds: period,
      cap: 2,
    });
    expect(plan).toEqual({ acquire: null, renew: [], release: ["c", "gone"], expired: ["x"] });
  });

  it("never holds more than the cap, never asks for what it holds, never keeps an unwanted device", () => {
    const ids = fc.constantFrom(...Array.from({ length: 20 }, (_, i) => `d${i}`));
    fc.assert(
      fc.property(
        fc.uniqueArray(ids),
        fc.uniqueArray(fc.record({ deviceId: ids, left: fc.integer({ min: -5, max: 30 }) }), {
          selector: (l) => l.deviceId,
        }),
        fc.integer({ min: 0, max: 25 }),
        (wanted, heldSpec, cap) => {
          const held = heldSpec.map((l) => lease(l.deviceId, l.left));
          const plan = planLeases({ wanted, held, now, periodSeconds: period, cap });
          const kept = withoutLeases(held, [...plan.release, ...plan.expired]);
          expect(kept.length).toBeLessThanOrEqual(cap);
          for (const l of kept) expect(wanted).toContain(l.deviceId);
          for (const id of plan.renew) expect(kept.map((l) => l.deviceId)).toContain(id);
          if (plan.acquire) {
            expect(kept.length + plan.acquire.max).toBeLessThanOrEqual(cap);
            for (const id of plan.acquire.deviceIds ?? []) {
              expect(wanted).toContain(id);
              expect(kept.map((l) => l.deviceId)).not.toContain(id);
            }
          }
        },
      ),
    );
  });
});

describe("lease answers", () => {
  it("dates granted leases from when the request left, on our clock, and drops the lost", () => {
    const held = [lease("a", 5), lease("b", 5)];
    const next = applyLeaseAnswer(
      held,
      {
        leases: [
          { deviceId: "a", expiresAt: "2099-01-01T00:00:00Z" },
          { deviceId: "c", expiresAt: "x" },
        ],
        lost: ["b"],
        leasePeriodSeconds: 30,
      },
      now,
    );
    expect(next).toEqual([lease("a", 30), lease("c", 30)]);
  });

  it("registers only leases with time left beyond the margin", () => {
    expect(usableLeases([lease("a", 10), lease("b", 1), lease("c", 0)], now, 2000)).toEqual(
      new Set(["a"]),
    );
  });
});
