import type { CallView } from "../../../shared/contracts/calls.ts";

/** "1:05" (minutes:seconds), or "1:02:05" past an hour. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** The final SIP code and reason, such as "486 Busy Here"; an em dash without a code. */
export function sipOutcomeOf(call: Pick<CallView, "sipCode" | "sipReason">): string {
  if (call.sipCode === null) return "—";
  return call.sipReason ? `${call.sipCode} ${call.sipReason}` : String(call.sipCode);
}

/** "10:04:05.123" (UTC) of an ISO instant: a trace's messages are milliseconds apart. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 23);
}
