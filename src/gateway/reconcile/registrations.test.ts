import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dnsLookups, transports } from "../../shared/contracts/pbx.ts";
import { buildEnterprise, buildPbx, buildSnapshot, buildUser } from "../gateway.test-support.ts";
import { applyChanges, applySnapshot } from "../state.ts";
import {
  type ActualRegistration,
  applyRegistrationPlan,
  desiredRegistrations,
  passwordDigest,
  pbxProxyUri,
  planRegistrations,
  registrableDevices,
  requestedExpires,
  toActual,
} from "./registrations.ts";

const state = applySnapshot(buildSnapshot()).state;
const all = new Set(["dev_1", "dev_2"]);

describe("pbxProxyUri", () => {
  it("pins a port for A, names the transport for SRV, leaves NAPTR to choose", () => {
    const pbx = buildPbx({ sipDomain: "pbx.example", transport: "tcp" });
    expect(pbxProxyUri({ ...pbx, dnsLookup: "A" })).toBe("sip:pbx.example:5060;transport=tcp");
    expect(pbxProxyUri({ ...pbx, dnsLookup: "A", transport: "tls" })).toBe(
      "sip:pbx.example:5061;transport=tls",
    );
    expect(pbxProxyUri({ ...pbx, dnsLookup: "SRV" })).toBe("sip:pbx.example;transport=tcp");
    expect(pbxProxyUri({ ...pbx, dnsLookup: "NAPTR" })).toBe("sip:pbx.example");
  });

  it("goes through the PBX's proxy when it has one, keeping its port", () => {
    const pbx = buildPbx({ sipProxy: "sbc.pbx.example:5080", transport: "udp" });
    expect(pbxProxyUri(pbx)).toBe("sip:sbc.pbx.example:5080;transport=udp");
    expect(pbxProxyUri({ ...pbx, sipProxy: "[2001:db8::1]" })).toBe(
      "sip:[2001:db8::1]:5060;transport=udp",
    );
  });
});

describe("requestedExpires", () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `dev_${i.toString(36)}x${i}`);

  it("asks each device for the PBX's expiry less up to 10 %, the same every time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 86_400 }), fc.string(), (expiry, id) => {
        const asked = requestedExpires(expiry, id);
        expect(Number.isInteger(asked)).toBe(true);
        expect(asked).toBeLessThanOrEqual(expiry);
        expect(asked).toBeGreaterThanOrEqual(Math.max(60, expiry - Math.floor(expiry / 10)));
        expect(requestedExpires(expiry, id)).toBe(asked);
      }),
    );
  });

  it("never asks below 60 s, and asks an expiry of 60 s or less as it is", () => {
    for (const expiry of [1, 30, 60]) expect(requestedExpires(expiry, "dev_1")).toBe(expiry);
    const asked = ids.map((id) => requestedExpires(65, id));
    expect(Math.min(...asked)).toBe(60);
    expect(Math.max(...asked)).toBe(65);
  });

  it("spreads 10,000 devices over the whole range, no second holding much more than its share", () => {
    for (const expiry of [300, 3600]) {
      const perSecond = new Map<number, number>();
      for (const id of ids) {
        const asked = requestedExpires(expiry, id);
        perSecond.set(asked, (perSecond.get(asked) ?? 0) + 1);
      }
      const spread = expiry / 10;
      expect(perSecond.size).toBe(spread + 1);
      expect(Math.min(...perSecond.keys())).toBe(expiry - spread);
      expect(Math.max(...perSecond.keys())).toBe(expiry);
      const fair = ids.length / (spread + 1);
      expect(Math.max(...perSecond.values())).toBeLessThan(fair * 2 + 10);
    }
  });
});

describe("planRegistrations", () => {
  it("adds the leased devices of enabled PBX users, with what uac.reg_add needs", () => {
    const plan = planRegistrations(state, [], new Set(["dev_1"]));
    expect(plan).toEqual({
      add: [
        {
          l_uuid: "dev_1",
          l_username: "dev_1",
          r_username: "101",
          r_domain: "pbx.acme.example",
          auth_username: "auth1",
          auth_password: "secret-1",
          auth_proxy: "sip:pbx.acme.example:5060;transport=udp",
          expires: requestedExpires(300, "dev_1"),
          userId: "usr_1",
          enterpriseId: "ent_1",
          pbxId: "pbx_1",
        },
      ],
      remove: [],
      update: [],
    });
  });

  it("replaces a registration whose password or PBX changed, and leaves an unchanged one", () => {
    const actual = desiredRegistrations(state, all).map(toActual);
    const changed = applyChanges(state, {
      cursor: "101.0",
      more: false,
      changes: [
        {
          kind: "user",
          userId: "usr_1",
          user: buildUser({ device: { deviceId: "dev_1", sipAuthId: "auth1", password: "new" } }),
        },
      ],
    }).state;
    const plan = planRegistrations(changed, actual, all);
    expect([plan.add, plan.remove, plan.update.map((r) => r.l_uuid)]).toEqual([[], [], ["dev_1"]]);

    const moved = applyChanges(state, {
      cursor: "101.0",
      more: false,
      changes: [{ kind: "pbx", pbxId: "pbx_1", pbx: buildPbx({ transport: "tcp" }) }],
    }).state;
    expect(planRegistrations(moved, actual, all).update.map((r) => r.l_uuid)).toEqual([
      "dev_1",
      "dev_2",
    ]);
  });

  it("removes a disabled or removed user, a lost lease, and what Kamailio holds unasked", () => {
    const actual = [
      ...desiredRegistrations(state, all).map(toActual),
      { ...toActual(desiredRegistrations(state, all)[0]!), l_uuid: "stray" },
    ];
    const next = applyChanges(state, {
      cursor: "101.0",
      more: false,
      changes: [
        { kind: "user", userId: "usr_2", user: buildUser({ userId: "usr_2", enabled: false }) },
      ],
    }).state;
    expect(planRegistrations(next, actual, all).remove).toEqual(["dev_2", "stray"]);
    expect(planRegistrations(state, actual, new Set(["dev_2"])).remove).toEqual(["dev_1", "stray"]);
  });

  it("registers no trunk user, no user without a PBX in the state, none of an enterprise the region does not serve", () => {
    const snapshot = buildSnapshot({
      users: [
        buildUser({ userId: "usr_1", service: "trunk", device: null, sipUser: null }),
        buildUser({ userId: "usr_2", pbxId: "pbx_gone" }),
        buildUser({ userId: "usr_3", enterpriseId: "ent_disabled" }),
        buildUser({ userId: "usr_4" }),
      ],
    });
    const s = applySnapshot(snapshot).state;
    expect(registrableDevices(s)).toEqual(["dev_4"]);
    expect(
      planRegistrations(s, [], new Set(["dev_1", "dev_2", "dev_3", "dev_4"])).add.map(
        (r) => r.l_uuid,
      ),
    ).toEqual(["dev_4"]);
  });
});

