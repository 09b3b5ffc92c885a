import { z } from "zod";
import { Id, text } from "./common.ts";
import { callDirections, callDispositions, type hangupSides } from "./gateway.ts";

export { callDirections, callDispositions };
/** `inbound`: towards the Teams user; `outbound`: from the Teams user (as the gateway records it). */
export type CallDirection = (typeof callDirections)[number];
/** How a call ended (SPEC §2.7), as the gateway records it. */
export type CallDisposition = (typeof callDispositions)[number];
export type HangupSide = (typeof hangupSides)[number];

export const callDispositionLabels: Record<CallDisposition, string> = {
  answered: "Answered",
  busy: "Busy",
  no_answer: "Not answered",
  cancelled: "Cancelled",
  failed: "Failed",
};

/** The default and the largest page of the calls list. */
export const callPageSize = { default: 50, max: 200 } as const;

/**
 * A cursor from a previous page of the calls list: opaque to clients (base64url of the last row's
 * start time in microseconds and its id, so rows starting in the same microsecond page in id order).
 */
const cursorPattern = /^[A-Za-z0-9_-]{4,60}$/;
const cursorMessage = "Must be a cursor from a previous page";

/** The position a cursor names: the last row shown, (started_at, id) in descending order. */
export interface CallCursor {
  startedAtMicros: string;
  id: string;
}

function toBase64Url(value: string): string {
  return btoa(value).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(value: string): string | null {
  try {
    return atob(value.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
}

/** The opaque cursor of a row of the calls list. */
export function encodeCallCursor(cursor: CallCursor): string {
  return toBase64Url(`${cursor.startedAtMicros}.${cursor.id}`);
}

/** The position an opaque cursor names, or null when it is not one this API handed out. */
export function decodeCallCursor(value: string): CallCursor | null {
  if (!cursorPattern.test(value)) return null;
  const match = /^(-?\d{1,17})\.(\d{1,18})$/.exec(fromBase64Url(value) ?? "");
  return match ? { startedAtMicros: match[1]!, id: match[2]! } : null;
}

/** A day (`2026-12-04`, UTC) or an instant with its offset (`2026-12-04T10:00:00Z`). */
const dayPattern = /^\d{4}-\d{2}-\d{2}$/;
const instantMessage = "Must be a date (YYYY-MM-DD) or a date and time with its offset";

function instant(edge: "start" | "end") {
  return text()
    .trim()
    .max(40, instantMessage)
    .transform((value, ctx) => {
      const isDay = dayPattern.test(value);
      const ok = isDay || z.iso.datetime({ offset: true }).safeParse(value).success;
      const date = ok ? new Date(isDay ? `${value}T00:00:00Z` : value) : null;
      if (!date || Number.isNaN(date.getTime())) {
        ctx.addIssue({ code: "custom", message: instantMessage });
        return z.NEVER;
      }
      // A day given as `to` includes the whole of that day.
      if (isDay && edge === "end") date.setUTCDate(date.getUTCDate() + 1);
      return date;
    });
}

/**
 * Query of the calls list, newest first: filters, and a cursor from a previous page (none = the
 * first page). `from` is inclusive and `to` exclusive (a day given as `to` includes that day).
 */
export const CallListQuery = z
  .strictObject({
    cursor: text()
      .regex(cursorPattern, cursorMessage)
      .refine((v) => decodeCallCursor(v) !== null, cursorMessage)
      .optional(),
    pageSize: z.coerce
      .number({ error: "Must be a number" })
      .int("Must be a whole number")
      .min(1, "Must be at least 1")
      .max(callPageSize.max, `Must be at most ${callPageSize.max}`)
      .default(callPageSize.default),
    from: instant("start").optional(),
    to: instant("end").optional(),
    direction: z.enum(callDirections, { error: "Must be inbound or outbound" }).optional(),
    disposition: z
      .enum(callDispositions, { error: `Must be one of ${callDispositions.join(", ")}` })
      .optional(),
    /** Part of the caller's or the callee's number or SIP address, in any case. */
    q: text().trim().max(100, "Must be at most 100 characters").optional(),
    userId: Id.optional(),
  })
  .superRefine((query, ctx) => {
    if (query.from && query.to && query.from >= query.to)
      ctx.addIssue({ code: "custom", path: ["to"], message: "Must be after From" });
  });
export type CallListQuery = z.infer<typeof CallListQuery>;

/** A call's SIP Call-ID (at most 200 characters, as the gateway reports it), percent-encoded in a path. */
export const CallIdParam = {
  callId: text().min(1, "Required").max(200, "Must be at most 200 characters"),
};

/** One leg of a call (a CDR) as the API shows it. */
export interface CallView {
  id: string;
  callId: string;
  leg: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  durationSeconds: number;
  direction: CallDirection;
  caller: string;
  callee: string;
  userId: string | null;
  /** The user's display name, or null when the call had no user or the user is gone. */
  userName: string | null;
  regionId: string;
  regionName: string | null;
  nodeId: string;
  nodeName: string | null;
  disposition: CallDisposition;
  sipCode: number | null;
  sipReason: string | null;
  hangupSide: HangupSide | null;
  codec: string | null;
  /** Whether SIP messages of this call were kept (GET …/calls/{callId}). */
  hasTrace: boolean;
}

/** A page of the calls list, newest first, and the cursor of the next (older) page. */
export interface CallListResponse {
  items: CallView[];
  pageSize: number;
  /** Null on the last page. */
  nextCursor: string | null;
}

/** One SIP message of a call's trace. */
export interface SipMessageView {
  at: string;
  leg: string;
  seq: number;
  direction: "in" | "out";
  source: string;
  destination: string;
  /** The request or status line. */
  firstLine: string;
  message: string;
}

/** A call: its legs, oldest first, and its SIP messages in time order (then leg, then seq). */
export interface CallDetailView {
  callId: string;
  legs: CallView[];
  messages: SipMessageView[];
}
