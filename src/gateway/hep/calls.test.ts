import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  collectorOptions,
  inboundCall,
  MICROSOFT,
  NODE_MICROSOFT,
  NODE_PBX,
  PBX,
  scriptedCall,
  t0,
} from "./calls.test-support.ts";
import { CallCollector, type CallCollectorOptions, truncateUtf8 } from "./calls.ts";
import { encodeHep, type HepInput } from "./hep.test-support.ts";
import { decodeHep, type HepPacket } from "./hep.ts";
import { sipRequest, sipResponse } from "./sip.test-support.ts";

const packet = (input: HepInput): HepPacket => decodeHep(encodeHep(input))!;

/** Feeds a script, receiving each message at its capture time; returns the trace messages. */
function feed(collector: CallCollector, inputs: HepInput[]) {
  return inputs.map((input) => collector.add(packet(input), input.atMs ?? 0));
}

const lastAt = (inputs: HepInput[]) => inputs[inputs.length - 1]!.atMs!;

describe("CallCollector.classify", () => {
  it("tells direction by the node's listeners and the leg by the node's end", () => {
    const c = new CallCollector(collectorOptions);
    const p = (source: typeof PBX, destination: typeof PBX) =>
      c.classify(packet({ source, destination, payload: "x" }));
    expect(p(PBX, NODE_PBX)).toEqual({ direction: "in", leg: "pbx" });
    expect(p(NODE_PBX, PBX)).toEqual({ direction: "out", leg: "pbx" });
    expect(p(MICROSOFT, NODE_MICROSOFT)).toEqual({ direction: "in", leg: "microsoft" });
    expect(p(NODE_MICROSOFT, MICROSOFT)).toEqual({ direction: "out", leg: "microsoft" });
  });

  it("tells a PBX sending from the same port as the node apart by its address", () => {
    const node = { address: "10.0.0.5", port: 5060 };
    const pbx = { address: "10.0.0.9", port: 5060 };
    const c = new CallCollector({ pbx: node, listeners: [node] });
    const p = (source: typeof PBX, destination: typeof PBX) =>
      c.classify(packet({ source, destination, payload: "x" }));
    expect(p(pbx, node)).toEqual({ direction: "in", leg: "pbx" });
    expect(p(node, pbx)).toEqual({ direction: "out", leg: "pbx" });
    const any = new CallCollector({
      pbx: { address: "0.0.0.0", port: 5060 },
      listeners: [{ address: "0.0.0.0", port: 5060 }],
    });
    expect(any.classify(packet({ source: MICROSOFT, destination: node, payload: "x" }))).toEqual({
      direction: "in",
      leg: "pbx",
    });
  });
});

