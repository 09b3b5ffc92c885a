import {
  type CallingView,
  callingStatusOf,
  type RegistrationEvent,
} from "../../../shared/contracts/calling.ts";
import type { CallingDetail, CallingRow, RegistrationEventRow } from "./calling.queries.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** What the audit log keeps of a configuration: its settings, never a secret. */
export function callingSnapshot(row: CallingRow): Record<string, unknown> {
  return {
    service: row.service,
    pbxId: row.pbxId,
    regionId: row.regionId,
    sipUser: row.sipUser,
    phoneNumber: row.phoneNumber,
    forwardedDids: row.forwardedDids,
    teamsVoicemail: row.teamsVoicemail,
    assignDialPlan: row.assignDialPlan,
    callerNamePolicy: row.callerNamePolicy,
    callerName: row.callerName,
    forwardedCallerId: row.forwardedCallerId,
    tag: row.tag,
  };
}

export function presentCalling({
  calling: c,
  pbxLocationName,
  regionName,
  device,
}: CallingDetail): CallingView {
  return {
    service: c.service,
    pbxId: c.pbxId,
    pbxLocationName,
    regionId: c.regionId,
    regionName,
    sipUser: c.sipUser,
    phoneNumber: c.phoneNumber,
    forwardedDids: c.forwardedDids,
    teamsVoicemail: c.teamsVoicemail,
    assignDialPlan: c.assignDialPlan,
    callerNamePolicy: c.callerNamePolicy,
    callerName: c.callerName,
    forwardedCallerId: c.forwardedCallerId,
    tag: c.tag,
    status: callingStatusOf(c),
    callingEnabled: c.callingEnabled,
    disabledAt: iso(c.disabledAt),
    deletedAt: iso(c.deletedAt),
    device: device
      ? {
          sipAuthId: device.sipAuthId,
          hasSipPassword: true,
          registration: {
            state: device.registrationState,
            code: device.registrationCode,
            reason: device.registrationReason,
            reportedAt: iso(device.registrationReportedAt),
            lastRegisteredAt: iso(device.lastRegisteredAt),
          },
        }
      : null,
    teams: {
      state: c.teamsState,
      error: c.teamsError,
      requestedAt: iso(c.teamsRequestedAt),
      appliedAt: iso(c.teamsAppliedAt),
      number: c.teamsNumber,
      numberAssignedAt: iso(c.teamsNumberAssignedAt),
      policyGranted: c.teamsPolicyGranted,
      policyGrantedAt: iso(c.teamsPolicyGrantedAt),
    },
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function presentRegistrationEvent(row: RegistrationEventRow): RegistrationEvent {
  return {
    id: row.id,
    state: row.state,
    code: row.code,
    reason: row.reason,
    node: { id: row.nodeId, name: row.nodeName },
    at: row.at.toISOString(),
  };
}
