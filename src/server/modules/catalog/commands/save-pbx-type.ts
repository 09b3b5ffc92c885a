import { and, eq, ne } from "drizzle-orm";
import type { CreatePbxTypeBody, UpdatePbxTypeBody } from "../../../../shared/contracts/catalog.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Ctx } from "../../../context.ts";
import type { Db } from "../../../db/client.ts";
import { pbxTypes } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import { getPbxType } from "../catalog.queries.ts";

function uniqueToField(e: unknown): never {
  if (isUniqueViolation(e, "pbx_types_name_key"))
    throw fieldError({ name: "A PBX type with this name already exists" }, "name_in_use");
  throw e;
}

/** Making a type the default takes the flag from whichever type had it. */
async function clearOtherDefaults(tx: Db, keepId: string) {
  await tx
    .update(pbxTypes)
    .set({ isDefault: false })
    .where(and(eq(pbxTypes.isDefault, true), ne(pbxTypes.id, keepId)));
}

/** Adds a PBX type to the operator catalogue; a new default takes the flag from the old one. */
export async function createPbxType(ctx: Ctx, input: CreatePbxTypeBody) {
  if (input.isDefault && input.isDisabled)
    throw fieldError({ isDefault: "A disabled PBX type cannot be the default" });
  const id = newId("pbxType");
  if (input.isDefault) await clearOtherDefaults(ctx.tx, id);
  const [row] = await ctx.tx
    .insert(pbxTypes)
    .values({ id, ...input })
    .returning()
    .catch(uniqueToField);
  await ctx.emit("pbx_type.created", {
    subject: { type: "pbx_type", id, label: row!.name },
    path: {},
    payload: { after: row! },
  });
  return row!;
}

/** Edits a PBX type; only the given fields change, and a disabled type cannot be the default. */
export async function updatePbxType(ctx: Ctx, id: string, input: UpdatePbxTypeBody) {
  const before = await getPbxType(ctx.tx, id);
  const next = { ...before, ...input };
  if (next.isDefault && next.isDisabled)
    throw fieldError({ isDefault: "A disabled PBX type cannot be the default" });
  if (input.isDefault) await clearOtherDefaults(ctx.tx, id);
  const [row] = await ctx.tx
    .update(pbxTypes)
    .set({ ...input, updatedAt: ctx.now })
    .where(eq(pbxTypes.id, id))
    .returning()
    .catch(uniqueToField);
  await ctx.emit("pbx_type.updated", {
    subject: { type: "pbx_type", id, label: row!.name },
    path: {},
    payload: { before, after: row! },
  });
  return row!;
}
