import { asc, eq, getTableColumns, inArray } from "drizzle-orm";
import type { PortalActor } from "../../authz/actor.ts";
import type { Db } from "../../db/client.ts";
import {
  organizationPbxTypes,
  organizationRegions,
  pbxTypes,
  regions,
} from "../../db/schema/index.ts";
import { notFound } from "../../lib/errors.ts";

export function listRegions(db: Db) {
  return db.select().from(regions).orderBy(asc(regions.name));
}

export async function getRegion(db: Db, id: string) {
  const [row] = await db.select().from(regions).where(eq(regions.id, id));
  if (!row) throw notFound("SBC region");
  return row;
}

export function listPbxTypes(db: Db) {
  return db.select().from(pbxTypes).orderBy(asc(pbxTypes.name));
}

export async function getPbxType(db: Db, id: string) {
  const [row] = await db.select().from(pbxTypes).where(eq(pbxTypes.id, id));
  if (!row) throw notFound("PBX type");
  return row;
}

/** The regions with these ids (unknown ids are simply absent from the result). */
export function findRegionsByIds(db: Db, ids: string[]) {
  return ids.length === 0
    ? Promise.resolve([])
    : db.select().from(regions).where(inArray(regions.id, ids));
}

export function findPbxTypesByIds(db: Db, ids: string[]) {
  return ids.length === 0
    ? Promise.resolve([])
    : db.select().from(pbxTypes).where(inArray(pbxTypes.id, ids));
}

/** The regions an actor may offer below it: every region for the operator, else its entitlements. */
export function listRegionsVisibleTo(db: Db, actor: PortalActor) {
  if (actor.role === "operator") return listRegions(db);
  return db
    .select(getTableColumns(regions))
    .from(regions)
    .innerJoin(organizationRegions, eq(organizationRegions.regionId, regions.id))
    .where(eq(organizationRegions.organizationId, actor.organizationId))
    .orderBy(asc(regions.name));
}

/** The PBX types an actor may offer below it. */
export function listPbxTypesVisibleTo(db: Db, actor: PortalActor) {
  if (actor.role === "operator") return listPbxTypes(db);
  return db
    .select(getTableColumns(pbxTypes))
    .from(pbxTypes)
    .innerJoin(organizationPbxTypes, eq(organizationPbxTypes.pbxTypeId, pbxTypes.id))
    .where(eq(organizationPbxTypes.organizationId, actor.organizationId))
    .orderBy(asc(pbxTypes.name));
}
