import { newId } from "../../../shared/ids.ts";
import type { Db } from "../../db/client.ts";
import { phoneNumbers } from "../../db/schema/index.ts";

let sequence = 0;

/** A phone number of an enterprise, written directly (no event), for tests and the demo seed. */
export async function buildPhoneNumber(
  db: Db,
  input: Partial<typeof phoneNumbers.$inferInsert> & { enterpriseId: string },
) {
  const n = `${Date.now() % 1_000_000}${(sequence++ % 1000).toString().padStart(3, "0")}`;
  const [row] = await db
    .insert(phoneNumbers)
    .values({ id: newId("phoneNumber"), number: `+1999${n}`, ...input })
    .returning();
  return row!;
}
