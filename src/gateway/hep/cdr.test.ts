import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CdrRecord } from "../../shared/contracts/gateway.ts";
import { buildSnapshot, buildUser } from "../gateway.test-support.ts";
import { applySnapshot } from "../state.ts";
import {
  type CallScript,
  collectorOptions,
  inboundCall,
  MICROSOFT,
  NODE_MICROSOFT,
  NODE_PBX,
  PBX,
  scriptedCall,
  t0,
} from "./calls.test-support.ts";
import { CallCollector, type FinishedCall } from "./calls.ts";
import { type CallOwnerLookup, deriveCdrs, regionCallOwner, toE164 } from "./cdr.ts";
import { encodeHep, type HepInput } from "./hep.test-support.ts";
import { decodeHep } from "./hep.ts";
import { sipRequest, sipResponse } from "./sip.test-support.ts";

const iso = (ms: number) => new Date(ms).toISOString();

const state = applySnapshot(
  buildSnapshot({
    users: [
      buildUser(),
      buildUser({ userId: "usr_2" }),
      buildUser({
        userId: "usr_3",
        service: "trunk",
        sipUser: null,
        device: null,
        phoneNumber: "+3211000003",
      }),
    ],
  }),
).state;
const owner = regionCallOwner(state);

function finish(inputs: HepInput[]): FinishedCall {
  const collector = new CallCollector(collectorOptions);
  for (const input of inputs) collector.add(decodeHep(encodeHep(input))!, input.atMs!);
  const [call] = collector.takeFinished(Number.MAX_SAFE_INTEGER);
  if (!call) throw new Error("the call did not finish");
  return call;
}

const byLeg = (records: CdrRecord[]) => Object.fromEntries(records.map((r) => [r.leg, r]));

