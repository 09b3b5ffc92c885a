import type { CallView, SipMessageView } from "../../../shared/contracts/calls.ts";
import type { CallRow, SipTraceRow } from "./calls.queries.ts";

/** A call record (one leg) as the API shows it. */
export function presentCall(row: CallRow): CallView {
  return {
    id: String(row.id),
    callId: row.callId,
    leg: row.leg,
    startedAt: row.startedAt.toISOString(),
    answeredAt: row.answeredAt?.toISOString() ?? null,
    endedAt: row.endedAt.toISOString(),
    durationSeconds: row.durationSeconds,
    direction: row.direction,
    caller: row.caller,
    callee: row.callee,
    userId: row.userId,
    userName: row.userName,
    regionId: row.regionId,
    regionName: row.regionName,
    nodeId: row.nodeId,
    nodeName: row.nodeName,
    disposition: row.disposition,
    sipCode: row.sipCode,
    sipReason: row.sipReason,
    hangupSide: row.hangupSide,
    codec: row.codec,
    hasTrace: row.hasTrace,
  };
}

/** The request or status line of a SIP message (its text up to the first line break). */
export function firstLineOf(message: string): string {
  return message.split(/\r?\n/, 1)[0] ?? "";
}

/** One SIP message of a call's trace. */
export function presentSipMessage(row: SipTraceRow): SipMessageView {
  return {
    at: row.at.toISOString(),
    leg: row.leg,
    seq: row.seq,
    direction: row.direction,
    source: row.source,
    destination: row.destination,
    firstLine: firstLineOf(row.message),
    message: row.message,
  };
}
