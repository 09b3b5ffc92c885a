/**
 * Collects the SIP messages Kamailio mirrors into calls: grouped by Call-ID, each message put on
 * its leg (the Microsoft side or the PBX side of the node) and numbered from 0 within it. Each
 * message comes out at once as a trace message (at most `maxTraceMessagesPerLeg` per leg, each
 * cut to `maxTraceMessageBytes`); the call keeps only what its call record needs, and is handed
 * over once it ended and stayed quiet for a short linger. Pure: time is passed in.
 */

import { hasForbiddenCharacters } from "../../shared/contracts/common.ts";
import {
  maxTraceMessageBytes,
  maxTraceMessagesPerLeg,
  type SipTraceMessage,
} from "../../shared/contracts/gateway.ts";
import { type HepEndpoint, type HepPacket, hepTimeMs } from "./hep.ts";
import { readSipSummary, type SipSummary } from "./sip-summary.ts";

/** The side of the node a message was exchanged with. */
export type CallLeg = "microsoft" | "pbx";
/** `in`: received by the node; `out`: sent by it. */
export type MessageDirection = "in" | "out";

/** A SIP listener of the node; address `0.0.0.0` or `::` matches any address. */
export interface LocalEndpoint {
  address: string;
  port: number;
}

/** The node's listeners and the collector's bounds. */
export interface CallCollectorOptions {
  /** The node's PBX-side listener: messages the node exchanges on it are on the `pbx` leg. */
  pbx: LocalEndpoint;
  /** Every SIP listener of the node (the PBX side's included). */
  listeners: readonly LocalEndpoint[];
  /** Calls held at once (default 10,000): beyond, the oldest is dropped and counted. */
  maxCalls?: number;
  /** Quiet time after the end before a call is handed over (default 2 s: the ACK, the BYE's 200). */
  lingerMs?: number;
  /** A call without a message for this long is handed over unfinished (default 2 h). */
  idleMs?: number;
  maxMessagesPerLeg?: number;
  maxMessageBytes?: number;
}

/** A timed event of a leg and who sent it. */
export interface LegEvent {
  at: number;
  direction: MessageDirection;
}

/** What a leg's call record is derived from. */
export interface LegRecord {
  leg: CallLeg;
  /** The first INVITE on the leg (no To tag); null when none was seen. */
  invite: (LegEvent & { summary: SipSummary }) | null;
  /** Any response to the INVITE was seen (a provisional one included). */
  responded: boolean;
  /** The 2xx to the INVITE. */
  answer: (LegEvent & { status: number; reason: string | null; codec: string | null }) | null;
  /** The final non-2xx to the INVITE (a later INVITE, e.g. with credentials, clears it). */
  failure: (LegEvent & { status: number; reason: string | null }) | null;
  cancel: LegEvent | null;
  bye: LegEvent | null;
  /** The codec of an SDP sent with the ACK (a late offer's answer). */
  ackCodec: string | null;
  /** The first and last message times of the leg. */
  firstAt: number;
  lastAt: number;
  /** Messages on the leg (the ones past the cap were not traced). */
  messages: number;
}

/** A call handed over: ended (`complete`), or idle too long. */
export interface FinishedCall {
  callId: string;
  complete: boolean;
  /** In the order their first message was seen. */
  legs: LegRecord[];
}

/** What the collector saw and left out, since it started. */
export interface CollectorStats {
  /** Calls started by an INVITE. */
  callsSeen: number;
  /** Calls held now. */
  open: number;
  /** Calls dropped because too many were held. */
  evicted: number;
  /** Calls handed over unfinished after `idleMs` without a message. */
  idle: number;
  /** Messages not traced: past the per-leg cap. */
  overCap: number;
  /** Messages cut to `maxMessageBytes`. */
  truncated: number;
}

interface CallState {
  callId: string;
  legs: Map<CallLeg, LegRecord>;
  /** Receive time of the last message (the collector's clock). */
  seenAt: number;
}

