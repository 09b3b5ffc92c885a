import { eq } from "drizzle-orm";
import type { CreateRegionBody, UpdateRegionBody } from "../../../../shared/contracts/catalog.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Ctx } from "../../../context.ts";
import { regions } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import { getRegion } from "../catalog.queries.ts";

function uniqueToField(e: unknown): never {
  if (isUniqueViolation(e, "regions_name_key"))
    throw fieldError({ name: "An SBC region with this name already exists" }, "name_in_use");
  if (isUniqueViolation(e, "regions_carrier_fqdn_key"))
    throw fieldError({ carrierFqdn: "Another SBC region uses this FQDN" }, "conflict");
  throw e;
}

/** Adds an SBC region to the operator catalogue. */
export async function createRegion(ctx: Ctx, input: CreateRegionBody) {
  const [row] = await ctx.tx
    .insert(regions)
    .values({ id: newId("region"), ...input })
    .returning()
    .catch(uniqueToField);
  await ctx.emit("region.created", {
    subject: { type: "region", id: row!.id, label: row!.name },
    path: {},
    payload: { after: row! },
  });
  return row!;
}

/** Edits an SBC region; only the given fields change. */
export async function updateRegion(ctx: Ctx, id: string, input: UpdateRegionBody) {
  const before = await getRegion(ctx.tx, id);
  const [row] = await ctx.tx
    .update(regions)
    .set({ ...input, updatedAt: ctx.now })
    .where(eq(regions.id, id))
    .returning()
    .catch(uniqueToField);
  await ctx.emit("region.updated", {
    subject: { type: "region", id, label: row!.name },
    path: {},
    payload: { before, after: row! },
  });
  return row!;
}
