import { newId, newIds } from "../../../../shared/ids.ts";
import type { DeltaUser } from "../../../integrations/microsoft/port.ts";

/**
 * One user as the upsert statement reads it (`json_to_recordset`). The keys are short because a
 * page of up to 999 users travels as one JSON parameter.
 */
export interface Row {
  id: string;
  ms: string;
  dn: string;
  upn: string;
  mail: string | null;
  ae: boolean;
  tl: boolean;
  tpl: boolean;
  /** Delta objects only: which of the values above the object carried. */
  hdn?: boolean;
  hupn?: boolean;
  hmail?: boolean;
  hae?: boolean;
  hlic?: boolean;
}

/** Two versions of one delta object in a page: the later one's properties win where present. */
function mergeVersions(earlier: DeltaUser, later: DeltaUser): DeltaUser {
  const a = earlier.present;
  const b = later.present;
  if (!a || !b) return later;
  return {
    id: later.id,
    displayName: b.displayName ? later.displayName : earlier.displayName,
    userPrincipalName: b.userPrincipalName ? later.userPrincipalName : earlier.userPrincipalName,
    mail: b.mail ? later.mail : earlier.mail,
    accountEnabled: b.accountEnabled ? later.accountEnabled : earlier.accountEnabled,
    teamsLicensed: b.licences ? later.teamsLicensed : earlier.teamsLicensed,
    teamsPhoneLicensed: b.licences ? later.teamsPhoneLicensed : earlier.teamsPhoneLicensed,
    present: {
      displayName: a.displayName || b.displayName,
      userPrincipalName: a.userPrincipalName || b.userPrincipalName,
      mail: a.mail || b.mail,
      accountEnabled: a.accountEnabled || b.accountEnabled,
      licences: a.licences || b.licences,
    },
  };
}

/** A page's users as rows: one per object id (versions merged), each with a new user id. */
export function rowsOf(users: DeltaUser[]): Row[] {
  // One statement may not touch a row twice: the last occurrence of an id in a page wins.
  const byId = new Map<string, DeltaUser>();
  for (const u of users) {
    const earlier = byId.get(u.id);
    byId.set(u.id, earlier ? mergeVersions(earlier, u) : u);
  }
  const ids = newIds("user", byId.size);
  const rows: Row[] = [];
  for (const u of byId.values())
    rows.push({
      id: ids[rows.length] ?? newId("user"),
      ms: u.id,
      dn: u.displayName,
      upn: u.userPrincipalName,
      mail: u.mail,
      ae: u.accountEnabled,
      tl: u.teamsLicensed,
      tpl: u.teamsPhoneLicensed,
      ...(u.present
        ? {
            hdn: u.present.displayName,
            hupn: u.present.userPrincipalName,
            hmail: u.present.mail,
            hae: u.present.accountEnabled,
            hlic: u.present.licences,
          }
        : {}),
    });
  // Sorted by object id: concurrent statements lock shared rows in the same order (no deadlock).
  return rows.sort((a, b) => (a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : 0));
}
