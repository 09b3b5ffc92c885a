import type { enterprises } from "../../db/schema/index.ts";
import { AppError } from "../../lib/errors.ts";

type EnterpriseRow = typeof enterprises.$inferSelect;

/** The enterprise's tenant, or 409 while it is not registered (or disabled). */
export function registeredTenantOf(enterprise: EnterpriseRow): string {
  if (!enterprise.tenantId || enterprise.status === "invited") {
    throw new AppError(
      "invalid_state",
      "The enterprise has not registered its Microsoft tenant yet",
    );
  }
  if (enterprise.status === "disabled") {
    throw new AppError("invalid_state", "This enterprise is disabled");
  }
  return enterprise.tenantId;
}
