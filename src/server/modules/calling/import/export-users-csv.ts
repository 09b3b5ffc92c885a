import { stringify } from "csv-stringify/sync";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { CallingService } from "../../../../shared/contracts/calling.ts";
import { usersCsvColumns } from "../../../../shared/contracts/users-csv.ts";
import type { Scoped } from "../../../authz/policy.ts";
import type { Db } from "../../../db/client.ts";
import { callingUsers, devices, users } from "../../../db/schema/index.ts";

/**
 * The enterprise's configured users of one service as a users CSV, in the upload's columns and
 * sign-in name order, so that an export uploaded again changes nothing. Passwords are write-only:
 * the column is blank (an update keeps the stored one).
 */
export async function exportUsersCsv(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  service: CallingService,
): Promise<string> {
  const rows = await db
    .select({
      upn: users.userPrincipalName,
      sipUser: callingUsers.sipUser,
      phoneNumber: callingUsers.phoneNumber,
      teamsVoicemail: callingUsers.teamsVoicemail,
      sipAuthId: devices.sipAuthId,
      forwardedDids: callingUsers.forwardedDids,
    })
    .from(callingUsers)
    .innerJoin(users, eq(users.id, callingUsers.userId))
    .leftJoin(devices, eq(devices.userId, callingUsers.userId))
    .where(
      and(
        eq(callingUsers.enterpriseId, enterprise.id),
        eq(callingUsers.service, service),
        isNull(callingUsers.deletedAt),
      ),
    )
    .orderBy(asc(users.userPrincipalName));
  return stringify(
    rows.map((r) => [
      r.upn,
      r.sipUser ?? "",
      r.phoneNumber,
      r.teamsVoicemail ? "yes" : "no",
      r.sipAuthId ?? "",
      "",
      r.forwardedDids.join(" "),
    ]),
    { header: true, columns: [...usersCsvColumns], record_delimiter: "windows" },
  );
}