/** Call-IDs beyond this length are not traced (the API refuses them). */
const maxCallIdLength = 200;
const ignoredMethods = new Set(["OPTIONS", "REGISTER"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/** A mirrored message's text and what `readSipSummary` reads of it (null: not SIP). */
export interface ReadSip {
  text: string;
  summary: SipSummary | null;
}

/** Reads a HEP payload once, for every consumer of the message. */
export function readSip(payload: Uint8Array): ReadSip {
  const text = decoder.decode(payload);
  return { text, summary: readSipSummary(text) };
}

/**
 * `text` cut to at most `maxBytes` bytes of UTF-8 at a character boundary: the longest prefix
 * that fits, never half a character.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // back off over continuation bytes (10xxxxxx) to the start of the cut character
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}

const isAnyAddress = (address: string) => address === "0.0.0.0" || address === "::";
const matches = (listener: LocalEndpoint, end: HepEndpoint) =>
  listener.port === end.port &&
  (isAnyAddress(listener.address) || listener.address === end.address);
const endpointText = (end: HepEndpoint) =>
  end.address.includes(":") ? `[${end.address}]:${end.port}` : `${end.address}:${end.port}`;

function newLeg(leg: CallLeg, at: number): LegRecord {
  return {
    leg,
    invite: null,
    responded: false,
    answer: null,
    failure: null,
    cancel: null,
    bye: null,
    ackCodec: null,
    firstAt: at,
    lastAt: at,
    messages: 0,
  };
}

/** The leg ended: a BYE, or a final failure to its INVITE. */
const hasEnded = (leg: LegRecord) =>
  leg.bye !== null || (leg.answer === null && leg.failure !== null);

/**
 * A call has ended once one of its legs ended and every leg that carried an INVITE ended too, or
 * never will on the wire: unanswered and either never answered at all or cancelled (the node
 * gave up on it).
 */
export function isCallComplete(legs: Iterable<LegRecord>): boolean {
  const invited = [...legs].filter((leg) => leg.invite !== null);
  if (!invited.some(hasEnded)) return false;
  return invited.every(
    (leg) => hasEnded(leg) || (leg.answer === null && (leg.cancel !== null || !leg.responded)),
  );
}

/** Groups mirrored SIP messages into calls; see the file's comment. */
export class CallCollector {
  private readonly calls = new Map<string, CallState>();
  private readonly options: Required<CallCollectorOptions>;
  private readonly counts: Omit<CollectorStats, "open"> = {
    callsSeen: 0,
    evicted: 0,
    idle: 0,
    overCap: 0,
    truncated: 0,
  };

  constructor(options: CallCollectorOptions) {
    this.options = {
      maxCalls: 10_000,
      lingerMs: 2_000,
      idleMs: 2 * 3600_000,
      maxMessagesPerLeg: maxTraceMessagesPerLeg,
      maxMessageBytes: maxTraceMessageBytes,
      ...options,
    };
  }

  get stats(): CollectorStats {
    return { ...this.counts, open: this.calls.size };
  }

  /** Which way a message went and on which leg, from the node's listeners. */
  classify(packet: HepPacket): { direction: MessageDirection; leg: CallLeg } {
    const isIn = this.options.listeners.some((l) => matches(l, packet.destination));
    const local = isIn ? packet.destination : packet.source;
    return {
      direction: isIn ? "in" : "out",
      leg: matches(this.options.pbx, local) ? "pbx" : "microsoft",
    };
  }

  /**
   * Takes one mirrored packet at `receivedAt` (ms); returns its trace message, or null when it is
   * not traced (not SIP of a call, OPTIONS or REGISTER, past the leg's cap).
   */
  add(
    packet: HepPacket,
    receivedAt: number,
    read: ReadSip = readSip(packet.payload),
  ): SipTraceMessage | null {
    let text = read.text;
    const summary = read.summary;
    // a Call-ID the API would refuse (too long, control characters) cannot name a trace or record
    if (
      !summary?.callId ||
      summary.callId.length > maxCallIdLength ||
      hasForbiddenCharacters(summary.callId)
    )
      return null;
    if (summary.cseqMethod && ignoredMethods.has(summary.cseqMethod)) return null;
    const callId = summary.callId;
    let call = this.calls.get(callId);
    if (!call) {
      // only an INVITE outside a dialog starts a call: anything else (a late retransmission, a
      // NOTIFY, a dialog from before a restart) is not one this node can describe
      if (summary.method !== "INVITE" || summary.to?.tag) return null;
      call = { callId, legs: new Map(), seenAt: receivedAt };
      this.calls.set(callId, call);
      this.counts.callsSeen++;
      this.evictOverflow();
    }
    call.seenAt = receivedAt;
    const at = hepTimeMs(packet) ?? receivedAt;
    const { direction, leg: legName } = this.classify(packet);
    let leg = call.legs.get(legName);
    if (!leg) {
      leg = newLeg(legName, at);
      call.legs.set(legName, leg);
    }
    leg.lastAt = Math.max(leg.lastAt, at);
    record(leg, summary, { at, direction });

    const seq = leg.messages++;
    if (seq >= this.options.maxMessagesPerLeg) {
      this.counts.overCap++;
      return null;
    }
    text = text.replaceAll("\0", "\uFFFD");
    const cut = truncateUtf8(text, this.options.maxMessageBytes);
    if (cut.length < text.length) this.counts.truncated++;
    if (cut === "") return null;
    return {
      callId,
      leg: legName,
      seq,
      at: new Date(at).toISOString(),
      direction,
      source: endpointText(packet.source),
      destination: endpointText(packet.destination),
      message: cut,
    };
  }

  /**
   * Hands over the calls that ended and stayed quiet for the linger, and those idle too long;
   * with `all`, every ended call at once, lingering or not (on stop).
   */
  takeFinished(now: number, all = false): FinishedCall[] {
    const out: FinishedCall[] = [];
    for (const call of this.calls.values()) {
      const complete = isCallComplete(call.legs.values());
      const quiet = now - call.seenAt;
      if (complete && (all || quiet >= this.options.lingerMs)) {
        out.push({ callId: call.callId, complete: true, legs: [...call.legs.values()] });
      } else if (quiet >= this.options.idleMs) {
        out.push({ callId: call.callId, complete: false, legs: [...call.legs.values()] });
        this.counts.idle++;
      }
    }
    for (const call of out) this.calls.delete(call.callId);
    return out;
  }

  private evictOverflow(): void {
    while (this.calls.size > this.options.maxCalls) {
      const oldest = this.calls.keys().next();
      if (oldest.done) return;
      this.calls.delete(oldest.value);
      this.counts.evicted++;
    }
  }
}

/** Updates a leg with one message. */
function record(leg: LegRecord, m: SipSummary, event: LegEvent): void {
  if (m.method === "INVITE" && !m.to?.tag) {
    if (!leg.invite) leg.invite = { ...event, summary: m };
    // a new attempt (with credentials, or to the next proxy) while unanswered
    else if (!leg.answer) leg.failure = null;
  } else if (m.method === "CANCEL") {
    leg.cancel ??= event;
  } else if (m.method === "BYE") {
    leg.bye ??= event;
  } else if (m.method === "ACK") {
    leg.ackCodec ??= m.audioCodec;
  } else if (m.status !== null && m.cseqMethod === "INVITE" && leg.invite && !leg.answer) {
    leg.responded = true;
    if (m.status >= 200 && m.status < 300)
      leg.answer = { ...event, status: m.status, reason: m.reason, codec: m.audioCodec };
    else if (m.status >= 300 && !leg.failure)
      leg.failure = { ...event, status: m.status, reason: m.reason };
  }
}
