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

  constructor(private readonly maxDevices = 50_000) {}

  /** Takes one mirrored message; anything but a REGISTER or an answer to one is ignored. */
  observe(sip: SipSummary, at: number): void {
    if (!sip.callId) return;
    if (sip.method === "REGISTER") {
      if (sip.contactUser)
        remember(this.deviceByCallId, sip.callId, sip.contactUser, this.maxDevices);
      return;
    }
    if (sip.status === null || sip.status < 200 || sip.cseqMethod !== "REGISTER") return;
    const deviceId = this.deviceByCallId.get(sip.callId);
    if (!deviceId) return;
    remember(
      this.lastByDevice,
      deviceId,
      { code: sip.status, reason: sip.reason, at },
      this.maxDevices,
    );
  }

  /** The last final answer the PBX gave this device's REGISTER, if one was seen. */
  lastFor(deviceId: string): RegisterOutcome | undefined {
    return this.lastByDevice.get(deviceId);
  }
}

/** Sets a key as the newest entry, dropping the oldest past `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
