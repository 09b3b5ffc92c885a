import { parseHostPort } from "../../../shared/contracts/pbx.ts";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import { fieldError } from "../../lib/errors.ts";
import { isUniqueViolation } from "../../lib/sql.ts";
import {
  findAssignablePbxType,
  isLocationNameTaken,
  type PbxRow,
  type PbxTypeRow,
} from "./pbx.queries.ts";

/** The fields the rules read, as they would be stored after the change. */
type Candidate = Pick<
  PbxRow,
  | "dnsLookup"
  | "sipProxy"
  | "callerNamePolicy"
  | "callerName"
  | "apiTokenUrl"
  | "apiClientId"
  | "apiClientSecret"
  | "apiMasqueradingLogin"
>;

const apiFields = [
  "apiTokenUrl",
  "apiClientId",
  "apiClientSecret",
  "apiMasqueradingLogin",
] as const satisfies readonly (keyof Candidate)[];

/**
 * The rules of a PBX location that join fields or need its type (SPEC §2.5), as field errors:
 * a proxy port makes no sense when SRV or NAPTR records give the port; a custom caller name only
 * with the policy `OTHER`, and then required; API settings only for a type with an API. Empty
 * when the location is valid.
 */
export function pbxRuleProblems(next: Candidate, type: PbxTypeRow): Record<string, string> {
  const problems: Record<string, string> = {};
  if (next.sipProxy && next.dnsLookup !== "A") {
    const parsed = parseHostPort(next.sipProxy);
    if (typeof parsed !== "string" && parsed.port !== null)
      problems.sipProxy = `With ${next.dnsLookup} lookup the port comes from DNS: leave the port out, or choose the A lookup`;
  }
  if (next.callerNamePolicy === "OTHER" && !next.callerName)
    problems.callerName = "Required when the caller name is Other";
  if (next.callerNamePolicy === "TRANSPARENT" && next.callerName)
    problems.callerName = "Only with the caller name Other; leave it blank for Transparent";
  if (!type.hasApi) {
    for (const field of apiFields)
      if (next[field] !== null)
        problems[field] = `The PBX type ${type.label} has no API: leave the API settings blank`;
  }
  return problems;
}

const nameInUse = "Another PBX location of this enterprise has this name";

/** The type if the enterprise may give it to a location, else a field error on `pbxTypeId`. */
export async function requireAssignableType(
  tx: Db,
  enterprise: Scoped<{ id: string }>,
  pbxTypeId: string,
): Promise<PbxTypeRow> {
  const type = await findAssignablePbxType(tx, enterprise, pbxTypeId);
  if (!type)
    throw fieldError({
      pbxTypeId: "Not a PBX type of this enterprise (or it is disabled); choose one from the list",
    });
  return type;
}

/** 409 with a field error when another location of the enterprise has the name (any case). */
export async function assertLocationNameFree(
  tx: Db,
  enterprise: Scoped<{ id: string }>,
  locationName: string,
  exceptId?: string,
): Promise<void> {
  if (await isLocationNameTaken(tx, enterprise, locationName, exceptId))
    throw fieldError({ locationName: nameInUse }, "name_in_use");
}

/** The same answer when a concurrent request took the name between the check and the write. */
export function locationNameInUse(error: unknown): never {
  if (isUniqueViolation(error, "pbxes_enterprise_location_name_key"))
    throw fieldError({ locationName: nameInUse }, "name_in_use");
  throw error;
}
