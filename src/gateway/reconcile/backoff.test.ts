import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffWaitMs, defaultBackoff, RegistrationBackoff } from "./backoff.ts";

const at = (ms: number) => new Date(ms);
const RETRY_MS = 30_000;

describe("backoffWaitMs", () => {
  it("follows RFC 5626: between half and all of min(max-time, base-time × 2^failures)", () => {
    expect(backoffWaitMs(1, defaultBackoff, 0)).toBe(30_000);
    expect(backoffWaitMs(1, defaultBackoff, 0.999_999)).toBe(60_000);
    expect(backoffWaitMs(3, defaultBackoff, 0.5)).toBe(180_000);
    expect(backoffWaitMs(6, defaultBackoff, 0.5)).toBe(1_350_000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (failures, random) => {
          const wait = backoffWaitMs(failures, defaultBackoff, random);
          const upper = Math.min(1800, 30 * 2 ** failures) * 1000;
          return wait >= upper / 2 && wait <= upper && Number.isFinite(wait);
        },
      ),
    );
  });

  it("never waits less after more failures (for the same draw)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (n, r) => {
          return backoffWaitMs(n + 1, defaultBackoff, r) >= backoffWaitMs(n, defaultBackoff, r);
        },
      ),
    );
  });
});

describe("RegistrationBackoff", () => {
  it("disables a device when it fails, enables it after its wait, longer after each failure", () => {
    const backoff = new RegistrationBackoff(defaultBackoff, () => 0);
    let now = 1_000_000;
    // uac failed it: its next try would be in 30 s
    expect(
      backoff.plan([{ lUuid: "d1", state: "failed", nextActionAt: at(now + RETRY_MS) }], now),
    ).toEqual({
      disable: ["d1"],
      enable: [],
    });
    // disabled: waits 30 s (half of 60 s with this draw), the same failure never counted twice
    now += 29_000;
    expect(backoff.plan([{ lUuid: "d1", state: "disabled", nextActionAt: at(now) }], now)).toEqual({
      disable: [],
      enable: [],
    });
    now += 1_000;
    expect(
      backoff.plan([{ lUuid: "d1", state: "disabled", nextActionAt: at(now) }], now).enable,
    ).toEqual(["d1"]);
    // enabled (uac sets its next action to now + 1 s): reads failed until uac's timer tries it
    expect(
      backoff.plan([{ lUuid: "d1", state: "failed", nextActionAt: at(now + 1_000) }], now + 500),
    ).toEqual({
      disable: [],
      enable: [],
    });
    // tried and failed again: the second wait is 60 s
    now += 3_000;
    expect(
      backoff.plan([{ lUuid: "d1", state: "failed", nextActionAt: at(now + RETRY_MS) }], now)
        .disable,
    ).toEqual(["d1"]);
    expect(backoff.waiting().get("d1")).toBe(now + 60_000);
  });

  it("starts over once the device registers, or when it is forgotten (added or replaced)", () => {
    const backoff = new RegistrationBackoff(defaultBackoff, () => 0);
    const fail = (now: number) =>
      backoff.plan([{ lUuid: "d1", state: "failed", nextActionAt: at(now + RETRY_MS) }], now);
    fail(0);
    backoff.plan([{ lUuid: "d1", state: "registered", nextActionAt: at(300_000) }], 40_000);
    fail(50_000);
    expect(backoff.waiting().get("d1")).toBe(50_000 + 30_000);
    backoff.forget("d1");
    expect(backoff.waiting().size).toBe(0);
    fail(60_000);
    expect(backoff.waiting().get("d1")).toBe(60_000 + 30_000);
  });

  it("enables at once a record disabled by no one it knows, and forgets removed records", () => {
    const backoff = new RegistrationBackoff(defaultBackoff, () => 0);
    expect(
      backoff.plan([{ lUuid: "d9", state: "disabled", nextActionAt: null }], 0).enable,
    ).toEqual(["d9"]);
    backoff.plan([{ lUuid: "d1", state: "failed", nextActionAt: at(RETRY_MS) }], 0);
    backoff.plan([], 1_000);
    expect(backoff.waiting().size).toBe(0);
  });

  it("spreads the retries of many devices failing at once (a PBX down) over the wait's second half", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const backoff = new RegistrationBackoff(defaultBackoff, random);
    const records = Array.from({ length: 1000 }, (_, i) => ({
      lUuid: `d${i}`,
      state: "failed",
      nextActionAt: at(RETRY_MS),
    }));
    expect(backoff.plan(records, 0).disable).toHaveLength(1000);
    const seconds = new Set([...backoff.waiting().values()].map((ms) => Math.floor(ms / 1000)));
    // 30 to 60 s: more than 25 distinct seconds, none outside
    expect(seconds.size).toBeGreaterThan(25);
    expect(Math.min(...seconds)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...seconds)).toBeLessThanOrEqual(60);
  });
});
