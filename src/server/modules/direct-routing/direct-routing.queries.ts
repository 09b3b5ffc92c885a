import { asc, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { directRoutes, enterpriseRegions, enterprises, regions } from "../../db/schema/index.ts";
import { requireMicrosoft } from "../../integrations/microsoft/port.ts";
import { AppError } from "../../lib/errors.ts";
import type { Services } from "../../services.ts";

/** One derived trunk of the enterprise with its region, primary first. */
export interface RouteRow {
  id: string;
  regionId: string;
  regionName: string;
  fqdn: string;
  priority: number;
  domainState: (typeof directRoutes.$inferSelect)["domainState"];
  status: (typeof directRoutes.$inferSelect)["status"];
}

/** The enterprise's derived trunks, primary first, then the failover order. */
export async function routesOf(db: Db, enterpriseId: string): Promise<RouteRow[]> {
  return db
    .select({
      id: directRoutes.id,
      regionId: directRoutes.regionId,
      regionName: regions.name,
      fqdn: directRoutes.fqdn,
      priority: directRoutes.priority,
      domainState: directRoutes.domainState,
      status: directRoutes.status,
    })
    .from(directRoutes)
    .innerJoin(regions, eq(regions.id, directRoutes.regionId))
    .where(eq(directRoutes.enterpriseId, enterpriseId))
    .orderBy(asc(directRoutes.priority), asc(directRoutes.fqdn));
}

/**
 * The derived trunks of the regions the enterprise has selected, primary first: what a set-up
 * creates and a check reads back. A region taken off the enterprise leaves its trunk `removing`
 * until the set-up that follows retires it (undo, which removes everything, reads `routesOf`).
 */
export async function selectedRoutesOf(db: Db, enterpriseId: string): Promise<RouteRow[]> {
  return (await routesOf(db, enterpriseId)).filter((r) => r.status !== "removing");
}

/** The enterprise's selected SBC regions in failover order (the primary first). */
export async function selectedRegionsOf(db: Db, enterpriseId: string) {
  return db
    .select({ regionId: regions.id, carrierFqdn: regions.carrierFqdn })
    .from(enterpriseRegions)
    .innerJoin(regions, eq(regions.id, enterpriseRegions.regionId))
    .where(eq(enterpriseRegions.enterpriseId, enterpriseId))
    .orderBy(asc(enterpriseRegions.position), asc(regions.id));
}

/**
 * What changed on the enterprise since its set-up last ran, that running it again applies: the
 * SBC regions or their order (the voice route extended, the trunks of regions taken off retired),
 * the PBX's music on hold turned on or off. Empty before the first set-up.
 */
export async function pendingChangesOf(db: Db, enterpriseId: string): Promise<string[]> {
  const [routes, selected, enterprise] = await Promise.all([
    selectedRoutesOf(db, enterpriseId),
    selectedRegionsOf(db, enterpriseId),
    enterpriseSettingsOf(db, enterpriseId),
  ]);
  if (routes.length === 0) return [];
  const changes: string[] = [];
  const order = (ids: string[]) => ids.join("\n");
  if (order(routes.map((r) => r.regionId)) !== order(selected.map((r) => r.regionId)))
    changes.push("The SBC regions changed");
  if (enterprise.pbxMusicOnHold && !enterprise.teamsMusicOnHoldBefore)
    changes.push("The PBX's music on hold was turned on");
  if (!enterprise.pbxMusicOnHold && enterprise.teamsMusicOnHoldBefore)
    changes.push("The PBX's music on hold was turned off");
  return changes;
}

/** The enterprise's settings that Direct Routing reads while it runs. */
export async function enterpriseSettingsOf(db: Db, enterpriseId: string) {
  const [row] = await db
    .select({
      id: enterprises.id,
      name: enterprises.name,
      status: enterprises.status,
      pbxMusicOnHold: enterprises.pbxMusicOnHold,
      teamsMusicOnHoldBefore: enterprises.teamsMusicOnHoldBefore,
      directRoutingLabel: enterprises.directRoutingLabel,
    })
    .from(enterprises)
    .where(eq(enterprises.id, enterpriseId));
  if (!row) throw new AppError("not_found", "The enterprise no longer exists");
  return row;
}

/** The three ports Direct Routing works through; 503 when one is not configured. */
export function directRoutingPorts(services: Services) {
  const { dns, teamsVoice } = services;
  if (!dns)
    throw new AppError("unavailable", "DNS is not configured on this platform (DNS_ADAPTER)");
  if (!teamsVoice)
    throw new AppError(
      "unavailable",
      "Teams voice is not configured on this platform (TEAMS_VOICE_ADAPTER)",
    );
  return { microsoft: requireMicrosoft(services.microsoft), dns, teamsVoice };
}
