/**
 * Resolves the PBX hosts found by SRV or NAPTR into the addresses their calls may come from
 * (RFC 3263: NAPTR → SRV → A/AAAA), with Node's resolver, and keeps them fresh: each lookup is
 * repeated after its shortest TTL (30–300 s); a failed lookup keeps what was last known. The
 * agent writes the result into the `pbxip` htable (ADR 0023), so calls never wait on DNS.
 */
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import {
  lookupKey,
  type NaptrRecord,
  naptrSrvNames,
  type PbxLookup,
  refreshBounds,
  refreshSeconds,
  srvName,
} from "../reconcile/pbx-addresses.ts";

/** The queries a lookup makes: Node's `dns.promises.Resolver`, or a fake in tests. */
export interface PbxDns {
  resolveNaptr(name: string): Promise<NaptrRecord[]>;
  resolveSrv(name: string): Promise<{ name: string; port: number }[]>;
  resolve4(name: string, options: { ttl: true }): Promise<{ address: string; ttl: number }[]>;
  resolve6(name: string, options: { ttl: true }): Promise<{ address: string; ttl: number }[]>;
}

/** A resolver asking `servers` (`ip` or `ip:port`), or the system's when none are given. */
export function createPbxDns(servers: readonly string[] = []): PbxDns {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return resolver;
}

/** A name that does not exist or has no record of the type: an answer, not a failure. */
function isNoData(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENODATA" || code === "ENOTFOUND";
}

async function orNone<T>(query: Promise<T[]>): Promise<T[]> {
  try {
    return await query;
  } catch (error) {
    if (isNoData(error)) return [];
    throw error;
  }
}

/** What one lookup found: every address, and when to look again. */
export interface PbxResolution {
  addresses: string[];
  refreshSeconds: number;
}

/**
 * Resolves one lookup as RFC 3263 §4 does: NAPTR (SIP services) to SRV names, or the SRV name of
 * the location's transport; SRV to targets; no SRV record: the host itself; each target to its
 * A and AAAA addresses. A name without records is an answer; any other error (a timeout, a
 * server failure) rejects, so the caller keeps what it knew.
 */
export async function resolvePbxLookup(dns: PbxDns, lookup: PbxLookup): Promise<PbxResolution> {
  if (isIP(lookup.host))
    return { addresses: [lookup.host], refreshSeconds: refreshBounds.maxSeconds };
  const srvNames =
    lookup.kind === "NAPTR"
      ? naptrSrvNames(await orNone(dns.resolveNaptr(lookup.host)), lookup.host)
      : [srvName(lookup.transport, lookup.host)];
  const targets = new Set<string>();
  for (const name of srvNames)
    for (const record of await orNone(dns.resolveSrv(name)))
      if (record.name !== "" && record.name !== ".") targets.add(record.name.toLowerCase());
  if (targets.size === 0) targets.add(lookup.host);
  const addresses = new Set<string>();
  const ttls: number[] = [];
  for (const target of targets) {
    const found = [
      ...(await orNone(dns.resolve4(target, { ttl: true }))),
      ...(await orNone(dns.resolve6(target, { ttl: true }))),
    ];
    for (const { address, ttl } of found) {
      addresses.add(address.toLowerCase());
      ttls.push(ttl);
    }
  }
  return { addresses: [...addresses].sort(), refreshSeconds: refreshSeconds(ttls) };
}

/** Keeps the addresses of the region's SRV and NAPTR PBX hosts, by `lookupKey`. */
export interface PbxAddressWatcher {
  /** The lookups needed now: new ones are resolved at once, ones gone are forgotten. */
  update(lookups: readonly PbxLookup[]): void;
  /** The last known addresses of each lookup (absent: never resolved). */
  addresses(): ReadonlyMap<string, readonly string[]>;
  stop(): void;
}

/**
 * Resolves each lookup when it appears and again when its answer expires; calls `onChange`
 * when a lookup's addresses changed. Lookups run one at a time (a few PBX hosts per region).
 */
export function watchPbxAddresses(options: {
  dns: PbxDns;
  onChange: () => void;
  log: (line: string) => void;
  now?: () => number;
}): PbxAddressWatcher {
  const now = options.now ?? Date.now;
  const wanted = new Map<string, PbxLookup>();
  const known = new Map<string, string[]>();
  const dueAt = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let again = false;
  let stopped = false;

  function schedule(): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = null;
    if (dueAt.size === 0) return;
    const next = Math.min(...dueAt.values());
    timer = setTimeout(() => void round(), Math.max(0, next - now()));
  }

  async function round(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    do {
      again = false;
      let changed = false;
      for (const [key, lookup] of wanted) {
        if (stopped) break;
        if ((dueAt.get(key) ?? 0) > now()) continue;
        try {
          const result = await resolvePbxLookup(options.dns, lookup);
          if (!wanted.has(key)) continue;
          const before = known.get(key);
          if (!before || before.join(",") !== result.addresses.join(",")) {
            known.set(key, result.addresses);
            changed = true;
          }
          dueAt.set(key, now() + result.refreshSeconds * 1000);
        } catch (error) {
          const kept = known.get(key)?.length ?? 0;
          options.log(
            `DNS lookup of PBX ${lookup.kind} ${lookup.host} failed (${(error as Error).message}); keeping ${kept} known address(es)`,
          );
          if (wanted.has(key)) dueAt.set(key, now() + refreshBounds.minSeconds * 1000);
        }
      }
      if (changed && !stopped) options.onChange();
    } while (again && !stopped);
    running = false;
    schedule();
  }

  return {
    update(lookups) {
      const keys = new Set(lookups.map(lookupKey));
      let dropped = false;
      for (const key of wanted.keys())
        if (!keys.has(key)) {
          wanted.delete(key);
          dueAt.delete(key);
          dropped = known.delete(key) || dropped;
        }
      let added = false;
      for (const lookup of lookups) {
        const key = lookupKey(lookup);
        if (wanted.has(key)) continue;
        wanted.set(key, lookup);
        dueAt.set(key, 0);
        added = true;
      }
      if (dropped) options.onChange();
      if (added) void round();
    },
    addresses: () => known,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
