/**
 * The PBX's last final answer to each device's REGISTER, read from the SIP Kamailio mirrors:
 * uac keeps a registration's state but not the code that failed it, and the portal shows it
 * ("failed: 403 Forbidden"). A REGISTER names the device in its Contact user (the agent registers
 * each device with its id there) and keeps its Call-ID, so the answer is matched by Call-ID.
 * Bounded: at most `maxDevices` Call-IDs and answers are kept, the oldest forgotten first.
 */
import type { SipSummary } from "./sip-summary.ts";

export interface RegisterOutcome {
  code: number;
  reason: string | null;
  at: number;
}

export class RegisterOutcomes {
  private readonly deviceByCallId = new Map<string, string>();
  private readonly lastByDevice = new Map<string, RegisterOutcome>();
  /** The REGISTER (Call-ID and CSeq) each device's last answer was to. */
  private readonly answeredByDevice = new Map<string, { callId: string; cseq: number | null }>();

  constructor(private readonly maxDevices = 50_000) {}

  /** Takes one mirrored message; anything but a REGISTER or an answer to one is ignored. */
  observe(sip: SipSummary, at: number): void {
    if (!sip.callId) return;
    if (sip.method === "REGISTER") {
      if (!sip.contactUser) return;
      remember(this.deviceByCallId, sip.callId, sip.contactUser, this.maxDevices);
      // its answer came first: the node sends a REGISTER from one process and reads the answer
      // in another, each mirroring its own message, so the copies may arrive out of order
      const answered = this.answeredByDevice.get(sip.contactUser);
      if (
        answered?.callId === sip.callId &&
        answered.cseq !== null &&
        sip.cseqNumber !== null &&
        sip.cseqNumber <= answered.cseq
      )
        return;
      // until the PBX answers this REGISTER, its outcome is that none came: a registration that
      // fails now timed out (not the answer to an earlier REGISTER)
      remember(this.lastByDevice, sip.contactUser, { ...unanswered, at }, this.maxDevices);
      return;
    }
    if (sip.status === null || sip.status < 200 || sip.cseqMethod !== "REGISTER") return;
    const deviceId = this.deviceByCallId.get(sip.callId);
    if (!deviceId) return;
    remember(
      this.lastByDevice,
      deviceId,
      { code: sip.status, reason: explainedReason(sip), at },
      this.maxDevices,
    );
    remember(
      this.answeredByDevice,
      deviceId,
      { callId: sip.callId, cseq: sip.cseqNumber },
      this.maxDevices,
    );
  }

  /**
   * The PBX's final answer to this device's last REGISTER (408 while none came), if a REGISTER
   * of it was seen.
   */
  lastFor(deviceId: string): RegisterOutcome | undefined {
    return this.lastByDevice.get(deviceId);
  }
}

/** A REGISTER the PBX has not answered (yet): tm's 408 once its timer runs out. */
const unanswered = { code: 408, reason: "Request Timeout: no answer from the PBX" } as const;

/** Sets a key as the newest entry, dropping the oldest past `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/**
 * The PBX's reason phrase; for a challenge offering no MD5 digest it says why the registration
 * cannot go on: the node's Kamailio (5.6, Debian 12) answers MD5 only, so a PBX that insists on
 * SHA-256 gets no answer (a PBX offering both is answered with MD5, see the configuration's
 * reply_route).
 */
function explainedReason(sip: SipSummary): string | null {
  const algorithms = sip.digestAlgorithms;
  if ((sip.status !== 401 && sip.status !== 407) || algorithms.length === 0) return sip.reason;
  if (algorithms.includes("MD5")) return sip.reason;
  const offered = [...new Set(algorithms)].join(", ");
  return `${sip.reason ?? "Unauthorized"}: the PBX offers only ${offered} digest; this gateway answers MD5`;
}
