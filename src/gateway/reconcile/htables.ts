import type { GatewayEnterprise, GatewayTrunk } from "../../shared/contracts/gateway.ts";
import type { RegionState } from "../state.ts";
import { numbersOf } from "../state.ts";
import { planPbxAddresses } from "./pbx-addresses.ts";
import { pbxProxyUri } from "./registrations.ts";

/*
 * The routing tables Kamailio decides each call from (htables, kept in step over JSON-RPC), so
 * no call needs a callout. Pure: `planHtables` derives them from the region's state, `diffHtables`
 * says which keys to set and delete. Every value is a string. A key absent means "no": an
 * unknown FQDN, an enterprise the region does not serve (disabled), a number of no enabled user.
 * The tables cover the whole region, not only this node's leases: a call may reach any node.
 */

/** The htables, by name (Kamailio's `modparam("htable", "htable", "<name>=>…")`). */
export const htableNames = [
  /** Derived trunk FQDN (lower case) → enterprise id: the tenant of a call from Microsoft. */
  "fqdn",
  /** Enterprise id → "1" while the region serves it (absent: disabled or not here → 403). */
  "ent",
  /** Enterprise id → "1" to pass hold to the PBX (its music), "0" to play the gateway's. */
  "entmoh",
  /** Enterprise id → its derived trunk FQDN in this region: the Contact Microsoft sees. */
  "entfqdn",
  /** E.164 number (default and forwarded DIDs) → user id, enabled users only (absent → 404). */
  "num",
  /** User id → what a call needs of the user, one value (`userValue`). */
  "usr",
  /**
   * Device id → the user behind a registration's Contact (calls from the PBX) and the digest
   * credentials INVITEs to the PBX are answered with, from any node (`deviceValue`).
   */
  "dev",
  /**
   * `<PBX host>|<address>` → "1": the addresses a PBX found by SRV or NAPTR may call from, as
   * the agent last resolved them (`planPbxAddresses`). Absent: the call is refused.
   */
  "pbxip",
] as const;
export type HtableName = (typeof htableNames)[number];

export type Htables = Record<HtableName, Map<string, string>>;
/** What Kamailio holds (or is believed to), possibly only some tables. */
export type ActualHtables = Partial<Record<HtableName, ReadonlyMap<string, string>>>;

/** One change to Kamailio: `htable.sets` or `htable.delete`. */
export type HtableOp =
  | { op: "set"; table: HtableName; key: string; value: string }
  | { op: "delete"; table: HtableName; key: string };

export function emptyHtables(): Htables {
  return Object.fromEntries(htableNames.map((name) => [name, new Map()])) as Htables;
}

/**
 * A user's `usr` value: `enterprise|service|device|target|aor|numbers`, read in the routing
 * script with `{s.select,N,|}`. `device` and `aor` are empty for a trunk user, `target` (the PBX
 * or trunk URI, as `pbxProxyUri`) when its PBX is unknown; `numbers` are its E.164 numbers,
 * comma-separated (caller-ID screening). No field should hold a `|`: ids are the platform's,
 * SIP users and hosts are validated by the API, numbers are E.164. Null if one does all the same:
 * such a user gets no route rather than one read wrong.
 */
export function userValue(fields: {
  enterpriseId: string;
  service: string;
  deviceId: string;
  target: string;
  aor: string;
  numbers: readonly string[];
}): string | null {
  const { enterpriseId, service, deviceId, target, aor, numbers } = fields;
  const values = [enterpriseId, service, deviceId, target, aor, numbers.join(",")];
  return values.some((value) => value.includes("|")) ? null : values.join("|");
}

/**
 * A device's `dev` value: `user|auth id|password`, the two credentials hex-encoded (they may hold
 * any character) and decoded in the routing script with `{s.decode.hexa}`.
 */
export function deviceValue(userId: string, sipAuthId: string, password: string): string {
  const hex = (value: string) => Buffer.from(value, "utf8").toString("hex");
  return `${userId}|${hex(sipAuthId)}|${hex(password)}`;
}

