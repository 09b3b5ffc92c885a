import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import {
  callingUsers,
  deviceRegistrationEvents,
  devices,
  enterpriseRegions,
  enterprises,
  gatewayNodes,
  pbxes,
  regions,
  users,
} from "../../db/schema/index.ts";
import { notFound } from "../../lib/errors.ts";

export type CallingRow = typeof callingUsers.$inferSelect;
export type DeviceRow = typeof devices.$inferSelect;
export type UserRow = typeof users.$inferSelect;

/** A configured user with what its view names: the PBX location, the region and the device. */
export interface CallingDetail {
  calling: CallingRow;
  pbxLocationName: string;
  regionName: string;
  device: DeviceRow | null;
}

/**
 * Locks the enterprise's row for the rest of the transaction and reads its user limit: every
 * change that adds a configured user takes this lock first, so the limit holds under concurrency.
 */
export async function lockEnterpriseSeats(
  db: Db,
  enterprise: Scoped<{ id: string }>,
): Promise<{ id: string; userLimit: number | null }> {
  const [row] = await db
    .select({ id: enterprises.id, userLimit: enterprises.userLimit })
    .from(enterprises)
    .where(eq(enterprises.id, enterprise.id))
    .for("update");
  if (!row) throw notFound("Enterprise");
  return row;
}

/** The enterprise's synced user, or 404 (another enterprise's id is absent here). */
export async function getUser(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  userId: string,
): Promise<UserRow> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.enterpriseId, enterprise.id), eq(users.id, userId)));
  if (!row) throw notFound("User");
  return row;
}

/** The user's calling configuration with its names and device; null when it has none. */
export async function findCalling(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  userId: string,
  options: { lock?: boolean } = {},
): Promise<CallingDetail | null> {
  const query = db
    .select({
      calling: callingUsers,
      pbxLocationName: pbxes.locationName,
      regionName: regions.name,
      device: devices,
    })
    .from(callingUsers)
    .innerJoin(pbxes, eq(pbxes.id, callingUsers.pbxId))
    .innerJoin(regions, eq(regions.id, callingUsers.regionId))
    .leftJoin(devices, eq(devices.userId, callingUsers.userId))
    .where(and(eq(callingUsers.enterpriseId, enterprise.id), eq(callingUsers.userId, userId)));
  const [row] = options.lock ? await query.for("update", { of: callingUsers }) : await query;
  return row ?? null;
}

/** The user's calling configuration, or 404 `not configured`. */
export async function getCalling(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  userId: string,
  options: { lock?: boolean } = {},
): Promise<CallingDetail> {
  const found = await findCalling(db, enterprise, userId, options);
  if (!found) throw notFound("Calling configuration");
  return found;
}

/** How many of the enterprise's configured users wait for an enterprise admin, or failed, in Teams. */
export async function teamsPushCountsOf(
  db: Db,
  enterpriseId: string,
): Promise<{ waiting: number; failed: number }> {
  const [row] = await db
    .select({
      waiting: sql<number>`count(*) filter (where ${callingUsers.teamsState} = 'waiting' and ${callingUsers.deletedAt} is null)::int`,
      failed: sql<number>`count(*) filter (where ${callingUsers.teamsState} = 'failed')::int`,
    })
    .from(callingUsers)
    .where(eq(callingUsers.enterpriseId, enterpriseId));
  return { waiting: Number(row?.waiting ?? 0), failed: Number(row?.failed ?? 0) };
}

/** The enterprise's SBC regions in its order (primary first): a configured user's voice routes. */
export async function enterpriseRegionsOf(
  db: Db,
  enterprise: Scoped<{ id: string }>,
): Promise<{ id: string; name: string; primary: boolean }[]> {
  const rows = await db
    .select({ id: regions.id, name: regions.name, position: enterpriseRegions.position })
    .from(enterpriseRegions)
    .innerJoin(regions, eq(regions.id, enterpriseRegions.regionId))
    .where(eq(enterpriseRegions.enterpriseId, enterprise.id))
    .orderBy(asc(enterpriseRegions.position), asc(regions.name));
  return rows.map((r, i) => ({ id: r.id, name: r.name, primary: i === 0 }));
}

/** One registration event with the name of the node that reported it. */
export interface RegistrationEventRow {
  id: number;
  state: (typeof deviceRegistrationEvents.$inferSelect)["state"];
  code: number | null;
  reason: string | null;
  nodeId: string;
  nodeName: string;
  at: Date;
}

/**
 * The newest `limit` registration events of the user's device in the enterprise, newest first;
 * empty when the user has no device (a trunk user, or not configured).
 */
export async function listRegistrationHistory(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  userId: string,
  limit: number,
): Promise<RegistrationEventRow[]> {
  const e = deviceRegistrationEvents;
  return db
    .select({
      id: e.id,
      state: e.state,
      code: e.code,
      reason: e.reason,
      nodeId: e.nodeId,
      nodeName: gatewayNodes.name,
      at: e.at,
    })
    .from(e)
    .innerJoin(devices, eq(devices.id, e.deviceId))
    .innerJoin(gatewayNodes, eq(gatewayNodes.id, e.nodeId))
    .where(
      and(
        eq(e.enterpriseId, enterprise.id),
        eq(devices.enterpriseId, enterprise.id),
        eq(devices.userId, userId),
      ),
    )
    .orderBy(desc(e.at), desc(e.id))
    .limit(limit);
}