describe("deriveCdrs", () => {
  it("describes an answered inbound call on both legs, the callee hanging up", () => {
    const inputs = scriptedCall(inboundCall({ pai: "+32470123456" }));
    const at = (i: number) => inputs[i]!.atMs!;
    const { pbx, microsoft } = byLeg(deriveCdrs(finish(inputs), owner));
    expect(pbx).toEqual({
      callId: "call-1@pbx",
      leg: "pbx",
      enterpriseId: "ent_1",
      userId: "usr_1",
      direction: "inbound",
      caller: "+32470123456",
      callee: "dev_1",
      startedAt: iso(t0),
      answeredAt: iso(at(7)),
      endedAt: iso(at(11)),
      disposition: "answered",
      sipCode: 200,
      sipReason: "OK",
      hangupSide: "callee",
      codec: "PCMA",
      durationSeconds: 60,
    });
    expect(microsoft).toMatchObject({
      direction: "inbound",
      userId: "usr_1",
      callee: "+3211000001",
      startedAt: iso(at(2)),
      answeredAt: iso(at(6)),
      endedAt: iso(at(10)),
      disposition: "answered",
      hangupSide: "callee",
      durationSeconds: 60,
    });
  });

  it("describes an outbound call from a Teams user, the caller hanging up", () => {
    const records = deriveCdrs(
      finish(
        scriptedCall(
          inboundCall({
            from: "microsoft",
            caller: "3211000002",
            calleeIn: "+3222222222",
            calleeOut: "022222222",
            outcome: { answered: true, hangup: "caller", talkMs: 9_600 },
          }),
        ),
      ),
      owner,
    );
    expect(
      records.map((r) => [r.leg, r.direction, r.userId, r.hangupSide, r.durationSeconds]),
    ).toEqual([
      ["microsoft", "outbound", "usr_2", "caller", 10],
      ["pbx", "outbound", "usr_2", "caller", 10],
    ]);
  });

  it.each([
    [486, "Busy Here", "busy"],
    [600, "Busy Everywhere", "busy"],
    [480, "Temporarily Unavailable", "no_answer"],
    [408, "Request Timeout", "no_answer"],
    [487, "Request Terminated", "no_answer"],
    [503, "Service Unavailable", "failed"],
    [404, "Not Found", "failed"],
  ] as const)("records %i %s as %s, unanswered", (status, reason, disposition) => {
    const inputs = scriptedCall(inboundCall({ outcome: { answered: false, status, reason } }));
    const records = deriveCdrs(finish(inputs), owner);
    expect(records).toHaveLength(2);
    for (const record of records)
      expect(record).toMatchObject({
        disposition,
        sipCode: status,
        sipReason: reason,
        answeredAt: null,
        durationSeconds: 0,
        hangupSide: null,
        codec: null,
      });
    expect(byLeg(records).pbx?.endedAt).toBe(iso(inputs[8]!.atMs!));
  });

  it("records a caller's CANCEL as cancelled on both legs", () => {
    const inputs = scriptedCall(inboundCall({ outcome: { answered: false, cancel: true } }));
    const records = deriveCdrs(finish(inputs), owner);
    expect(records.map((r) => [r.leg, r.disposition, r.sipCode, r.hangupSide])).toEqual([
      ["pbx", "cancelled", 487, "caller"],
      ["microsoft", "cancelled", 487, "caller"],
    ]);
  });

  it("says the gateway hung up when the node sent the BYEs without receiving one", () => {
    const inputs = scriptedCall(inboundCall());
    const bye = inputs.findIndex((i) => String(i.payload).startsWith("BYE"));
    const answered = inputs.slice(0, bye);
    const d = {
      callId: "call-1@pbx",
      from: "sip:0470123456@caller.example",
      fromTag: "ftag",
      toTag: "ttag",
    };
    const last = answered[answered.length - 1]!.atMs!;
    const records = deriveCdrs(
      finish([
        ...answered,
        {
          source: NODE_PBX,
          destination: PBX,
          atMs: last + 1000,
          payload: sipRequest("BYE", "sip:x@pbx", { ...d, to: "sip:dev_1@node" }, 2),
        },
        {
          source: NODE_MICROSOFT,
          destination: MICROSOFT,
          atMs: last + 1001,
          payload: sipRequest("BYE", "sip:x@ms", { ...d, to: "sip:+3211000001@ms" }, 2),
        },
        {
          source: PBX,
          destination: NODE_PBX,
          atMs: last + 1002,
          payload: sipResponse(200, "OK", "BYE", { ...d, to: "sip:dev_1@node" }, 2),
        },
      ]),
      owner,
    );
    expect(records.map((r) => r.hangupSide)).toEqual(["gateway", "gateway"]);
  });

  it("leaves out of the parties what the API would refuse (control characters, U+FFFD)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 300 }),
          fc.constantFrom("%00%01abc", "a%C3", "x\u0085y", "\ufffd", "😀".repeat(150)),
        ),
        (raw) => {
          const caller = raw.replace(/[\r\n]/g, "");
          const inputs = scriptedCall(inboundCall({ caller, pai: caller }));
          const collector = new CallCollector(collectorOptions);
          for (const input of inputs) collector.add(decodeHep(encodeHep(input))!, input.atMs!);
          for (const call of collector.takeFinished(Number.MAX_SAFE_INTEGER))
            for (const record of deriveCdrs(call, owner)) CdrRecord.parse(record);
        },
      ),
    );
  });

  it("describes interleaved calls as it describes each alone", () => {
    const outcome = fc.oneof(
      fc.record({
        answered: fc.constant(true as const),
        hangup: fc.constantFrom("caller" as const, "callee" as const),
        talkMs: fc.nat(3_600_000),
      }),
      fc.record({
        answered: fc.constant(false as const),
        status: fc.constantFrom(404, 408, 480, 486, 487, 503, 600),
        reason: fc.constant("Reason"),
      }),
      fc.record({ answered: fc.constant(false as const), cancel: fc.constant(true as const) }),
    );
    const scripts = fc.array(
      fc.record({
        from: fc.constantFrom("pbx" as const, "microsoft" as const),
        outcome,
        t0: fc.integer({ min: t0, max: t0 + 60_000 }),
      }),
      { minLength: 1, maxLength: 5 },
    );
    fc.assert(
      fc.property(scripts, fc.infiniteStream(fc.nat()), (list, picks) => {
        const calls = list.map((s, i) => scriptedCall(inboundCall({ ...s, callId: `call-${i}` })));
        // a random interleaving that keeps each call's own order
        const queues = calls.map((c) => [...c]);
        const merged: HepInput[] = [];
        const pick = picks[Symbol.iterator]();
        for (;;) {
          const open = queues.filter((q) => q.length > 0);
          if (open.length === 0) break;
          merged.push(open[pick.next().value % open.length]!.shift()!);
        }
        const collector = new CallCollector(collectorOptions);
        for (const input of merged) collector.add(decodeHep(encodeHep(input))!, input.atMs!);
        const together = collector
          .takeFinished(Number.MAX_SAFE_INTEGER)
          .flatMap((call) => deriveCdrs(call, owner))
          .sort((a, b) => (a.callId + a.leg < b.callId + b.leg ? -1 : 1));
        const alone = calls
          .flatMap((c) => deriveCdrs(finish(c), owner))
          .sort((a, b) => (a.callId + a.leg < b.callId + b.leg ? -1 : 1));
        expect(together).toEqual(alone);
      }),
      { numRuns: 50 },
    );
  });

  it("gives no record for a call handed over unfinished", () => {
    const call = finish(scriptedCall(inboundCall()));
    expect(deriveCdrs({ ...call, complete: false }, owner)).toEqual([]);
  });

  it("always gives records the API accepts", () => {
    const outcome = fc.oneof(
      fc.record({
        answered: fc.constant(true as const),
        hangup: fc.constantFrom("caller" as const, "callee" as const),
        talkMs: fc.nat(7 * 86_400_000),
      }),
      fc.record({
        answered: fc.constant(false as const),
        status: fc.integer({ min: 300, max: 699 }),
        reason: fc.string({ maxLength: 300 }).map((r) => r.replace(/[\r\n]/g, " ")),
      }),
      fc.record({ answered: fc.constant(false as const), cancel: fc.constant(true as const) }),
    );
    const user = fc.stringMatching(/^[+0-9a-z_]{1,250}$/);
    fc.assert(
      fc.property(
        fc.constantFrom("pbx" as const, "microsoft" as const),
        user,
        user,
        user,
        outcome,
        (from, caller, calleeIn, calleeOut, o) => {
          const call = finish(
            scriptedCall(inboundCall({ from, caller, calleeIn, calleeOut, outcome: o })),
          );
          const records = deriveCdrs(call, owner);
          expect(records).toHaveLength(2);
          for (const record of records) CdrRecord.parse(record);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("regionCallOwner", () => {
  const ownerOf = (overrides: Partial<CallScript>, lookup: CallOwnerLookup = owner) =>
    lookup(finish(scriptedCall(inboundCall(overrides))));

  it("finds an inbound call's user by the device the PBX called", () => {
    expect(ownerOf({ calleeIn: "dev_2", calleeOut: "+3299" })).toEqual({
      userId: "usr_2",
      enterpriseId: "ent_1",
    });
  });

  it("finds a trunk user's inbound call by the number called", () => {
    expect(ownerOf({ calleeIn: "3211000003", calleeOut: "+3211000003" })).toEqual({
      userId: "usr_3",
      enterpriseId: "ent_1",
    });
  });

  it("finds an outbound call's user by the calling number, with or without its +", () => {
    for (const caller of ["+3211000001", "3211000001"])
      expect(ownerOf({ from: "microsoft", caller })).toEqual({
        userId: "usr_1",
        enterpriseId: "ent_1",
      });
  });

  it("finds nobody for numbers and devices the region does not know", () => {
    expect(ownerOf({ calleeIn: "dev_9", calleeOut: "+3299" })).toBeNull();
    expect(ownerOf({ from: "microsoft", caller: "+3299" })).toBeNull();
  });
});

describe("toE164", () => {
  it("adds the + and drops separators", () => {
    expect(toE164("32 11 000-001")).toBe("+3211000001");
    expect(toE164("+3211000001")).toBe("+3211000001");
  });
});
