/**
 * Whole calls as the node mirrors them, for tests: each SIP message with its addresses and time,
 * ready for `encodeHep`. The node listens on 127.0.0.1:5060 towards the PBX (127.0.0.1:5070) and
 * on 127.0.0.1:5061 towards Microsoft (127.0.0.1:5080).
 */
import type { HepInput } from "./hep.test-support.ts";
import { type DialogParties, sdp, sipRequest, sipResponse } from "./sip.test-support.ts";

export const NODE_PBX = { address: "127.0.0.1", port: 5060 };
export const NODE_MICROSOFT = { address: "127.0.0.1", port: 5061 };
export const PBX = { address: "127.0.0.1", port: 5070 };
export const MICROSOFT = { address: "127.0.0.1", port: 5080 };
export const collectorOptions = { pbx: NODE_PBX, listeners: [NODE_PBX, NODE_MICROSOFT] };

type Endpoint = { address: string; port: number };
type Side = "pbx" | "microsoft";
const remote = (side: Side) => (side === "pbx" ? PBX : MICROSOFT);
const local = (side: Side) => (side === "pbx" ? NODE_PBX : NODE_MICROSOFT);

export interface CallScript {
  callId: string;
  t0: number;
  /** Where the call comes in from: `pbx` (inbound) or `microsoft` (outbound). */
  from: Side;
  caller: string;
  /** R-URI user on the incoming leg (a device id from the PBX, a number from Microsoft). */
  calleeIn: string;
  /** R-URI user on the outgoing leg. */
  calleeOut: string;
  pai?: string;
  /** How it ends. */
  outcome:
    | { answered: true; hangup: "caller" | "callee"; talkMs: number }
    | { answered: false; status: number; reason: string }
    | { answered: false; cancel: true };
}

/** The messages of one call through the node, both legs, in time order. */
/** The time the scripted calls start at. */
export const t0 = Date.parse("2026-12-04T10:00:00Z");

/** A call from the PBX to dev_1 (+3211000001), answered, the callee hanging up after a minute. */
export const inboundCall = (overrides: Partial<CallScript> = {}): CallScript => ({
  callId: "call-1@pbx",
  t0,
  from: "pbx",
  caller: "0470123456",
  calleeIn: "dev_1",
  calleeOut: "+3211000001",
  outcome: { answered: true, hangup: "callee", talkMs: 60_000 },
  ...overrides,
});

export function scriptedCall(s: CallScript): HepInput[] {
  const into = s.from;
  const onward: Side = into === "pbx" ? "microsoft" : "pbx";
  const out: HepInput[] = [];
  let t = s.t0;
  // `in` on a side: from the remote party to the node; `out`: the node to the remote party
  const push = (side: Side, way: "in" | "out", payload: string, dt = 5) => {
    t += dt;
    const [source, destination]: [Endpoint, Endpoint] =
      way === "in" ? [remote(side), local(side)] : [local(side), remote(side)];
    out.push({ source, destination, atMs: t, payload });
  };
  const legIn: DialogParties = {
    callId: s.callId,
    from: `sip:${s.caller}@caller.example`,
    fromTag: "ftag",
    to: `sip:${s.calleeIn}@node.example`,
    ...(s.pai ? { pai: `sip:${s.pai}@caller.example` } : {}),
  };
  const legOut: DialogParties = {
    ...legIn,
    to: `sip:${s.calleeOut}@callee.example`,
  };
  const ruriIn = `sip:${s.calleeIn}@127.0.0.1:${local(into).port}`;
  const ruriOut = `sip:${s.calleeOut}@127.0.0.1:${remote(onward).port}`;
  const offer = sdp([
    [8, "PCMA"],
    [0, "PCMU"],
  ]);
  const answer = sdp([[8, "PCMA"]], 50000);

  push(into, "in", sipRequest("INVITE", ruriIn, legIn, 1, offer), 0);
  push(into, "out", sipResponse(100, "Trying", "INVITE", legIn));
  push(onward, "out", sipRequest("INVITE", ruriOut, legOut, 1, offer));
  push(onward, "in", sipResponse(100, "Trying", "INVITE", legOut));
  push(onward, "in", sipResponse(180, "Ringing", "INVITE", { ...legOut, toTag: "ttag" }), 500);
  push(into, "out", sipResponse(180, "Ringing", "INVITE", { ...legIn, toTag: "ttag" }));
  const o = s.outcome;
  if (o.answered) {
    const inA = { ...legIn, toTag: "ttag" };
    const outA = { ...legOut, toTag: "ttag" };
    push(onward, "in", sipResponse(200, "OK", "INVITE", outA, 1, answer), 4_000);
    push(into, "out", sipResponse(200, "OK", "INVITE", inA, 1, answer));
    push(into, "in", sipRequest("ACK", ruriIn, inA, 1));
    push(onward, "out", sipRequest("ACK", ruriOut, outA, 1));
    const [first, second]: [Side, Side] = o.hangup === "caller" ? [into, onward] : [onward, into];
    push(
      first,
      "in",
      sipRequest("BYE", "sip:x@127.0.0.1", first === into ? inA : outA, 2),
      o.talkMs,
    );
    push(second, "out", sipRequest("BYE", "sip:x@127.0.0.1", second === into ? inA : outA, 2));
    push(second, "in", sipResponse(200, "OK", "BYE", second === into ? inA : outA, 2));
    push(first, "out", sipResponse(200, "OK", "BYE", first === into ? inA : outA, 2));
  } else if ("cancel" in o) {
    push(into, "in", sipRequest("CANCEL", ruriIn, legIn, 1), 3_000);
    push(into, "out", sipResponse(200, "OK", "CANCEL", legIn, 1));
    push(onward, "out", sipRequest("CANCEL", ruriOut, legOut, 1));
    push(onward, "in", sipResponse(200, "OK", "CANCEL", legOut, 1));
    const outT = { ...legOut, toTag: "ttag" };
    const inT = { ...legIn, toTag: "ttag" };
    push(onward, "in", sipResponse(487, "Request Terminated", "INVITE", outT));
    push(onward, "out", sipRequest("ACK", ruriOut, outT, 1));
    push(into, "out", sipResponse(487, "Request Terminated", "INVITE", inT));
    push(into, "in", sipRequest("ACK", ruriIn, inT, 1));
  } else {
    const outT = { ...legOut, toTag: "ttag" };
    const inT = { ...legIn, toTag: "ttag" };
    push(onward, "in", sipResponse(o.status, o.reason, "INVITE", outT), 2_000);
    push(onward, "out", sipRequest("ACK", ruriOut, outT, 1));
    push(into, "out", sipResponse(o.status, o.reason, "INVITE", inT));
    push(into, "in", sipRequest("ACK", ruriIn, inT, 1));
  }
  return out;
}
