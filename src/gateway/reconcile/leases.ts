import { type LeasesResponse, maxGatewayBatch } from "../../shared/contracts/gateway.ts";

/*
 * The lease keeper's decisions (ADR 0019): exactly one node registers a device, the one holding
 * its lease. Pure: given the devices the region wants registered, the leases held and the time,
 * say what to acquire, renew and release. Expiry times are the node's own clock (request sent +
 * lease period), never the server's, so clock skew cannot make a node think it still holds a
 * lease the server already considers free.
 */

/** A lease this node holds; `expiresAt` in ms on the node's clock. */
export interface HeldLease {
  deviceId: string;
  expiresAt: number;
}

export interface LeasePlanInput {
  /** The region's devices that should be registered by some node (`registrableDevices`). */
  wanted: Iterable<string>;
  held: readonly HeldLease[];
  /** Now, ms on the node's clock. */
  now: number;
  /** The server's lease period (`leasePeriodSeconds`). */
  periodSeconds: number;
  /** The most devices this node registers. */
  cap: number;
  /** Renew once this fraction of the period has passed (default 1/3: well before 2/3). */
  renewAfter?: number;
}

export interface LeasePlan {
  /**
   * Ask for more (null: do not): `max` leases, among `deviceIds` when given (the wanted devices
   * not held, when at most a batch), else any free device of the region (the server picks).
   */
  acquire: { deviceIds?: string[]; max: number } | null;
  /** Held, wanted, and past the renewal point. */
  renew: string[];
  /** Held but no longer wanted (device gone or disabled), or beyond the cap: remove their
   * registrations first, then release. */
  release: string[];
  /** Held no more (expired on our clock): stop registering them now; they may be re-acquired. */
  expired: string[];
}

/** Decides the next lease round; every list is sorted. */
export function planLeases(input: LeasePlanInput): LeasePlan {
  const wanted = new Set(input.wanted);
  const periodMs = input.periodSeconds * 1000;
  const renewBelowMs = periodMs * (1 - (input.renewAfter ?? 1 / 3));
  const byId = (a: HeldLease, b: HeldLease) =>
    a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0;
  const held = [...input.held].sort(byId);

  const expired = held.filter((l) => l.expiresAt <= input.now).map((l) => l.deviceId);
  const live = held.filter((l) => l.expiresAt > input.now);
  const release = live.filter((l) => !wanted.has(l.deviceId)).map((l) => l.deviceId);
  const keep = live.filter((l) => wanted.has(l.deviceId));
  const cap = Math.max(0, input.cap);
  // Beyond the cap (it was lowered): give back the last ones, deterministically.
  for (const lease of keep.splice(cap)) release.push(lease.deviceId);
  release.sort();

  const renew = keep.filter((l) => l.expiresAt - input.now <= renewBelowMs).map((l) => l.deviceId);

  const holding = new Set(keep.map((l) => l.deviceId));
  const missing = [...wanted].filter((id) => !holding.has(id)).sort();
  const room = Math.min(cap - keep.length, missing.length, maxGatewayBatch);
  const acquire =
    room <= 0
      ? null
      : missing.length <= maxGatewayBatch
        ? { deviceIds: missing, max: room }
        : { max: room };
  return { acquire, renew, release, expired };
}

/** The device ids whose lease is held for at least `marginMs` more: the ones to register. */
export function usableLeases(held: readonly HeldLease[], now: number, marginMs = 0): Set<string> {
  return new Set(held.filter((l) => l.expiresAt - now > marginMs).map((l) => l.deviceId));
}

/**
 * The leases held after an answer to acquire or renew sent at `sentAt`: granted ones expire one
 * period after the request left (our clock), `lost` ones are dropped.
 */
export function applyLeaseAnswer(
  held: readonly HeldLease[],
  answer: LeasesResponse,
  sentAt: number,
): HeldLease[] {
  const next = new Map(held.map((l) => [l.deviceId, l]));
  for (const id of answer.lost) next.delete(id);
  const expiresAt = sentAt + answer.leasePeriodSeconds * 1000;
  for (const lease of answer.leases)
    next.set(lease.deviceId, { deviceId: lease.deviceId, expiresAt });
  return [...next.values()].sort((a, b) =>
    a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0,
  );
}

/** The leases held after releasing (or losing by expiry) `deviceIds`, whatever the answer said. */
export function withoutLeases(
  held: readonly HeldLease[],
  deviceIds: Iterable<string>,
): HeldLease[] {
  const gone = new Set(deviceIds);
  return held.filter((l) => !gone.has(l.deviceId));
}
