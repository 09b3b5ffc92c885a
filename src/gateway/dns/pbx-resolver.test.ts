import { afterEach, describe, expect, it, vi } from "vitest";
import type { NaptrRecord } from "../reconcile/pbx-addresses.ts";
import { type PbxDns, resolvePbxLookup, watchPbxAddresses } from "./pbx-resolver.ts";

const noData = () => Object.assign(new Error("queryX ENODATA"), { code: "ENODATA" });

/** A fake DNS: records by name; a name in `failing` times out. */
function fakeDns(zone: {
  naptr?: Record<string, NaptrRecord[]>;
  srv?: Record<string, { name: string; port: number }[]>;
  a?: Record<string, { address: string; ttl: number }[]>;
  aaaa?: Record<string, { address: string; ttl: number }[]>;
  failing?: Set<string>;
}): PbxDns & { asked: string[] } {
  const asked: string[] = [];
  const answer = async <T>(type: string, name: string, records?: Record<string, T[]>) => {
    asked.push(`${type} ${name}`);
    if (zone.failing?.has(name))
      throw Object.assign(new Error("queryX ETIMEOUT"), { code: "ETIMEOUT" });
    const found = records?.[name];
    if (!found) throw noData();
    return found;
  };
  return {
    asked,
    resolveNaptr: (name) => answer("NAPTR", name, zone.naptr),
    resolveSrv: (name) => answer("SRV", name, zone.srv),
    resolve4: (name) => answer("A", name, zone.a),
    resolve6: (name) => answer("AAAA", name, zone.aaaa),
  };
}

const naptr = (service: string, replacement: string): NaptrRecord => ({
  flags: "s",
  service,
  regexp: "",
  replacement,
  order: 10,
  preference: 0,
});

describe("resolvePbxLookup", () => {
  it("follows SRV to its targets' A and AAAA records, refreshed after the shortest TTL", async () => {
    const dns = fakeDns({
      srv: {
        "_sip._tcp.pbx.example": [
          { name: "a.pbx.example", port: 5070 },
          { name: "b.pbx.example", port: 5070 },
        ],
      },
      a: {
        "a.pbx.example": [{ address: "10.0.0.1", ttl: 600 }],
        "b.pbx.example": [{ address: "10.0.0.2", ttl: 90 }],
      },
      aaaa: { "b.pbx.example": [{ address: "2001:DB8::2", ttl: 600 }] },
    });
    expect(
      await resolvePbxLookup(dns, { host: "pbx.example", kind: "SRV", transport: "tcp" }),
    ).toEqual({
      addresses: ["10.0.0.1", "10.0.0.2", "2001:db8::2"],
      refreshSeconds: 90,
    });
  });

  it("follows NAPTR through SRV to addresses, every SIP service", async () => {
    const dns = fakeDns({
      naptr: {
        "pbx.example": [
          naptr("SIP+D2U", "_sip._udp.pbx.example"),
          naptr("SIP+D2T", "_sip._tcp.pbx.example"),
        ],
      },
      srv: {
        "_sip._udp.pbx.example": [{ name: "u.pbx.example", port: 5060 }],
        "_sip._tcp.pbx.example": [{ name: "t.pbx.example", port: 5060 }],
      },
      a: {
        "u.pbx.example": [{ address: "10.0.0.1", ttl: 60 }],
        "t.pbx.example": [{ address: "10.0.0.3", ttl: 60 }],
      },
    });
    const result = await resolvePbxLookup(dns, {
      host: "pbx.example",
      kind: "NAPTR",
      transport: "udp",
    });
    expect(result.addresses).toEqual(["10.0.0.1", "10.0.0.3"]);
  });

  it("without NAPTR tries every transport's SRV, without SRV the host's own addresses", async () => {
    const dns = fakeDns({ a: { "pbx.example": [{ address: "10.0.0.9", ttl: 5 }] } });
    expect(
      await resolvePbxLookup(dns, { host: "pbx.example", kind: "NAPTR", transport: "udp" }),
    ).toEqual({
      addresses: ["10.0.0.9"],
      refreshSeconds: 30,
    });
    expect(dns.asked).toEqual([
      "NAPTR pbx.example",
      "SRV _sip._udp.pbx.example",
      "SRV _sip._tcp.pbx.example",
      "SRV _sips._tcp.pbx.example",
      "A pbx.example",
      "AAAA pbx.example",
    ]);
  });

  it("rejects on a failure that is not an answer (the caller keeps what it knew)", async () => {
    const dns = fakeDns({ failing: new Set(["_sip._udp.pbx.example"]) });
    await expect(
      resolvePbxLookup(dns, { host: "pbx.example", kind: "SRV", transport: "udp" }),
    ).rejects.toThrow(/ETIMEOUT/);
  });
});

describe("watchPbxAddresses", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves a new lookup at once, again after its TTL, keeps the last addresses when a lookup fails, forgets lookups gone", async () => {
    vi.useFakeTimers();
    const zone = {
      srv: { "_sip._udp.pbx.example": [{ name: "a.pbx.example", port: 5060 }] },
      a: { "a.pbx.example": [{ address: "10.0.0.1", ttl: 60 }] } as Record<
        string,
        { address: string; ttl: number }[]
      >,
      failing: new Set<string>(),
    };
    const dns = fakeDns(zone);
    const lines: string[] = [];
    let changes = 0;
    const watcher = watchPbxAddresses({
      dns,
      onChange: () => changes++,
      log: (line) => lines.push(line),
    });
    const lookup = { host: "pbx.example", kind: "SRV" as const, transport: "udp" as const };
    const key = "SRV:udp:pbx.example";
    watcher.update([lookup]);
    await vi.advanceTimersByTimeAsync(0);
    expect(watcher.addresses().get(key)).toEqual(["10.0.0.1"]);
    expect(changes).toBe(1);

    // the TTL (60 s) later: asked again, the target moved
    zone.a["a.pbx.example"] = [{ address: "10.0.0.2", ttl: 60 }];
    await vi.advanceTimersByTimeAsync(59_000);
    expect(watcher.addresses().get(key)).toEqual(["10.0.0.1"]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(watcher.addresses().get(key)).toEqual(["10.0.0.2"]);
    expect(changes).toBe(2);

    // the server stops answering: the last addresses stay, the failure is logged, retried in 30 s
    zone.failing.add("_sip._udp.pbx.example");
    const asked = dns.asked.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(watcher.addresses().get(key)).toEqual(["10.0.0.2"]);
    expect(changes).toBe(2);
    expect(lines).toEqual([
      "DNS lookup of PBX SRV pbx.example failed (queryX ETIMEOUT); keeping 1 known address(es)",
    ]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(dns.asked.length).toBe(asked + 2);

    // the location goes away: its addresses with it, and no more lookups
    watcher.update([]);
    expect(watcher.addresses().size).toBe(0);
    expect(changes).toBe(3);
    const after = dns.asked.length;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(dns.asked.length).toBe(after);
    watcher.stop();
  });
});