describe("planRegistrations, for any state, leases and Kamailio content", () => {
  const arbPbx = fc.record({
    pbxId: fc.constantFrom("pbx_1", "pbx_2"),
    dnsLookup: fc.constantFrom(...dnsLookups),
    transport: fc.constantFrom(...transports),
    sipProxy: fc.constantFrom(null, "proxy.example", "proxy.example:5070"),
    registrationExpiry: fc.constantFrom(60, 300, 3600),
  });
  const arbUser = fc.record({
    n: fc.integer({ min: 1, max: 12 }),
    enabled: fc.boolean(),
    service: fc.constantFrom("pbx" as const, "trunk" as const),
    pbxId: fc.constantFrom("pbx_1", "pbx_2", "pbx_3"),
    enterpriseId: fc.constantFrom("ent_1", "ent_2"),
    password: fc.constantFrom("a", "b"),
    hasDevice: fc.boolean(),
  });
  const arbState = fc
    .record({
      pbxes: fc.uniqueArray(arbPbx, { selector: (p) => p.pbxId, maxLength: 2 }),
      users: fc.uniqueArray(arbUser, { selector: (u) => u.n, maxLength: 12 }),
    })
    .map(
      ({ pbxes, users }) =>
        applySnapshot(
          buildSnapshot({
            enterprises: [buildEnterprise()],
            pbxes: pbxes.map((p) => buildPbx(p)),
            users: users.map((u) =>
              buildUser({
                userId: `usr_${u.n}`,
                enabled: u.enabled,
                service: u.service,
                pbxId: u.pbxId,
                enterpriseId: u.enterpriseId,
                device: u.hasDevice
                  ? { deviceId: `dev_${u.n}`, sipAuthId: `auth${u.n}`, password: u.password }
                  : null,
              }),
            ),
          }),
        ).state,
    );
  const deviceIds = fc.constantFrom(...Array.from({ length: 14 }, (_, i) => `dev_${i + 1}`));
  const arbLeases = fc.uniqueArray(deviceIds, { maxLength: 14 }).map((ids) => new Set(ids));
  const arbActual: fc.Arbitrary<ActualRegistration[]> = fc.uniqueArray(
    fc.record({
      l_uuid: deviceIds,
      l_username: deviceIds,
      r_username: fc.constantFrom("101", "102"),
      r_domain: fc.constant("pbx.acme.example"),
      auth_username: fc.constantFrom("auth1", "auth2"),
      auth_proxy: fc.constantFrom("sip:pbx.acme.example:5060;transport=udp", "sip:proxy.example"),
      expires: fc.constantFrom(60, 300),
      passwordDigest: fc.constantFrom(passwordDigest("a"), passwordDigest("b")),
    }),
    { selector: (r) => r.l_uuid, maxLength: 14 },
  );

  it("carried out, gives exactly the desired registrations; planned again, does nothing", () => {
    fc.assert(
      fc.property(arbState, arbLeases, arbActual, (s, leases, actual) => {
        const plan = planRegistrations(s, actual, leases);
        const after = applyRegistrationPlan(actual, plan);
        expect(after).toEqual(desiredRegistrations(s, leases).map(toActual));
        expect(planRegistrations(s, after, leases)).toEqual({ add: [], remove: [], update: [] });
      }),
    );
  });

  it("never adds a device outside the leases, and touches only what it must", () => {
    fc.assert(
      fc.property(arbState, arbLeases, arbActual, (s, leases, actual) => {
        const plan = planRegistrations(s, actual, leases);
        const held = new Set(actual.map((r) => r.l_uuid));
        for (const r of [...plan.add, ...plan.update]) expect(leases.has(r.l_uuid)).toBe(true);
        for (const r of plan.add) expect(held.has(r.l_uuid)).toBe(false);
        for (const r of plan.update) expect(held.has(r.l_uuid)).toBe(true);
        for (const id of plan.remove) expect(held.has(id)).toBe(true);
        expect(planRegistrations(s, actual, leases)).toEqual(plan);
      }),
    );
  });
});
