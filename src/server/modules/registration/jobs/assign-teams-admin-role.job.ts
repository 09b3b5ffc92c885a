import { and, eq, isNull, ne, or } from "drizzle-orm";
import { z } from "zod";
import { enterprises } from "../../../db/schema/index.ts";
import { appTokenGrants } from "../../../integrations/microsoft/msal.ts";
import { type Microsoft, requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { defineJob } from "../../../jobs/define-job.ts";
import { AppError } from "../../../lib/errors.ts";
import { describeMicrosoftError, teamsAdministratorRoleId } from "../teams-admin-role.ts";

/** Back-off between checks that a new assignment reached our app-only tokens, within one attempt. */
const effectiveChecksMs = [500, 1000, 2000, 4000];

/**
 * After registration: waits until our service principal's Teams Administrator role, which the
 * Global Administrator's sign-in assigned during registration (`assignTeamsAdministratorRole`),
 * is in effect. The role is "assigned" only once a fresh app-only token carries it: Microsoft
 * applies role assignments after a delay, and a token cached from before would be refused by
 * Teams. Until then, and after failures, the job retries with exponential back-off (pg-boss:
 * about 15 s, doubling, jittered) for well over an hour, since directory replication has no
 * published bound. The outcome is written on the enterprise: pending with the last error while
 * attempts remain, assigned, or failed after the last. It needs no permission beyond signing in
 * as the application.
 */
export const assignTeamsAdminRoleJob = defineJob({
  name: "microsoft.assign-teams-admin-role",
  schema: z.object({ enterpriseId: z.string() }),
  options: { retryLimit: 10, retryDelaySeconds: 15, retryBackoff: true },
  async handle(services, data, meta) {
    const [enterprise] = await services.db
      .select()
      .from(enterprises)
      .where(eq(enterprises.id, data.enterpriseId));
    if (!enterprise?.tenantId || enterprise.teamsAdminRoleState !== "pending") return;
    const tenantId = enterprise.tenantId;
    try {
      await untilTokensCarryTheRole(requireMicrosoft(services.microsoft), tenantId);
      await services.db
        .update(enterprises)
        .set({
          teamsAdminRoleState: "assigned",
          teamsAdminRoleError: null,
          teamsAdminRoleAssignedAt: services.now(),
        })
        .where(eq(enterprises.id, enterprise.id));
      services.log.info(
        { enterpriseId: enterprise.id, tenantId },
        "Teams Administrator role in effect for our service principal",
      );
    } catch (error) {
      await services.db
        .update(enterprises)
        .set({
          teamsAdminRoleState: meta.isLastAttempt ? "failed" : "pending",
          teamsAdminRoleError: describeMicrosoftError(error).slice(0, 500),
        })
        .where(
          and(
            eq(enterprises.id, enterprise.id),
            or(
              isNull(enterprises.teamsAdminRoleState),
              ne(enterprises.teamsAdminRoleState, "assigned"),
            ),
          ),
        );
      throw error;
    }
  },
});

/**
 * Waits (a few seconds at most) until a fresh app-only token carries the Teams Administrator
 * role; the fresh token also replaces the one msal cached before the assignment. Throws when the
 * role has not arrived yet, so the job retries later.
 */
async function untilTokensCarryTheRole(microsoft: Microsoft, tenantId: string): Promise<void> {
  for (const waitMs of [0, ...effectiveChecksMs]) {
    if (waitMs) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const grants = appTokenGrants(await microsoft.acquireAppToken(tenantId, { fresh: true }));
    if (grants === null || grants.directoryRoles.includes(teamsAdministratorRoleId)) return;
  }
  throw new AppError(
    "microsoft_unavailable",
    "The role is assigned; Microsoft has not applied it to our access yet",
    { cause: { tenantId } },
  );
}
