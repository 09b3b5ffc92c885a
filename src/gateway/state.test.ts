import { describe, expect, it } from "vitest";
import { GatewaySnapshot } from "../shared/contracts/gateway.ts";
import { buildEnterprise, buildPbx, buildSnapshot, buildUser } from "./gateway.test-support.ts";
import { applyChanges, applySnapshot, emptyState, toSnapshot } from "./state.ts";

describe("applySnapshot", () => {
  it("indexes enterprises by FQDN, users by number, forwarded DID and device", () => {
    const trunk = buildUser({
      userId: "usr_9",
      service: "trunk",
      sipUser: null,
      device: null,
      phoneNumber: "+3222000000",
      forwardedDids: ["+3222000001", "+3222000002"],
    });
    const snapshot = buildSnapshot({
      users: [buildUser(), trunk],
    });
    expect(GatewaySnapshot.parse(snapshot)).toEqual(snapshot);
    const { state, affected } = applySnapshot(snapshot);
    expect(state.cursor).toBe("100.0");
    expect(state.enterpriseIdByFqdn.get("ent1.eu.sbc.example")).toBe("ent_1");
    expect(state.userIdByNumber.get("+3211000001")).toBe("usr_1");
    expect(state.userIdByNumber.get("+3222000002")).toBe("usr_9");
    expect(state.userIdByDevice.get("dev_1")).toBe("usr_1");
    expect(state.userIdByDevice.size).toBe(1);
    expect(affected).toEqual({
      enterpriseIds: ["ent_1"],
      pbxIds: ["pbx_1"],
      userIds: ["usr_1", "usr_9"],
      deviceIds: ["dev_1"],
    });
  });

  it("reports only the drift against the previous state when read again", () => {
    const first = applySnapshot(buildSnapshot()).state;
    const changed = buildSnapshot({
      cursor: "200.0",
      users: [buildUser(), buildUser({ userId: "usr_2", enabled: false })],
    });
    const { affected } = applySnapshot(changed, first);
    expect(affected).toEqual({
      enterpriseIds: [],
      pbxIds: [],
      userIds: ["usr_2"],
      deviceIds: ["dev_2"],
    });
  });
});

describe("applyChanges", () => {
  it("replaces changed objects, removes nulls and keeps the indexes in step", () => {
    const before = applySnapshot(buildSnapshot()).state;
    const { state, affected } = applyChanges(before, {
      cursor: "120.7",
      more: false,
      changes: [
        {
          kind: "enterprise",
          enterpriseId: "ent_1",
          enterprise: buildEnterprise({
            trunks: [{ fqdn: "New.eu.sbc.example", priority: 0, status: "active" }],
          }),
        },
        { kind: "pbx", pbxId: "pbx_1", pbx: buildPbx({ transport: "tcp" }) },
        {
          kind: "user",
          userId: "usr_1",
          user: buildUser({
            phoneNumber: "+3211999999",
            device: { deviceId: "dev_x", sipAuthId: "a", password: "p" },
          }),
        },
        { kind: "user", userId: "usr_2", user: null },
      ],
    });
    expect(state.cursor).toBe("120.7");
    expect([...state.enterpriseIdByFqdn]).toEqual([["new.eu.sbc.example", "ent_1"]]);
    expect(state.pbxes.get("pbx_1")?.transport).toBe("tcp");
    expect([...state.userIdByNumber]).toEqual([["+3211999999", "usr_1"]]);
    expect([...state.userIdByDevice]).toEqual([["dev_x", "usr_1"]]);
    expect(state.users.has("usr_2")).toBe(false);
    expect(affected.userIds).toEqual(["usr_1", "usr_2"]);
    expect(affected.deviceIds.sort()).toEqual(["dev_1", "dev_2", "dev_x"]);
    // Pure: the input state is untouched.
    expect(before.users.size).toBe(2);
    expect(before.userIdByDevice.get("dev_1")).toBe("usr_1");
    expect(before.cursor).toBe("100.0");
  });

  it("moves the cursor on an empty page and shares the untouched maps", () => {
    const before = applySnapshot(buildSnapshot()).state;
    const { state, affected } = applyChanges(before, { cursor: "101.3", changes: [], more: false });
    expect(state.cursor).toBe("101.3");
    expect(state.users).toBe(before.users);
    expect(affected).toEqual({ enterpriseIds: [], pbxIds: [], userIds: [], deviceIds: [] });
  });

  it("does not let a removed user take a number another user now holds", () => {
    let state = applySnapshot(buildSnapshot()).state;
    state = applyChanges(state, {
      cursor: "101.0",
      more: false,
      changes: [
        {
          kind: "user",
          userId: "usr_2",
          user: buildUser({ userId: "usr_2", phoneNumber: "+3211000001" }),
        },
      ],
    }).state;
    state = applyChanges(state, {
      cursor: "102.0",
      more: false,
      changes: [{ kind: "user", userId: "usr_1", user: null }],
    }).state;
    expect(state.userIdByNumber.get("+3211000001")).toBe("usr_2");
  });

  it("round-trips through toSnapshot", () => {
    const snapshot = buildSnapshot();
    expect(toSnapshot(applySnapshot(snapshot).state)).toEqual(snapshot);
    expect(toSnapshot(emptyState())).toBeNull();
  });
});
