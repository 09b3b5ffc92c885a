import { newId } from "../../../shared/ids.ts";
import type { Db } from "../../db/client.ts";
import { users } from "../../db/schema/index.ts";

let sequence = 0;

/**
 * A synced Microsoft 365 user of an enterprise (Teams Phone licensed unless told otherwise),
 * written directly, for tests and the demo seed.
 */
export async function buildSyncedUser(
  db: Db,
  input: Partial<typeof users.$inferInsert> & { enterpriseId: string },
) {
  const n = `${Date.now().toString(36)}${(sequence++).toString(36)}`;
  const [row] = await db
    .insert(users)
    .values({
      id: newId("user"),
      msObjectId: crypto.randomUUID(),
      displayName: `User ${n}`,
      userPrincipalName: `user-${n}@contoso.example`,
      teamsLicensed: true,
      teamsPhoneLicensed: true,
      ...input,
    })
    .returning();
  return row!;
}
