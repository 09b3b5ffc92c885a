import { and, eq, isNull, sql } from "drizzle-orm";
import type { ConfigureUserBody } from "../../../shared/contracts/calling.ts";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import {
  callingUsers,
  enterpriseRegions,
  pbxes,
  phoneNumbers,
  regions,
  users,
} from "../../db/schema/index.ts";
import { AppError } from "../../lib/errors.ts";
import { textArray } from "../../lib/sql.ts";

/** One user's wanted configuration, as the rules check it (a form, or a row of a CSV file). */
export interface CallingCandidate {
  userId: string;
  input: ConfigureUserBody;
}

/** Per candidate (same order), the problems by field; empty objects for the valid ones. */
export type CallingProblems = Record<string, string>[];

/** What the rules looked up, for the command that writes what they allowed. */
export interface CallingFacts {
  users: Map<string, typeof users.$inferSelect>;
  pbxes: Map<string, typeof pbxes.$inferSelect>;
  regions: Map<string, typeof regions.$inferSelect>;
  existing: Map<string, typeof callingUsers.$inferSelect & { hasDevice: boolean }>;
}

const lower = (v: string) => v.toLowerCase();

/**
 * The rules of configuring users for calling that need the database (SPEC §2.6), for any number
 * of candidates at once with one query per kind of lookup: the user is one of the enterprise's
 * synced users with a Teams Phone licence; the PBX location and the voice route (region) are the
 * enterprise's; a PBX user has a SIP user on the location's domain, unique in the enterprise
 * (disabled and soft-deleted users included) and in the batch, and a device (a password when it
 * is new); a trunk user has neither; every number is in the enterprise's inventory and free (or
 * already this user's), and no two candidates share one. Read-only.
 */
