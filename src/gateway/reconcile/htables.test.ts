import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildEnterprise, buildSnapshot, buildUser } from "../gateway.test-support.ts";
import { applyChanges, applySnapshot } from "../state.ts";
import {
  type ActualHtables,
  applyHtableOps,
  deviceValue,
  diffHtables,
  emptyHtables,
  type HtableName,
  htableNames,
  planHtables,
  userValue,
} from "./htables.ts";

const entries = (map: ReadonlyMap<string, string>) => Object.fromEntries(map);

describe("planHtables", () => {
  const state = applySnapshot(
    buildSnapshot({
      enterprises: [buildEnterprise({ pbxMusicOnHold: true })],
      users: [
        buildUser(),
        buildUser({ userId: "usr_2", enabled: false }),
        buildUser({
          userId: "usr_3",
          service: "trunk",
          sipUser: null,
          device: null,
          phoneNumber: "+3222000000",
          forwardedDids: ["+3222000001"],
        }),
      ],
    }),
  ).state;
  const t = planHtables(state);

  it("maps the trunk FQDN to its enterprise, served and with its hold mode", () => {
    expect(entries(t.fqdn)).toEqual({ "ent1.eu.sbc.example": "ent_1" });
    expect(entries(t.ent)).toEqual({ ent_1: "1" });
    expect(entries(t.entmoh)).toEqual({ ent_1: "1" });
  });

  it("routes numbers of enabled users only, PBX users to their device and AOR", () => {
    expect(entries(t.num)).toEqual({
      "+3211000001": "usr_1",
      "+3222000000": "usr_3",
      "+3222000001": "usr_3",
    });
    expect(entries(t.usr)).toEqual({
      // enterprise|service|device|target|aor|numbers (caller-ID screening)
      usr_1:
        "ent_1|pbx|dev_1|sip:pbx.acme.example:5060;transport=udp|sip:101@pbx.acme.example|+3211000001",
      usr_3: "ent_1|trunk||sip:pbx.acme.example:5060;transport=udp||+3222000000,+3222000001",
    });
    // user|hex(auth id)|hex(password)
    expect(entries(t.dev)).toEqual({
      dev_1: `usr_1|${Buffer.from("auth1").toString("hex")}|${Buffer.from("secret-1").toString("hex")}`,
    });
  });

  it("keeps a user's fields apart, or gives no value when one would run into the next", () => {
    const field = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(field, field, field, field, field, fc.array(field, { maxLength: 3 }), (...f) => {
        const [enterpriseId, service, deviceId, target, aor, numbers] = f;
        const value = userValue({ enterpriseId, service, deviceId, target, aor, numbers });
        const fields = [enterpriseId, service, deviceId, target, aor, numbers.join(",")];
        if (fields.some((v) => v.includes("|"))) expect(value).toBeNull();
        else expect(value?.split("|")).toEqual(fields);
      }),
    );
  });

  it("keeps every field of a device apart, whatever its credentials hold", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (authId, password) => {
        const [user, au, pw, ...rest] = deviceValue("usr_1", authId, password).split("|");
        expect(rest).toEqual([]);
        expect(user).toBe("usr_1");
        expect(Buffer.from(au!, "hex").toString("utf8")).toBe(
          Buffer.from(authId, "utf8").toString("utf8"),
        );
        expect(Buffer.from(pw!, "hex").toString("utf8")).toBe(
          Buffer.from(password, "utf8").toString("utf8"),
        );
      }),
    );
  });

  it("drops a disabled enterprise and a removed user", () => {
    const next = applyChanges(state, {
      cursor: "101.0",
      more: false,
      changes: [
        { kind: "enterprise", enterpriseId: "ent_1", enterprise: null },
        { kind: "user", userId: "usr_1", user: null },
      ],
    }).state;
    const ops = diffHtables(planHtables(next), t);
    expect(ops.every((op) => op.op === "delete")).toBe(true);
    expect(ops.filter((op) => op.table === "ent" || op.table === "fqdn")).toHaveLength(2);
    expect(ops.some((op) => op.table === "dev" && op.key === "dev_1")).toBe(true);
  });
});

describe("diffHtables", () => {
  it("sets new and changed values first, then deletes, and nothing when in step", () => {
    const desired = emptyHtables();
    desired.num.set("+1", "usr_1");
    desired.num.set("+2", "usr_2");
    const actual: ActualHtables = {
      num: new Map([
        ["+2", "usr_9"],
        ["+3", "usr_3"],
      ]),
    };
    expect(diffHtables(desired, actual)).toEqual([
      { op: "set", table: "num", key: "+1", value: "usr_1" },
      { op: "set", table: "num", key: "+2", value: "usr_2" },
      { op: "delete", table: "num", key: "+3" },
    ]);
    expect(diffHtables(desired, desired)).toEqual([]);
  });

  it("carried out, makes actual equal desired, whatever both hold", () => {
    const table = fc.constantFrom<HtableName>(...htableNames);
    const kv = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.constantFrom("1", "2"));
    const tables = fc.array(fc.tuple(table, kv), { maxLength: 6 }).map((pairs) => {
      const t = emptyHtables();
      for (const [name, dict] of pairs)
        for (const [k, v] of Object.entries(dict)) t[name].set(k, v);
      return t;
    });
    fc.assert(
      fc.property(tables, tables, (desired, actual) => {
        const after = applyHtableOps(actual, diffHtables(desired, actual));
        for (const name of htableNames)
          expect(entries(after[name])).toEqual(entries(desired[name]));
        expect(diffHtables(desired, after)).toEqual([]);
      }),
    );
  });
});
