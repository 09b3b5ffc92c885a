import { and, eq, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import type {
  GatewayEnterprise,
  GatewayPbx,
  GatewayUser,
} from "../../../shared/contracts/gateway.ts";
import type { Db } from "../../db/client.ts";
import {
  callingUsers,
  devices,
  directRoutes,
  enterpriseRegions,
  enterprises,
  pbxes,
  users,
} from "../../db/schema/index.ts";
import { unseal } from "../../lib/secrets.ts";

/*
 * The region's desired state as the gateway nodes read it, one query per kind (never one per
 * object), for the whole region (the snapshot) or for the objects a page of events touched.
 * `ids` narrows a query to those objects; what is not returned is not in the region.
 */

/**
 * The region's calling users (not deleted), with their device and its password in clear: the
 * gateway feed is the only place a SIP password leaves the platform (SPEC §2.6).
 */
export async function regionUsers(
  db: Db,
  secret: string,
  regionId: string,
  ids?: readonly string[],
): Promise<GatewayUser[]> {
  if (ids && ids.length === 0) return [];
  const conditions: (SQL | undefined)[] = [
    eq(callingUsers.regionId, regionId),
    isNull(callingUsers.deletedAt),
    ids ? inArray(callingUsers.userId, [...ids]) : undefined,
  ];
  const rows = await db
    .select({
      calling: callingUsers,
      displayName: users.displayName,
      deviceId: devices.id,
      sipAuthId: devices.sipAuthId,
      sipPassword: devices.sipPassword,
    })
    .from(callingUsers)
    .innerJoin(users, eq(users.id, callingUsers.userId))
    .leftJoin(devices, eq(devices.userId, callingUsers.userId))
    .where(and(...conditions))
    .orderBy(callingUsers.userId);
  return rows.map(({ calling: c, displayName, deviceId, sipAuthId, sipPassword }) => ({
    userId: c.userId,
    enterpriseId: c.enterpriseId,
    displayName,
    service: c.service,
    pbxId: c.pbxId,
    sipUser: c.sipUser,
    phoneNumber: c.phoneNumber,
    forwardedDids: c.forwardedDids,
    callerNamePolicy: c.callerNamePolicy,
    callerName: c.callerName,
    forwardedCallerId: c.forwardedCallerId,
    enabled: c.callingEnabled && !c.disabledAt,
    device:
      deviceId && sipAuthId && sipPassword
        ? { deviceId, sipAuthId, password: unseal<string>(secret, sipPassword) }
        : null,
  }));
}

/** The PBX locations the region's users are configured with. */
export async function regionPbxes(
  db: Db,
  regionId: string,
  ids?: readonly string[],
): Promise<GatewayPbx[]> {
  if (ids && ids.length === 0) return [];
  const used = db
    .selectDistinct({ pbxId: callingUsers.pbxId })
    .from(callingUsers)
    .where(and(eq(callingUsers.regionId, regionId), isNull(callingUsers.deletedAt)));
  const rows = await db
    .select()
    .from(pbxes)
    .where(and(inArray(pbxes.id, used), ids ? inArray(pbxes.id, [...ids]) : undefined))
    .orderBy(pbxes.id);
  return rows.map((p) => ({
    pbxId: p.id,
    enterpriseId: p.enterpriseId,
    locationName: p.locationName,
    dnsLookup: p.dnsLookup,
    sipDomain: p.sipDomain,
    sipProxy: p.sipProxy,
    transport: p.transport,
    registrationExpiry: p.registrationExpiry,
    codecs: p.codecs,
    dtmfMode: p.dtmfMode,
    voicemailFeatureCode: p.voicemailFeatureCode,
  }));
}

/**
 * The enterprises the region serves: not disabled, with a derived trunk in the region that is
 * not being removed, and those trunks.
 */
export async function regionEnterprises(
  db: Db,
  regionId: string,
  ids?: readonly string[],
): Promise<GatewayEnterprise[]> {
  if (ids && ids.length === 0) return [];
  const rows = await db
    .select({
      id: enterprises.id,
      name: enterprises.name,
      tenantId: enterprises.tenantId,
      pbxMusicOnHold: enterprises.pbxMusicOnHold,
      fqdn: directRoutes.fqdn,
      priority: directRoutes.priority,
      status: directRoutes.status,
    })
    .from(directRoutes)
    .innerJoin(enterprises, eq(enterprises.id, directRoutes.enterpriseId))
    .where(
      and(
        eq(directRoutes.regionId, regionId),
        ne(directRoutes.status, "removing"),
        ne(enterprises.status, "disabled"),
        ids ? inArray(enterprises.id, [...ids]) : undefined,
      ),
    )
    .orderBy(enterprises.id, directRoutes.priority);
  const byId = new Map<string, GatewayEnterprise>();
  for (const r of rows) {
    let enterprise = byId.get(r.id);
    if (!enterprise) {
      enterprise = {
        enterpriseId: r.id,
        name: r.name,
        tenantId: r.tenantId,
        pbxMusicOnHold: r.pbxMusicOnHold,
        trunks: [],
      };
      byId.set(r.id, enterprise);
    }
    enterprise.trunks.push({
      fqdn: r.fqdn,
      priority: r.priority,
      status: r.status as "provisioning" | "active",
    });
  }
  return [...byId.values()];
}

/**
 * Of these enterprises, those related to the region (offered it, or holding a trunk in it): the
 * only ones whose objects a node of the region is told to remove. Another region's objects are
 * never mentioned, not even by id.
 */
export async function enterprisesRelatedTo(
  db: Db,
  regionId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const list = [...ids];
  const rows = await db
    .select({ id: enterprises.id })
    .from(enterprises)
    .where(
      and(
        inArray(enterprises.id, list),
        sql`(exists (select 1 from ${enterpriseRegions} er where er.enterprise_id = ${enterprises.id} and er.region_id = ${regionId})
          or exists (select 1 from ${directRoutes} dr where dr.enterprise_id = ${enterprises.id} and dr.region_id = ${regionId}))`,
      ),
    );
  return new Set(rows.map((r) => r.id));
}
