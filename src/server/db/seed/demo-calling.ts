import { randomBytes } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import { ConfigureUserBody } from "../../../shared/contracts/calling.ts";
import { AddNumbersBody } from "../../../shared/contracts/numbers.ts";
import { CreatePbxBody } from "../../../shared/contracts/pbx.ts";
import { newId } from "../../../shared/ids.ts";
import { system } from "../../authz/actor.ts";
import type { Scoped } from "../../authz/policy.ts";
import { inTransaction } from "../../context.ts";
import { configureUser } from "../../modules/calling/index.ts";
import type { EnterpriseRow } from "../../modules/enterprises/index.ts";
import { addNumbers } from "../../modules/numbers/index.ts";
import { createPbx } from "../../modules/pbx/index.ts";
import type { Services } from "../../services.ts";
import type { Db } from "../client.ts";
import {
  callingUsers,
  directRoutes,
  enterprisePbxTypes,
  enterpriseRegions,
  enterprises,
  pbxes,
  phoneNumbers,
  regions,
  users,
} from "../schema/index.ts";

/** The demo enterprise whose users the local gateway registers at the demo PBX. */
export const demoCallingEnterprise = "Contoso Customer 3";
/** Its PBX location, pointing at the demo PBX of `dev/pbx/` on loopback. */
export const demoPbxLocation = "Demo PBX";
/** The SIP domain of that location (the demo PBX's realm; it accepts any domain). */
const demoSipDomain = "pbx.teamgate.test";
/** Its phone numbers. */
const demoNumbers = { from: "+12025550101", to: "+12025550110" };
/** How many of its Teams Phone users are configured as PBX users. */
const demoCallingCount = 4;

/**
 * Makes the demo enterprise ready for the local gateway: its derived trunk active in its primary
 * region (as Direct Routing leaves it), then through the modules' own commands a PBX location at
 * the demo PBX (`127.0.0.1:<pbxSipPort>`, UDP), ten phone numbers, and a few of its
 * Teams Phone users configured as PBX users (extension 1001…, also their digest user, a device each with a random SIP
 * password; their Teams push waits for an enterprise admin: the demo tenant is made up). Adds only
 * what is missing; does nothing without the demo enterprise. Returns a line for the seed's summary.
 */
export async function seedDemoCalling(
  services: Services,
  options: { pbxSipPort: number },
): Promise<string | null> {
  return inTransaction(services, system, async (ctx) => {
    const [row] = await ctx.tx
      .select()
      .from(enterprises)
      .where(and(eq(enterprises.name, demoCallingEnterprise), eq(enterprises.status, "active")));
    if (!row) return null;
    // The seed acts as the platform itself, on an enterprise it has just made.
    const enterprise = row as Scoped<EnterpriseRow>;
    const [region] = await ctx.tx
      .select({ id: enterpriseRegions.regionId, carrierFqdn: regions.carrierFqdn })
      .from(enterpriseRegions)
      .innerJoin(regions, eq(regions.id, enterpriseRegions.regionId))
      .where(eq(enterpriseRegions.enterpriseId, enterprise.id))
      .orderBy(asc(enterpriseRegions.position));
    const [type] = await ctx.tx
      .select({ id: enterprisePbxTypes.pbxTypeId })
      .from(enterprisePbxTypes)
      .where(eq(enterprisePbxTypes.enterpriseId, enterprise.id));
    if (!region || !type) return null;
    await ensureDemoTrunk(ctx.tx, enterprise, region);

    const [existing] = await ctx.tx
      .select({ id: pbxes.id })
      .from(pbxes)
      .where(and(eq(pbxes.enterpriseId, enterprise.id), eq(pbxes.locationName, demoPbxLocation)));
    const pbxId =
      existing?.id ??
      (
        await createPbx(
          ctx,
          enterprise,
          CreatePbxBody.parse({
            pbxTypeId: type.id,
            locationName: demoPbxLocation,
            dnsLookup: "A",
            sipDomain: demoSipDomain,
            sipProxy: `127.0.0.1:${options.pbxSipPort}`,
            transport: "udp",
            registrationExpiry: 300,
          }),
        )
      ).pbx.id;

    const [anyNumber] = await ctx.tx
      .select({ id: phoneNumbers.id })
      .from(phoneNumbers)
      .where(eq(phoneNumbers.enterpriseId, enterprise.id))
      .limit(1);
    if (!anyNumber) await addNumbers(ctx, enterprise, AddNumbersBody.parse(demoNumbers));

    const candidates = await ctx.tx
      .select({ id: users.id, calling: callingUsers.userId })
      .from(users)
      .leftJoin(callingUsers, eq(callingUsers.userId, users.id))
      .where(and(eq(users.enterpriseId, enterprise.id), eq(users.teamsPhoneLicensed, true)))
      .orderBy(asc(users.displayName))
      .limit(demoCallingCount);
    const available = await ctx.tx
      .select({ number: phoneNumbers.number })
      .from(phoneNumbers)
      .where(and(eq(phoneNumbers.enterpriseId, enterprise.id), eq(phoneNumbers.state, "available")))
      .orderBy(asc(phoneNumbers.number));
    let configured = 0;
    for (const [index, user] of candidates.entries()) {
      const number = available[configured]?.number;
      if (user.calling || !number) continue;
      const extension = 1001 + index;
      await configureUser(
        ctx,
        enterprise,
        user.id,
        ConfigureUserBody.parse({
          service: "pbx",
          pbxId,
          regionId: region.id,
          sipUser: `${extension}@${demoSipDomain}`,
          phoneNumber: number,
          // the demo PBX checks that the digest user is the AOR's (as many PBXes do)
          sipAuthId: String(extension),
          sipPassword: randomBytes(12).toString("base64url"),
        }),
        { push: false },
      );
      configured++;
    }
    return configured > 0
      ? `  ${demoCallingEnterprise}: ${configured} users configured for calling at the demo PBX (127.0.0.1:${options.pbxSipPort})`
      : null;
  });
}

/**
 * What Direct Routing leaves on an enterprise once its derived trunk is active in its primary
 * region (a gateway node serves only enterprises with a trunk in its region). There is no
 * Microsoft tenant behind the demo enterprise, so it is written as the set-up would leave it.
 */
async function ensureDemoTrunk(
  tx: Db,
  enterprise: EnterpriseRow,
  region: { id: string; carrierFqdn: string },
): Promise<void> {
  const [trunk] = await tx
    .select({ id: directRoutes.id })
    .from(directRoutes)
    .where(eq(directRoutes.enterpriseId, enterprise.id));
  if (trunk) return;
  const label =
    enterprise.directRoutingLabel ?? enterprise.name.toLowerCase().replace(/[^a-z0-9]+/g, "");
  await tx
    .update(enterprises)
    .set({ directRoutingLabel: label })
    .where(eq(enterprises.id, enterprise.id));
  await tx.insert(directRoutes).values({
    id: newId("directRoute"),
    enterpriseId: enterprise.id,
    regionId: region.id,
    fqdn: `${label}.${region.carrierFqdn}`,
    priority: 0,
    domainState: "activated",
    status: "active",
  });
}