export async function checkCallingCandidates(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  candidates: readonly CallingCandidate[],
): Promise<{ problems: CallingProblems; facts: CallingFacts }> {
  const userIds = [...new Set(candidates.map((c) => c.userId))];
  const pbxIds = [...new Set(candidates.map((c) => c.input.pbxId))];
  const regionIds = [...new Set(candidates.map((c) => c.input.regionId))];
  const sipUsers = [
    ...new Set(candidates.flatMap((c) => (c.input.sipUser ? [lower(c.input.sipUser)] : []))),
  ];
  const numbers = [
    ...new Set(candidates.flatMap((c) => [c.input.phoneNumber, ...c.input.forwardedDids])),
  ];
  // One after the other: inside a transaction they share one connection anyway.
  const userRows = await db
    .select()
    .from(users)
    .where(
      and(
        eq(users.enterpriseId, enterprise.id),
        sql`${users.id} = any(${textArray(userIds)}::text[])`,
      ),
    );
  const pbxRows = await db
    .select()
    .from(pbxes)
    .where(
      and(
        eq(pbxes.enterpriseId, enterprise.id),
        sql`${pbxes.id} = any(${textArray(pbxIds)}::text[])`,
      ),
    );
  const regionRows = await db
    .select({ region: regions })
    .from(enterpriseRegions)
    .innerJoin(regions, eq(regions.id, enterpriseRegions.regionId))
    .where(
      and(
        eq(enterpriseRegions.enterpriseId, enterprise.id),
        sql`${enterpriseRegions.regionId} = any(${textArray(regionIds)}::text[])`,
      ),
    );
  const existingRows = await db
    .select({
      row: callingUsers,
      hasDevice: sql<boolean>`exists (select 1 from devices d where d.user_id = ${callingUsers.userId})`,
    })
    .from(callingUsers)
    .where(
      and(
        eq(callingUsers.enterpriseId, enterprise.id),
        sql`${callingUsers.userId} = any(${textArray(userIds)}::text[])`,
      ),
    );
  const sipRows =
    sipUsers.length === 0
      ? []
      : await db
          .select({ userId: callingUsers.userId, sipUser: callingUsers.sipUser })
          .from(callingUsers)
          .where(
            and(
              eq(callingUsers.enterpriseId, enterprise.id),
              sql`lower(${callingUsers.sipUser}) = any(${textArray(sipUsers)}::text[])`,
            ),
          );
  const numberRows =
    numbers.length === 0
      ? []
      : await db
          .select()
          .from(phoneNumbers)
          .where(sql`${phoneNumbers.number} = any(${textArray(numbers)}::text[])`);
  const facts: CallingFacts = {
    users: new Map(userRows.map((u) => [u.id, u])),
    pbxes: new Map(pbxRows.map((p) => [p.id, p])),
    regions: new Map(regionRows.map((r) => [r.region.id, r.region])),
    existing: new Map(
      existingRows.map((e) => [e.row.userId, { ...e.row, hasDevice: e.hasDevice }]),
    ),
  };
  const sipHolders = new Map(sipRows.map((r) => [lower(r.sipUser ?? ""), r.userId]));
  const inventory = new Map(numberRows.map((n) => [n.number, n]));
  // Within the batch the first candidate keeps a SIP user or a number; later ones are refused.
  const sipFirst = new Map<string, number>();
  const numberFirst = new Map<string, number>();
  candidates.forEach(({ input }, i) => {
    if (input.sipUser && !sipFirst.has(lower(input.sipUser))) sipFirst.set(lower(input.sipUser), i);
    for (const n of [input.phoneNumber, ...input.forwardedDids])
      if (!numberFirst.has(n)) numberFirst.set(n, i);
  });

  const problems = candidates.map((c, index) => {
    const p: Record<string, string> = {};
    const { input } = c;
    const user = facts.users.get(c.userId);
    if (!user || user.removedAt) p.userId = "Not a user of this enterprise's tenant";
    else if (!user.teamsPhoneLicensed)
      p.userId = `${user.displayName} has no Teams Phone licence: assign one in Microsoft 365, sync the users, then configure calling`;
    const pbx = facts.pbxes.get(input.pbxId);
    if (!pbx) p.pbxId = "Select one of the enterprise's PBX locations";
    if (!facts.regions.has(input.regionId))
      p.regionId = "Select one of the enterprise's SBC regions";
    const existing = facts.existing.get(c.userId);
    if (input.service === "pbx") {
      if (!input.sipUser) p.sipUser = "Required for a PBX user";
      else {
        const domain = input.sipUser.slice(input.sipUser.lastIndexOf("@") + 1).toLowerCase();
        const holder = sipHolders.get(lower(input.sipUser));
        if (pbx && domain !== pbx.sipDomain)
          p.sipUser = `Must end in @${pbx.sipDomain}, the SIP domain of ${pbx.locationName}`;
        else if (holder && holder !== c.userId)
          p.sipUser = `${input.sipUser} is already another user's SIP user in this enterprise`;
        else if (sipFirst.get(lower(input.sipUser)) !== index)
          p.sipUser = `${input.sipUser} is given to another user above`;
      }
      if (!input.sipAuthId) p.sipAuthId = "Required for a PBX user";
      if (input.sipPassword === undefined && !existing?.hasDevice)
        p.sipPassword = "Required for a new device";
      if (input.forwardedDids.length > 0) p.forwardedDids = "Only a trunk user has forwarded DIDs";
    } else {
      if (input.sipUser) p.sipUser = "A trunk user has no SIP user";
      if (input.sipAuthId || input.sipPassword !== undefined)
        p.sipAuthId = "A trunk user has no device";
    }
    const numberProblem = (n: string) => {
      const held = inventory.get(n);
      if (!held || held.enterpriseId !== enterprise.id)
        return `${n} is not in the enterprise's phone numbers: add it there first`;
      if (held.assignedUserId && held.assignedUserId !== c.userId)
        return `${n} is already assigned to another user`;
      if (numberFirst.get(n) !== index) return `${n} is given to another user above`;
      return null;
    };
    const main = numberProblem(input.phoneNumber);
    if (main) p.phoneNumber = main;
    if (input.forwardedDids.includes(input.phoneNumber))
      p.forwardedDids = "The default DID is not also a forwarded DID";
    const didProblem = input.forwardedDids.map(numberProblem).find((m) => m !== null);
    if (didProblem && !p.forwardedDids) p.forwardedDids = didProblem;
    if (new Set(input.forwardedDids).size !== input.forwardedDids.length && !p.forwardedDids)
      p.forwardedDids = "Each forwarded DID once";
    const policy = input.callerNamePolicy ?? pbx?.callerNamePolicy;
    const name = input.callerName === undefined ? pbx?.callerName : input.callerName;
    if (policy === "OTHER" && !name) p.callerName = "Required when the caller name is OTHER";
    if (policy === "TRANSPARENT" && input.callerName)
      p.callerName = "Only with the caller-name policy OTHER";
    return p;
  });
  return { problems, facts };
}

/**
 * Refuses (409 `user_limit_reached`) when `adding` more configured users would pass the
 * enterprise's user limit. Call with the enterprise row locked: two requests for the last seat
 * then run one after the other, and the second sees the first's row.
 */
export async function assertSeatsFree(
  db: Db,
  enterprise: { id: string; userLimit: number | null },
  adding: number,
): Promise<void> {
  if (enterprise.userLimit === null || adding <= 0) return;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(callingUsers)
    .where(and(eq(callingUsers.enterpriseId, enterprise.id), isNull(callingUsers.deletedAt)));
  const used = Number(row?.n ?? 0);
  if (used + adding > enterprise.userLimit) {
    const free = Math.max(0, enterprise.userLimit - used);
    throw new AppError(
      "user_limit_reached",
      adding === 1
        ? `The enterprise's user limit of ${enterprise.userLimit} is reached: raise it, or delete a user first`
        : `${adding} users would pass the enterprise's user limit of ${enterprise.userLimit} (${free} free)`,
    );
  }
}