/** The trunk calls to Microsoft name: an active one before one still provisioning, then by priority. */
export function preferredTrunk(enterprise: GatewayEnterprise): GatewayTrunk | undefined {
  return [...enterprise.trunks].sort(
    (a, b) =>
      Number(b.status === "active") - Number(a.status === "active") ||
      a.priority - b.priority ||
      (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0),
  )[0];
}

/**
 * The tables the region's state calls for; `pbxAddresses` are the last known addresses of its
 * SRV and NAPTR PBX hosts, by `lookupKey` (none known: those PBXes' calls are refused).
 */
export function planHtables(
  state: RegionState,
  pbxAddresses: ReadonlyMap<string, readonly string[]> = new Map(),
): Htables {
  const t = emptyHtables();
  t.pbxip = planPbxAddresses(state, pbxAddresses);
  for (const [fqdn, enterpriseId] of state.enterpriseIdByFqdn) t.fqdn.set(fqdn, enterpriseId);
  for (const enterprise of state.enterprises.values()) {
    t.ent.set(enterprise.enterpriseId, "1");
    t.entmoh.set(enterprise.enterpriseId, enterprise.pbxMusicOnHold ? "1" : "0");
    const trunk = preferredTrunk(enterprise);
    if (trunk) t.entfqdn.set(enterprise.enterpriseId, trunk.fqdn.toLowerCase());
  }
  for (const user of state.users.values()) {
    if (!user.enabled) continue;
    const id = user.userId;
    const numbers = numbersOf(user);
    // The state's index settles a number two users claim; follow it.
    for (const number of numbers)
      if (state.userIdByNumber.get(number) === id) t.num.set(number, id);
    const pbx = state.pbxes.get(user.pbxId);
    let aor = "";
    if (user.service === "pbx" && user.sipUser) {
      const sipUser = user.sipUser.includes("@")
        ? user.sipUser
        : `${user.sipUser}@${pbx?.sipDomain ?? ""}`;
      aor = `sip:${sipUser}`;
    }
    const device = user.service === "pbx" ? user.device : null;
    const value = userValue({
      enterpriseId: user.enterpriseId,
      service: user.service,
      deviceId: device?.deviceId ?? "",
      target: pbx ? pbxProxyUri(pbx) : "",
      aor,
      numbers,
    });
    if (value === null) continue;
    t.usr.set(id, value);
    if (device) t.dev.set(device.deviceId, deviceValue(id, device.sipAuthId, device.password));
  }
  return t;
}

/** A copy of the tables (the maps are new, the strings shared). */
export function cloneHtables(tables: ActualHtables): Htables {
  const copy = emptyHtables();
  for (const name of htableNames) for (const [k, v] of tables[name] ?? []) copy[name].set(k, v);
  return copy;
}

/**
 * The operations that turn `actual` into `desired`: sets (new or changed values) first, so a
 * route is in place before an old one goes, then deletes; in table order, then key order.
 * A table missing from `actual` is taken as empty.
 */
export function diffHtables(desired: Htables, actual: ActualHtables): HtableOp[] {
  const sets: HtableOp[] = [];
  const deletes: HtableOp[] = [];
  for (const table of htableNames) {
    const want = desired[table];
    const have = actual[table] ?? new Map<string, string>();
    for (const key of [...want.keys()].sort()) {
      const value = want.get(key)!;
      if (have.get(key) !== value) sets.push({ op: "set", table, key, value });
    }
    for (const key of [...have.keys()].sort())
      if (!want.has(key)) deletes.push({ op: "delete", table, key });
  }
  return [...sets, ...deletes];
}

/** `actual` after the operations (a mirror the applier can keep of what Kamailio holds). */
export function applyHtableOps(actual: ActualHtables, ops: readonly HtableOp[]): Htables {
  const next = emptyHtables();
  for (const table of htableNames) for (const [k, v] of actual[table] ?? []) next[table].set(k, v);
  for (const op of ops) {
    if (op.op === "set") next[op.table].set(op.key, op.value);
    else next[op.table].delete(op.key);
  }
  return next;
}
