import { isDeepStrictEqual } from "node:util";
import type {
  GatewayChanges,
  GatewayEnterprise,
  GatewayPbx,
  GatewaySnapshot,
  GatewayUser,
} from "../shared/contracts/gateway.ts";

/*
 * The region's desired state, in memory, from the gateway feed only (ADR 0019): the current
 * objects and the indexes the reconcilers and Kamailio's htables need. No history is kept: a
 * change replaces the object (or removes it when null), so memory is bounded by the region's
 * size. Every function here is pure: it returns a new state and never touches its input.
 */

/** The region as the node knows it at `cursor`. */
export interface RegionState {
  /** The feed position this state reflects; null before the first snapshot. */
  readonly cursor: string | null;
  readonly regionId: string | null;
  readonly nodeId: string | null;
  readonly enterprises: ReadonlyMap<string, GatewayEnterprise>;
  /** Derived trunk FQDN (lower case) → enterprise id. */
  readonly enterpriseIdByFqdn: ReadonlyMap<string, string>;
  readonly pbxes: ReadonlyMap<string, GatewayPbx>;
  readonly users: ReadonlyMap<string, GatewayUser>;
  /** E.164 number (default DID and forwarded DIDs) → user id. */
  readonly userIdByNumber: ReadonlyMap<string, string>;
  /** Device id → user id (PBX users with a device). */
  readonly userIdByDevice: ReadonlyMap<string, string>;
}

/** The ids a snapshot or a change page touched; `deviceIds` includes devices that went away. */
export interface Affected {
  enterpriseIds: string[];
  pbxIds: string[];
  userIds: string[];
  deviceIds: string[];
}

export interface StateUpdate {
  state: RegionState;
  affected: Affected;
}

/** A state holding nothing, before the first snapshot. */
export function emptyState(): RegionState {
  return {
    cursor: null,
    regionId: null,
    nodeId: null,
    enterprises: new Map(),
    enterpriseIdByFqdn: new Map(),
    pbxes: new Map(),
    users: new Map(),
    userIdByNumber: new Map(),
    userIdByDevice: new Map(),
  };
}

/** True when nothing was touched. */
export function isUnaffected(affected: Affected): boolean {
  return (
    affected.enterpriseIds.length === 0 &&
    affected.pbxIds.length === 0 &&
    affected.userIds.length === 0 &&
    affected.deviceIds.length === 0
  );
}

/** The E.164 numbers a user answers on (and may call from): its default DID, then the others. */
export function numbersOf(user: GatewayUser): string[] {
  return [...new Set([user.phoneNumber, ...user.forwardedDids])].filter((n) => n !== "");
}

const fqdnKey = (fqdn: string) => fqdn.toLowerCase();

function indexEnterprise(
  index: Map<string, string>,
  id: string,
  old: GatewayEnterprise | undefined,
  next: GatewayEnterprise | null,
): void {
  for (const trunk of old?.trunks ?? [])
    if (index.get(fqdnKey(trunk.fqdn)) === id) index.delete(fqdnKey(trunk.fqdn));
  for (const trunk of next?.trunks ?? []) index.set(fqdnKey(trunk.fqdn), id);
}

function indexUser(
  byNumber: Map<string, string>,
  byDevice: Map<string, string>,
  id: string,
  old: GatewayUser | undefined,
  next: GatewayUser | null,
): void {
  if (old) {
    for (const number of numbersOf(old)) if (byNumber.get(number) === id) byNumber.delete(number);
    if (old.device && byDevice.get(old.device.deviceId) === id)
      byDevice.delete(old.device.deviceId);
  }
  if (next) {
    for (const number of numbersOf(next)) byNumber.set(number, id);
    if (next.device) byDevice.set(next.device.deviceId, id);
  }
}

/** What differs between two maps of objects: ids added, removed or changed. */
function changedIds<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>): string[] {
  const ids = new Set<string>();
  for (const [id, value] of after) if (!isDeepStrictEqual(before.get(id), value)) ids.add(id);
  for (const id of before.keys()) if (!after.has(id)) ids.add(id);
  return [...ids].sort();
}

function devicesOf(users: Iterable<GatewayUser | undefined>): string[] {
  const ids = new Set<string>();
  for (const user of users) if (user?.device) ids.add(user.device.deviceId);
  return [...ids];
}

/**
 * The state a snapshot describes, replacing everything before it; `affected` lists what differs
 * from `previous` (all of it for a first snapshot), so a periodic re-read touches only drift.
 */
