import { and, eq, ne } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { enterprises } from "../../db/schema/index.ts";

/** Kept for complete-registration-consent.ts until it imports it from microsoft-flows/index.ts. */

/** True when another enterprise is already bound to this Microsoft tenant. */
export async function isTenantBoundElsewhere(
  db: Db,
  tenantId: string,
  enterpriseId: string,
): Promise<boolean> {
  const [row] = await db
    .select({ id: enterprises.id })
    .from(enterprises)
    .where(and(eq(enterprises.tenantId, tenantId), ne(enterprises.id, enterpriseId)));
  return Boolean(row);
}