describe("CallCollector", () => {
  it("traces every message of a call on its leg, numbered from 0, and hands the call over after the linger", () => {
    const c = new CallCollector(collectorOptions);
    const inputs = scriptedCall(inboundCall());
    const traces = feed(c, inputs);
    expect(traces.every((t) => t !== null)).toBe(true);
    const pbxLeg = traces.filter((t) => t?.leg === "pbx");
    const msLeg = traces.filter((t) => t?.leg === "microsoft");
    expect(pbxLeg.map((t) => t?.seq)).toEqual(pbxLeg.map((_, i) => i));
    expect(msLeg.map((t) => t?.seq)).toEqual(msLeg.map((_, i) => i));
    expect(traces[0]).toEqual({
      callId: "call-1@pbx",
      leg: "pbx",
      seq: 0,
      at: new Date(t0).toISOString(),
      direction: "in",
      source: "127.0.0.1:5070",
      destination: "127.0.0.1:5060",
      message: inputs[0]!.payload,
    });
    expect(traces[2]).toMatchObject({ leg: "microsoft", seq: 0, direction: "out" });

    const end = lastAt(inputs);
    expect(c.takeFinished(end + 1_999)).toEqual([]);
    const [call] = c.takeFinished(end + 2_000);
    expect(call?.complete).toBe(true);
    expect(
      call?.legs.map((l) => [l.leg, l.invite?.direction, l.answer?.codec, l.bye?.direction]),
    ).toEqual([
      ["pbx", "in", "PCMA", "out"],
      ["microsoft", "out", "PCMA", "in"],
    ]);
    expect(c.takeFinished(end + 10_000)).toEqual([]);
    expect(c.stats).toMatchObject({ callsSeen: 1, open: 0 });
  });

  it("hands over an ended call at once when asked for all (on stop), not an open one", () => {
    const c = new CallCollector(collectorOptions);
    feed(c, scriptedCall(inboundCall()));
    feed(c, scriptedCall(inboundCall({ callId: "open" })).slice(0, 6));
    expect(c.takeFinished(t0, true).map((call) => call.callId)).toEqual(["call-1@pbx"]);
  });

  it("ignores OPTIONS and REGISTER, and messages of calls it did not see start", () => {
    const c = new CallCollector(collectorOptions);
    const d = { callId: "ka", from: "sip:a@x", fromTag: "1", to: "sip:b@y" };
    const at = (payload: string) => ({ source: PBX, destination: NODE_PBX, atMs: t0, payload });
    expect(feed(c, [at(sipRequest("OPTIONS", "sip:node", d))])).toEqual([null]);
    expect(feed(c, [at(sipRequest("REGISTER", "sip:pbx", { ...d, callId: "reg" }))])).toEqual([
      null,
    ]);
    expect(feed(c, [at(sipRequest("BYE", "sip:x@y", { ...d, toTag: "2" }, 2))])).toEqual([null]);
    expect(feed(c, [at(sipRequest("INVITE", "sip:x@y", { ...d, toTag: "2" }, 3))])).toEqual([null]);
    expect(feed(c, [at("not sip at all")])).toEqual([null]);
    // a Call-ID the API would refuse
    expect(feed(c, [at(sipRequest("INVITE", "sip:x@y", { ...d, callId: "a\u0001b" }))])).toEqual([
      null,
    ]);
    expect(
      feed(c, [at(sipRequest("INVITE", "sip:x@y", { ...d, callId: "x".repeat(201) }))]),
    ).toEqual([null]);
    expect(c.stats).toMatchObject({ callsSeen: 0, open: 0 });
  });

  it("traces at most the cap per leg, and cuts long messages", () => {
    const options: CallCollectorOptions = {
      ...collectorOptions,
      maxMessagesPerLeg: 3,
      maxMessageBytes: 100,
    };
    const c = new CallCollector(options);
    const traces = feed(c, scriptedCall(inboundCall()));
    const pbxLeg = traces.filter((t) => t?.leg === "pbx");
    expect(pbxLeg.map((t) => t?.seq)).toEqual([0, 1, 2]);
    expect(traces.every((t) => t === null || Buffer.byteLength(t.message) <= 100)).toBe(true);
    expect(c.stats.overCap).toBeGreaterThan(0);
    expect(c.stats.truncated).toBe(6);
    // the call record's events are kept past the cap
    const [call] = c.takeFinished(Number.MAX_SAFE_INTEGER);
    expect(call?.complete).toBe(true);
  });

  it("drops the oldest call beyond the most it holds", () => {
    const c = new CallCollector({ ...collectorOptions, maxCalls: 2 });
    for (const id of ["a", "b", "c"])
      feed(c, scriptedCall(inboundCall({ callId: id })).slice(0, 3));
    expect(c.stats).toMatchObject({ callsSeen: 3, open: 2, evicted: 1 });
    expect(c.takeFinished(t0 + 3 * 3600_000).map((call) => call.callId)).toEqual(["b", "c"]);
  });

  it("hands over a call without a message for the idle time, unfinished", () => {
    const c = new CallCollector({ ...collectorOptions, idleMs: 60_000 });
    const inputs = scriptedCall(inboundCall()).slice(0, 6); // ringing
    feed(c, inputs);
    expect(c.takeFinished(lastAt(inputs) + 59_999)).toEqual([]);
    const [call] = c.takeFinished(lastAt(inputs) + 60_000);
    expect(call?.complete).toBe(false);
    expect(c.stats.idle).toBe(1);
  });

  it("keeps a call going when the INVITE is challenged and sent again", () => {
    const c = new CallCollector(collectorOptions);
    const d = { callId: "auth", from: "sip:+3221@ms", fromTag: "1", to: "sip:101@pbx" };
    const out = (payload: string, dt: number) => ({
      source: NODE_PBX,
      destination: PBX,
      atMs: t0 + dt,
      payload,
    });
    const back = (payload: string, dt: number) => ({
      source: PBX,
      destination: NODE_PBX,
      atMs: t0 + dt,
      payload,
    });
    feed(c, [
      {
        source: MICROSOFT,
        destination: NODE_MICROSOFT,
        atMs: t0,
        payload: sipRequest("INVITE", "sip:101@node", d),
      },
      out(sipRequest("INVITE", "sip:101@pbx", d), 10),
      back(sipResponse(407, "Proxy Authentication Required", "INVITE", { ...d, toTag: "x" }), 20),
      out(sipRequest("ACK", "sip:101@pbx", { ...d, toTag: "x" }), 21),
      out(sipRequest("INVITE", "sip:101@pbx", d, 2), 22),
    ]);
    expect(c.takeFinished(t0 + 60_000)).toEqual([]);
  });

  it("ends a call whose onward INVITE got no answer at all once the caller got its failure", () => {
    const c = new CallCollector(collectorOptions);
    const d = { callId: "down", from: "sip:101@pbx", fromTag: "1", to: "sip:+3211@node" };
    feed(c, [
      {
        source: PBX,
        destination: NODE_PBX,
        atMs: t0,
        payload: sipRequest("INVITE", "sip:dev_1@node", d),
      },
      {
        source: NODE_MICROSOFT,
        destination: MICROSOFT,
        atMs: t0 + 5,
        payload: sipRequest("INVITE", "sip:+3211@ms", d),
      },
      {
        source: NODE_PBX,
        destination: PBX,
        atMs: t0 + 32_000,
        payload: sipResponse(408, "Request Timeout", "INVITE", { ...d, toTag: "n" }),
      },
    ]);
    const [call] = c.takeFinished(t0 + 34_000);
    expect(call?.complete).toBe(true);
  });
});

describe("truncateUtf8", () => {
  it("keeps the longest prefix that fits, never half a character", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), fc.nat(200), (text, max) => {
        const cut = truncateUtf8(text, max);
        const bytes = Buffer.byteLength(cut);
        expect(bytes).toBeLessThanOrEqual(Math.max(max, 0));
        expect(text.startsWith(cut)).toBe(true);
        if (!text.includes("\uFFFD")) expect(cut).not.toContain("\uFFFD");
        if (cut.length < text.length) {
          const next = String.fromCodePoint(text.codePointAt(cut.length)!);
          expect(bytes + Buffer.byteLength(next)).toBeGreaterThan(max);
        }
      }),
    );
  });
});