export function applySnapshot(
  snapshot: GatewaySnapshot,
  previous: RegionState = emptyState(),
): StateUpdate {
  const enterprises = new Map<string, GatewayEnterprise>();
  const enterpriseIdByFqdn = new Map<string, string>();
  for (const enterprise of snapshot.enterprises) {
    enterprises.set(enterprise.enterpriseId, enterprise);
    indexEnterprise(enterpriseIdByFqdn, enterprise.enterpriseId, undefined, enterprise);
  }
  const pbxes = new Map(snapshot.pbxes.map((pbx) => [pbx.pbxId, pbx]));
  const users = new Map<string, GatewayUser>();
  const userIdByNumber = new Map<string, string>();
  const userIdByDevice = new Map<string, string>();
  for (const user of snapshot.users) {
    users.set(user.userId, user);
    indexUser(userIdByNumber, userIdByDevice, user.userId, undefined, user);
  }
  const state: RegionState = {
    cursor: snapshot.cursor,
    regionId: snapshot.regionId,
    nodeId: snapshot.nodeId,
    enterprises,
    enterpriseIdByFqdn,
    pbxes,
    users,
    userIdByNumber,
    userIdByDevice,
  };
  const userIds = changedIds(previous.users, users);
  const deviceIds = new Set(
    devicesOf(userIds.flatMap((id) => [previous.users.get(id), users.get(id)])),
  );
  return {
    state,
    affected: {
      enterpriseIds: changedIds(previous.enterprises, enterprises),
      pbxIds: changedIds(previous.pbxes, pbxes),
      userIds,
      deviceIds: [...deviceIds].sort(),
    },
  };
}

/**
 * The state after one page of changes: each object is replaced by its current state, or removed
 * when null. The cursor moves to the page's even when it carries no change.
 */
export function applyChanges(state: RegionState, page: GatewayChanges): StateUpdate {
  const affected: Affected = { enterpriseIds: [], pbxIds: [], userIds: [], deviceIds: [] };
  const touches = (kind: string) => page.changes.some((change) => change.kind === kind);
  // Copy on write: only the maps of the kinds this page touches are copied.
  const withEnterprises = touches("enterprise");
  const withPbxes = touches("pbx");
  const withUsers = touches("user");
  const enterprises = new Map(withEnterprises ? state.enterprises : []);
  const enterpriseIdByFqdn = new Map(withEnterprises ? state.enterpriseIdByFqdn : []);
  const pbxes = new Map(withPbxes ? state.pbxes : []);
  const users = new Map(withUsers ? state.users : []);
  const userIdByNumber = new Map(withUsers ? state.userIdByNumber : []);
  const userIdByDevice = new Map(withUsers ? state.userIdByDevice : []);
  const deviceIds = new Set<string>();

  for (const change of page.changes) {
    if (change.kind === "enterprise") {
      const old = enterprises.get(change.enterpriseId);
      indexEnterprise(enterpriseIdByFqdn, change.enterpriseId, old, change.enterprise);
      if (change.enterprise) enterprises.set(change.enterpriseId, change.enterprise);
      else enterprises.delete(change.enterpriseId);
      affected.enterpriseIds.push(change.enterpriseId);
    } else if (change.kind === "pbx") {
      if (change.pbx) pbxes.set(change.pbxId, change.pbx);
      else pbxes.delete(change.pbxId);
      affected.pbxIds.push(change.pbxId);
    } else {
      const old = users.get(change.userId);
      indexUser(userIdByNumber, userIdByDevice, change.userId, old, change.user);
      if (change.user) users.set(change.userId, change.user);
      else users.delete(change.userId);
      affected.userIds.push(change.userId);
      if (old?.device) deviceIds.add(old.device.deviceId);
      if (change.user?.device) deviceIds.add(change.user.device.deviceId);
    }
  }
  affected.deviceIds = [...deviceIds];
  return {
    state: {
      ...state,
      cursor: page.cursor,
      ...(withEnterprises ? { enterprises, enterpriseIdByFqdn } : {}),
      ...(withPbxes ? { pbxes } : {}),
      ...(withUsers ? { users, userIdByNumber, userIdByDevice } : {}),
    },
    affected,
  };
}

/** The state as a snapshot at its cursor (what the cursor store persists to resume from). */
export function toSnapshot(state: RegionState): GatewaySnapshot | null {
  if (state.cursor === null || state.regionId === null || state.nodeId === null) return null;
  return {
    cursor: state.cursor,
    regionId: state.regionId,
    nodeId: state.nodeId,
    enterprises: [...state.enterprises.values()],
    pbxes: [...state.pbxes.values()],
    users: [...state.users.values()],
  };
}

/** The PBX a user registers to and is reached through, when the state holds it. */
export function pbxOf(state: RegionState, user: GatewayUser): GatewayPbx | null {
  return state.pbxes.get(user.pbxId) ?? null;
}
