import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import { callingUsers, enterprisePbxTypes, pbxes, pbxTypes } from "../../db/schema/index.ts";
import { notFound } from "../../lib/errors.ts";

export type PbxRow = typeof pbxes.$inferSelect;
export type PbxTypeRow = typeof pbxTypes.$inferSelect;

/** A PBX location with the type it belongs to. */
export interface PbxWithType {
  pbx: PbxRow;
  type: PbxTypeRow;
}

/**
 * One page of the enterprise's PBX locations, by location name (case-insensitive), with their
 * types. Takes the enterprise already scoped to the actor: another subtree's rows are unreachable.
 */
export async function listPbxes(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  page: { page: number; pageSize: number },
): Promise<{ rows: PbxWithType[]; total: number }> {
  const where = eq(pbxes.enterpriseId, enterprise.id);
  const [rows, [total]] = await Promise.all([
    db
      .select({ pbx: pbxes, type: pbxTypes })
      .from(pbxes)
      .innerJoin(pbxTypes, eq(pbxTypes.id, pbxes.pbxTypeId))
      .where(where)
      .orderBy(asc(sql`lower(${pbxes.locationName})`), asc(pbxes.id))
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize),
    db.select({ n: count() }).from(pbxes).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/** The enterprise's PBX location with its type, or null when the enterprise has no such location. */
export async function findPbx(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  pbxId: string,
  options: { lock?: boolean } = {},
): Promise<PbxWithType | null> {
  const query = db
    .select({ pbx: pbxes, type: pbxTypes })
    .from(pbxes)
    .innerJoin(pbxTypes, eq(pbxTypes.id, pbxes.pbxTypeId))
    .where(and(eq(pbxes.enterpriseId, enterprise.id), eq(pbxes.id, pbxId)));
  const [row] = options.lock ? await query.for("update", { of: pbxes }) : await query;
  return row ?? null;
}

/** The enterprise's PBX location with its type, or 404 (another enterprise's id is absent here). */
export async function getPbx(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  pbxId: string,
  options: { lock?: boolean } = {},
): Promise<PbxWithType> {
  const row = await findPbx(db, enterprise, pbxId, options);
  if (!row) throw notFound("PBX location");
  return row;
}

/** The PBX types a new location of the enterprise may have: assigned to it and not disabled. */
export function listAssignablePbxTypes(db: Db, enterprise: Scoped<{ id: string }>) {
  return db
    .select({ type: pbxTypes })
    .from(enterprisePbxTypes)
    .innerJoin(pbxTypes, eq(pbxTypes.id, enterprisePbxTypes.pbxTypeId))
    .where(and(eq(enterprisePbxTypes.enterpriseId, enterprise.id), eq(pbxTypes.isDisabled, false)))
    .orderBy(asc(pbxTypes.label), asc(pbxTypes.id))
    .then((rows) => rows.map((r) => r.type));
}

/** The type if the enterprise may give it to a location (assigned and not disabled), else null. */
export async function findAssignablePbxType(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  pbxTypeId: string,
): Promise<PbxTypeRow | null> {
  const [row] = await db
    .select({ type: pbxTypes })
    .from(enterprisePbxTypes)
    .innerJoin(pbxTypes, eq(pbxTypes.id, enterprisePbxTypes.pbxTypeId))
    .where(
      and(
        eq(enterprisePbxTypes.enterpriseId, enterprise.id),
        eq(enterprisePbxTypes.pbxTypeId, pbxTypeId),
        eq(pbxTypes.isDisabled, false),
      ),
    );
  return row?.type ?? null;
}

/** True when another location of the enterprise has this name, whatever its case. */
export async function isLocationNameTaken(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  locationName: string,
  exceptId?: string,
): Promise<boolean> {
  const rows = await db
    .select({ id: pbxes.id })
    .from(pbxes)
    .where(
      and(
        eq(pbxes.enterpriseId, enterprise.id),
        sql`lower(${pbxes.locationName}) = lower(${locationName})`,
      ),
    );
  return rows.some((r) => r.id !== exceptId);
}

/**
 * Whether users are configured with this PBX location (soft-deleted ones included: they may be
 * restored), which forbids deleting it.
 */
export async function pbxInUse(db: Db, pbx: Pick<PbxRow, "id">): Promise<boolean> {
  const [row] = await db
    .select({ userId: callingUsers.userId })
    .from(callingUsers)
    .where(eq(callingUsers.pbxId, pbx.id))
    .limit(1);
  return row !== undefined;
}
