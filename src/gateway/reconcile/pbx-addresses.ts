import { isIP } from "node:net";
import type { GatewayPbx } from "../../shared/contracts/gateway.ts";
import type { RegionState } from "../state.ts";
import { pbxProxyUri } from "./registrations.ts";

/*
 * The addresses a PBX found by SRV or NAPTR may call from (ADR 0023): which DNS names the agent
 * resolves (RFC 3263), how long an answer is trusted, and the `pbxip` htable that Kamailio
 * checks a call from the PBX against. Pure: the lookups themselves are in `dns/pbx-resolver.ts`.
 */

/** A PBX host Kamailio resolves by SRV (of one transport) or NAPTR, as the planner names it. */
export interface PbxLookup {
  /** The host of the PBX's proxy URI, lower case: the `pbxip` key's first part. */
  host: string;
  kind: "SRV" | "NAPTR";
  transport: GatewayPbx["transport"];
}

/** The seconds an answer is kept before it is looked up again: its shortest TTL, within bounds. */
export const refreshBounds = { minSeconds: 30, maxSeconds: 300 } as const;

/** The host and port of a `sip:`/`sips:` URI as `pbxProxyUri` writes it (port null when none). */
export function uriHostPort(uri: string): { host: string; port: number | null } | null {
  const match = /^sips?:(\[[^\]]+\]|[^:;]+)(?::(\d+))?/i.exec(uri);
  if (!match) return null;
  return { host: match[1]!.toLowerCase(), port: match[2] ? Number(match[2]) : null };
}

/**
 * The lookup a PBX location needs, or null: one found by its A record, or given with a port (a
 * URI with a port is resolved by A/AAAA only), is checked by Kamailio itself (`dns_int_match_ip`).
 */
export function pbxLookup(pbx: GatewayPbx): PbxLookup | null {
  if (pbx.dnsLookup === "A") return null;
  const target = uriHostPort(pbxProxyUri(pbx));
  if (!target || target.port !== null) return null;
  return { host: target.host, kind: pbx.dnsLookup, transport: pbx.transport };
}

/** A lookup's identity: one resolution serves every PBX that asks the same thing. */
export const lookupKey = (lookup: PbxLookup): string =>
  `${lookup.kind}:${lookup.transport}:${lookup.host}`;

/** The distinct SRV and NAPTR lookups the region's PBX locations need, by `lookupKey`. */
export function pbxLookups(state: RegionState): PbxLookup[] {
  const byKey = new Map<string, PbxLookup>();
  for (const pbx of state.pbxes.values()) {
    const lookup = pbxLookup(pbx);
    if (lookup) byKey.set(lookupKey(lookup), lookup);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, l]) => l);
}

/** The SRV name of a transport (RFC 3263 §4.2): `_sips._tcp` for TLS, `_sip._udp`/`_sip._tcp`. */
export function srvName(transport: GatewayPbx["transport"], host: string): string {
  if (transport === "tls") return `_sips._tcp.${host}`;
  return `_sip._${transport}.${host}`;
}

/** A NAPTR record as Node's resolver returns it. */
export interface NaptrRecord {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}

/** The SIP NAPTR services (RFC 3263 §4.1): UDP, TCP and TLS over TCP (SCTP is not used). */
const sipServices = new Set(["SIP+D2U", "SIP+D2T", "SIPS+D2T"]);

/**
 * The SRV names a NAPTR answer points to, in order then preference (RFC 3263 §4.1): records
 * with flag `s` and a SIP service over UDP or TCP. Every one is kept, not only the first the
 * PBX would pick for sending: a PBX may call from any of them. None: the SRV names of every
 * transport (the RFC's fallback when a domain has no NAPTR).
 */
export function naptrSrvNames(records: readonly NaptrRecord[], host: string): string[] {
  const usable = records
    .filter(
      (r) =>
        r.flags.toLowerCase() === "s" &&
        sipServices.has(r.service.toUpperCase()) &&
        r.replacement !== "" &&
        r.replacement !== ".",
    )
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
  const names = [...new Set(usable.map((r) => r.replacement.toLowerCase().replace(/\.$/, "")))];
  if (names.length > 0) return names;
  return [srvName("udp", host), srvName("tcp", host), srvName("tls", host)];
}

/** When to look again: the shortest TTL seen, clamped to `refreshBounds`; none: the minimum. */
export function refreshSeconds(ttls: readonly number[]): number {
  const shortest = ttls.length > 0 ? Math.min(...ttls) : refreshBounds.minSeconds;
  if (!Number.isFinite(shortest)) return refreshBounds.minSeconds;
  return Math.min(refreshBounds.maxSeconds, Math.max(refreshBounds.minSeconds, shortest));
}

/**
 * The `pbxip` htable: `<host>|<address>` → "1" for each address a lookup of the region's PBX
 * hosts last gave (`addresses`, by `lookupKey`). Lookups no PBX needs any more are left out,
 * so a location that goes away takes its addresses with it. A host given as an IP address is
 * its own address. Nothing known for a host: no key, and its calls are refused (fail closed).
 */
export function planPbxAddresses(
  state: RegionState,
  addresses: ReadonlyMap<string, readonly string[]>,
): Map<string, string> {
  const table = new Map<string, string>();
  for (const lookup of pbxLookups(state)) {
    const known = isIP(lookup.host) ? [lookup.host] : (addresses.get(lookupKey(lookup)) ?? []);
    for (const address of known) table.set(`${lookup.host}|${address.toLowerCase()}`, "1");
  }
  return table;
}
