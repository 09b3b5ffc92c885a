import { and, eq, ne } from "drizzle-orm";
import type { CreatePbxTypeBody, UpdatePbxTypeBody } from "../../../../shared/contracts/catalog.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Who } from "../../../authz/actor.ts";
import type { Db } from "../../../db/client.ts";
import { pbxTypes } from "../../../db/schema/index.ts";
import { fieldError } from "../../../lib/errors.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import { recordAudit } from "../../audit/index.ts";
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

export async function createPbxType(db: Db, who: Who, input: CreatePbxTypeBody) {
  if (input.isDefault && input.isDisabled)
    throw fieldError({ isDefault: "A disabled PBX type cannot be the default" });
  return db.transaction(async (tx) => {
    const id = newId("pbxType");
    if (input.isDefault) await clearOtherDefaults(tx, id);
    const [row] = await tx
      .insert(pbxTypes)
      .values({ id, ...input })
      .returning()
      .catch(uniqueToField);
    await recordAudit(tx, who, {
      action: "pbx_type.created",
      target: { type: "pbx_type", id, label: row!.name },
      path: {},
      after: row,
    });
    return row!;
  });
}

export async function updatePbxType(db: Db, who: Who, id: string, input: UpdatePbxTypeBody) {
  return db.transaction(async (tx) => {
    const before = await getPbxType(tx, id);
    const next = { ...before, ...input };
    if (next.isDefault && next.isDisabled)
      throw fieldError({ isDefault: "A disabled PBX type cannot be the default" });
    if (input.isDefault) await clearOtherDefaults(tx, id);
    const [row] = await tx
      .update(pbxTypes)
      .set({ ...input, updatedAt: new Date() })
      .where(eq(pbxTypes.id, id))
      .returning()
      .catch(uniqueToField);
    await recordAudit(tx, who, {
      action: "pbx_type.updated",
      target: { type: "pbx_type", id, label: row!.name },
      path: {},
      before,
      after: row,
    });
    return row!;
  });
}
