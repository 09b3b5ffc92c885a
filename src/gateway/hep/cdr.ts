/**
 * Call records derived from a finished call (SPEC §2.7): one per leg that carried an INVITE, with
 * the direction, the parties, the times, the outcome, who hung up and the codec. Pure: the user
 * and enterprise come from a lookup the caller passes in.
 */
import type { CdrRecord } from "../../shared/contracts/gateway.ts";
import type { RegionState } from "../state.ts";
import type { CallLeg, FinishedCall, LegRecord, MessageDirection } from "./calls.ts";

/** The Teams user a call belongs to. */
export interface CallOwner {
  userId: string;
  enterpriseId: string;
}

/** Finds a finished call's Teams user; null when the region does not know it. */
export type CallOwnerLookup = (call: FinishedCall) => CallOwner | null;

type Invited = LegRecord & { invite: NonNullable<LegRecord["invite"]> };

const invitedLegs = (call: FinishedCall): Invited[] =>
  call.legs
    .filter((leg): leg is Invited => leg.invite !== null)
    .sort((a, b) => a.invite.at - b.invite.at);

/** Where the call started: the leg of its first INVITE and which way that INVITE went. */
function originOf(call: FinishedCall): { leg: CallLeg; direction: MessageDirection } | null {
  const first = invitedLegs(call)[0];
  return first ? { leg: first.leg, direction: first.invite.direction } : null;
}

/**
 * `outbound` when the call came in from Microsoft (a Teams user calling out), `inbound` when it
 * came in from the PBX; a call seen only as the node's own INVITE is the other way round.
 */
export function callDirection(call: FinishedCall): CdrRecord["direction"] | null {
  const origin = originOf(call);
  if (!origin) return null;
  const fromMicrosoft = (origin.leg === "microsoft") === (origin.direction === "in");
  return fromMicrosoft ? "outbound" : "inbound";
}

/** The calling party of an INVITE: P-Asserted-Identity's user, else From's. */
export const callerOf = (leg: Invited) =>
  leg.invite.summary.assertedUser ?? leg.invite.summary.from?.user ?? "";
/** The called party of an INVITE: the Request-URI's user, else To's. */
export const calleeOf = (leg: Invited) =>
  leg.invite.summary.requestUser ?? leg.invite.summary.to?.user ?? "";

/**
 * Who hung up: the caller or the callee by the first BYE the node received (the side it came
 * from), `gateway` when the node sent BYEs without receiving one; a caller's CANCEL is the caller.
 */
function hangupSideOf(call: FinishedCall): CdrRecord["hangupSide"] {
  const origin = originOf(call);
  if (!origin) return null;
  const byes = call.legs
    .flatMap((leg) => (leg.bye ? [{ leg: leg.leg, ...leg.bye }] : []))
    .sort((a, b) => a.at - b.at);
  const originLeg = call.legs.find((leg) => leg.leg === origin.leg);
  if (byes.length === 0) {
    const cancel = originLeg?.cancel;
    return cancel && cancel.direction === origin.direction ? "caller" : null;
  }
  if (origin.direction === "out") {
    // the node itself placed the call: it speaks for the caller
    const bye = byes[0]!;
    if (bye.leg !== origin.leg) return bye.direction === "in" ? "callee" : "gateway";
    return bye.direction === "out" ? "caller" : "callee";
  }
  const received = byes.find((bye) => bye.direction === "in");
  if (!received) return "gateway";
  return received.leg === origin.leg ? "caller" : "callee";
}

function dispositionOf(leg: Invited, callerCancelled: boolean): CdrRecord["disposition"] {
  if (leg.answer) return "answered";
  const status = leg.failure?.status;
  if (status === 486 || status === 600) return "busy";
  if (status === 408 || status === 480) return "no_answer";
  if (status === 487 || status === undefined) {
    if (callerCancelled) return "cancelled";
    return status === 487 || leg.cancel ? "no_answer" : "failed";
  }
  return "failed";
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Single-line text the API accepts: control characters and U+FFFD left out, at most `max`. */
function clean(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const kept = text.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, "").slice(0, max);
  // never half of a surrogate pair at the cut
  return /[\ud800-\udbff]$/.test(kept) ? kept.slice(0, -1) : kept;
}
const cut = (text: string | null | undefined, max: number) =>
  text === null || text === undefined ? null : clean(text, max) || null;
const maxDurationSeconds = 7 * 86_400;

/** One record per leg with an INVITE of an ended call; none for a call handed over unfinished. */
export function deriveCdrs(call: FinishedCall, owner: CallOwnerLookup): CdrRecord[] {
  if (!call.complete) return [];
  const direction = callDirection(call);
  const origin = originOf(call);
  if (!direction || !origin) return [];
  const originLeg = call.legs.find((leg) => leg.leg === origin.leg);
  const callerCancelled = Boolean(
    originLeg?.cancel && originLeg.cancel.direction === origin.direction,
  );
  const hangupSide = hangupSideOf(call);
  const found = owner(call);
  return invitedLegs(call).map((leg) => {
    const answeredAt = leg.answer?.at ?? null;
    const endedAt = Math.max(
      leg.invite.at,
      leg.answer ? (leg.bye?.at ?? leg.lastAt) : (leg.failure?.at ?? leg.cancel?.at ?? leg.lastAt),
    );
    const final = leg.answer ?? leg.failure;
    return {
      callId: call.callId,
      leg: leg.leg,
      enterpriseId: found?.enterpriseId ?? null,
      userId: found?.userId ?? null,
      direction,
      caller: clean(callerOf(leg), 200),
      callee: clean(calleeOf(leg), 200),
      startedAt: iso(leg.invite.at),
      answeredAt: answeredAt === null ? null : iso(answeredAt),
      endedAt: iso(endedAt),
      disposition: dispositionOf(leg, callerCancelled),
      sipCode: final?.status ?? null,
      sipReason: cut(final?.reason, 200),
      hangupSide,
      codec: cut(leg.answer?.codec ?? leg.ackCodec, 32),
      durationSeconds:
        answeredAt === null
          ? 0
          : Math.min(maxDurationSeconds, Math.max(0, Math.round((endedAt - answeredAt) / 1000))),
    };
  });
}

/** A number as the region indexes it: E.164 with its `+`. */
export const toE164 = (number: string) => {
  const digits = number.replace(/[\s\-().]/g, "");
  return digits.startsWith("+") ? digits : `+${digits}`;
};

/**
 * The owner of a call in the region: outbound, the Teams user whose number called (the
 * Microsoft leg's caller); inbound, the user whose device the PBX called (the gateway registers
 * each device with its id as Contact user), else the user of the called number (trunk users).
 */
export function regionCallOwner(state: RegionState): CallOwnerLookup {
  return (call) => {
    const legs = invitedLegs(call);
    const on = (name: CallLeg) => legs.find((leg) => leg.leg === name) ?? legs[0];
    let userId: string | undefined;
    if (callDirection(call) === "outbound") {
      const leg = on("microsoft");
      if (leg) userId = state.userIdByNumber.get(toE164(callerOf(leg)));
    } else {
      const pbx = legs.find((leg) => leg.leg === "pbx");
      if (pbx) userId = state.userIdByDevice.get(calleeOf(pbx));
      const leg = on("microsoft");
      if (!userId && leg) userId = state.userIdByNumber.get(toE164(calleeOf(leg)));
    }
    const user = userId === undefined ? undefined : state.users.get(userId);
    return user ? { userId: user.userId, enterpriseId: user.enterpriseId } : null;
  };
}
