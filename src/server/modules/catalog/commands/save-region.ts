import { eq } from "drizzle-orm";
import type { CreateRegionBody, UpdateRegionBody } from "../../../../shared/contracts/catalog.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Who } from "../../../authz/actor.ts";
import type { Db } from "../../../db/client.ts";
import { regions } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import { recordAudit } from "../../audit/index.ts";
import { getRegion } from "../catalog.queries.ts";

function uniqueToField(e: unknown): never {
  if (isUniqueViolation(e, "regions_name_key"))
    throw fieldError({ name: "An SBC region with this name already exists" }, "name_in_use");
  if (isUniqueViolation(e, "regions_carrier_fqdn_key"))
    throw fieldError({ carrierFqdn: "Another SBC region uses this FQDN" }, "conflict");
  throw e;
}

/** Adds an SBC region to the operator catalogue. */
export async function createRegion(db: Db, who: Who, input: CreateRegionBody) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(regions)
      .values({ id: newId("region"), ...input })
      .returning()
      .catch(uniqueToField);
    await recordAudit(tx, who, {
      action: "region.created",
      target: { type: "region", id: row!.id, label: row!.name },
      path: {},
      after: row,
    });
    return row!;
  });
}

/** Edits an SBC region; only the given fields change. */
export async function updateRegion(db: Db, who: Who, id: string, input: UpdateRegionBody) {
  return db.transaction(async (tx) => {
    const before = await getRegion(tx, id);
    const [row] = await tx
      .update(regions)
      .set({ ...input, updatedAt: new Date() })
      .where(eq(regions.id, id))
      .returning()
      .catch(uniqueToField);
    await recordAudit(tx, who, {
      action: "region.updated",
      target: { type: "region", id, label: row!.name },
      path: {},
      before,
      after: row,
    });
    return row!;
  });
}
