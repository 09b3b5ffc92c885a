import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildPbx, buildSnapshot } from "../gateway.test-support.ts";
import { applySnapshot } from "../state.ts";
import {
  lookupKey,
  naptrSrvNames,
  pbxLookup,
  pbxLookups,
  planPbxAddresses,
  refreshBounds,
  refreshSeconds,
  srvName,
  uriHostPort,
} from "./pbx-addresses.ts";

const naptr = (service: string, replacement: string, order = 10, preference = 0, flags = "s") => ({
  flags,
  service,
  regexp: "",
  replacement,
  order,
  preference,
});

describe("pbxLookup", () => {
  it("leaves A locations and locations given with a port to Kamailio's own check", () => {
    expect(pbxLookup(buildPbx({ dnsLookup: "A" }))).toBeNull();
    expect(pbxLookup(buildPbx({ dnsLookup: "SRV", sipProxy: "proxy.example:5070" }))).toBeNull();
    expect(pbxLookup(buildPbx({ dnsLookup: "NAPTR", sipProxy: "proxy.example:5070" }))).toBeNull();
  });

  it("names the host of the proxy URI (else the SIP domain), lower case, with kind and transport", () => {
    expect(
      pbxLookup(buildPbx({ dnsLookup: "SRV", transport: "tcp", sipProxy: "Proxy.Example" })),
    ).toEqual({
      host: "proxy.example",
      kind: "SRV",
      transport: "tcp",
    });
    expect(pbxLookup(buildPbx({ dnsLookup: "NAPTR", sipDomain: "pbx.acme.example" }))).toEqual({
      host: "pbx.acme.example",
      kind: "NAPTR",
      transport: "udp",
    });
  });

  it("reads host and port from the URIs pbxProxyUri writes", () => {
    expect(uriHostPort("sip:host.example;transport=udp")).toEqual({
      host: "host.example",
      port: null,
    });
    expect(uriHostPort("sip:[2001:db8::1]:5070;transport=tcp")).toEqual({
      host: "[2001:db8::1]",
      port: 5070,
    });
    expect(uriHostPort("nonsense")).toBeNull();
  });

  it("asks each distinct lookup once for the region", () => {
    const state = applySnapshot(
      buildSnapshot({
        pbxes: [
          buildPbx({ pbxId: "pbx_1", dnsLookup: "SRV", sipDomain: "a.example" }),
          buildPbx({ pbxId: "pbx_2", dnsLookup: "SRV", sipDomain: "a.example" }),
          buildPbx({ pbxId: "pbx_3", dnsLookup: "NAPTR", sipDomain: "b.example" }),
          buildPbx({ pbxId: "pbx_4", dnsLookup: "A", sipDomain: "c.example" }),
        ],
      }),
    ).state;
    expect(pbxLookups(state).map(lookupKey)).toEqual(["NAPTR:udp:b.example", "SRV:udp:a.example"]);
  });
});

describe("naptrSrvNames", () => {
  it("follows the SIP services with flag s in order, then preference", () => {
    const records = [
      naptr("SIP+D2T", "_sip._tcp.pbx.example.", 20),
      naptr("SIP+D2U", "_sip._udp.pbx.example", 10, 5),
      naptr("SIPS+D2T", "_sips._tcp.pbx.example", 10, 1),
      naptr("SIP+D2S", "_sip._sctp.pbx.example", 5),
      naptr("E2U+sip", "ignored.example", 1),
      naptr("SIP+D2U", "ignored-a.example", 1, 0, "a"),
    ];
    expect(naptrSrvNames(records, "pbx.example")).toEqual([
      "_sips._tcp.pbx.example",
      "_sip._udp.pbx.example",
      "_sip._tcp.pbx.example",
    ]);
  });

  it("falls back to the SRV names of every transport without a usable NAPTR", () => {
    expect(naptrSrvNames([], "pbx.example")).toEqual([
      "_sip._udp.pbx.example",
      "_sip._tcp.pbx.example",
      "_sips._tcp.pbx.example",
    ]);
    expect(srvName("tls", "x.example")).toBe("_sips._tcp.x.example");
  });
});

describe("refreshSeconds", () => {
  it("is the shortest TTL within 30–300 s; without one the minimum", () => {
    expect(refreshSeconds([])).toBe(30);
    expect(refreshSeconds([3600, 120])).toBe(120);
    expect(refreshSeconds([5])).toBe(30);
    expect(refreshSeconds([86_400])).toBe(300);
  });

  it("always lies within the bounds and never above the shortest TTL past the minimum", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1_000_000 })), (ttls) => {
        const s = refreshSeconds(ttls);
        expect(s).toBeGreaterThanOrEqual(refreshBounds.minSeconds);
        expect(s).toBeLessThanOrEqual(refreshBounds.maxSeconds);
        if (ttls.length > 0) expect(s).toBeLessThanOrEqual(Math.max(30, Math.min(...ttls)));
      }),
    );
  });
});

describe("planPbxAddresses", () => {
  const state = applySnapshot(
    buildSnapshot({
      pbxes: [buildPbx({ dnsLookup: "SRV", sipDomain: "pbx-srv.example" })],
    }),
  ).state;

  it("keys each known address by the PBX host", () => {
    const table = planPbxAddresses(
      state,
      new Map([["SRV:udp:pbx-srv.example", ["127.0.0.1", "::1"]]]),
    );
    expect([...table]).toEqual([
      ["pbx-srv.example|127.0.0.1", "1"],
      ["pbx-srv.example|::1", "1"],
    ]);
  });

  it("holds nothing for a host never resolved, nor for lookups no PBX needs", () => {
    expect(planPbxAddresses(state, new Map()).size).toBe(0);
    expect(planPbxAddresses(state, new Map([["SRV:udp:gone.example", ["10.0.0.1"]]])).size).toBe(0);
  });
});
