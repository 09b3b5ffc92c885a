import { asc, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { directRoutes, enterprises, regions } from "../../db/schema/index.ts";
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

/** The enterprise's settings that Direct Routing reads while it runs. */
export async function enterpriseSettingsOf(db: Db, enterpriseId: string) {
  const [row] = await db
    .select({
      id: enterprises.id,
      name: enterprises.name,
      status: enterprises.status,
      pbxMusicOnHold: enterprises.pbxMusicOnHold,
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
