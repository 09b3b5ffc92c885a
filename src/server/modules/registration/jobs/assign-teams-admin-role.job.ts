import { and, eq, isNull, ne, or } from "drizzle-orm";
import { z } from "zod";
import { enterprises } from "../../../db/schema/index.ts";
import { appTokenGrants } from "../../../integrations/microsoft/msal.ts";
import { type Microsoft, requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { defineJob } from "../../../jobs/define-job.ts";
import { AppError } from "../../../lib/errors.ts";

/** The built-in Teams Administrator directory role (its template id, the same in every tenant). */
export const teamsAdministratorRoleId = "69091246-20e8-4a56-aa4d-066075b2a7a8";

const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Graph's answer to an assignment that was created meanwhile: 400 "A conflicting object …". */
function isConflict(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== "microsoft_error") return false;
  const cause = error.cause as { status?: number; message?: string } | undefined;
  return cause?.status === 400 && /conflicting object/i.test(cause.message ?? "");
}

/** What the portal keeps of a failure: our message and, when Graph said why, its code and words. */
function describe(error: unknown): string {
  if (error instanceof AppError) {
    const cause = error.cause as { status?: number; code?: string; message?: string } | undefined;
    const detail = [cause?.status, cause?.code, cause?.message].filter(Boolean).join(" ");
    return detail ? `${error.message} (${detail})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Back-off between checks that a new assignment reached our app-only tokens, within one attempt. */
const effectiveChecksMs = [500, 1000, 2000, 4000];

/**
 * After registration: gives our service principal in the enterprise's tenant the Teams
 * Administrator role (directory-wide), which Teams telephony administration needs. Idempotent: it
 * looks for the assignment before creating it (and a concurrent duplicate, Graph's 400 "A
 * conflicting object …", counts as done). The role is "assigned" only once a fresh app-only token
 * carries it: Microsoft applies role assignments after a delay, and a token cached from before
 * would be refused by Teams. Until then, and after failures, the job retries with exponential
 * back-off (pg-boss: about 15 s, doubling, jittered) for well over an hour, since directory
 * replication has no published bound. The outcome is written on the enterprise: pending with the
 * last error while attempts remain, assigned, or failed after the last.
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
    if (!enterprise?.tenantId || enterprise.teamsAdminRoleState === "assigned") return;
    const tenantId = enterprise.tenantId;
    try {
      const microsoft = requireMicrosoft(services.microsoft);
      const clientId = services.env.MS_CLIENT_ID!;
      const graph = microsoft.graphFor(tenantId);
      const found = await graph.get<{ value?: { id?: string; appId?: string }[] }>(
        `/servicePrincipals?$filter=${encodeURIComponent(`appId eq ${odataString(clientId)}`)}&$select=id,appId`,
      );
      const principalId = found?.value?.find((sp) => sp.appId === clientId)?.id;
      if (!principalId) {
        throw new AppError(
          "microsoft_error",
          "Our application has no service principal in this tenant (consent not effective yet?)",
          { cause: { tenantId, appId: clientId } },
        );
      }
      const existing = await graph.get<{ value?: { id?: string }[] }>(
        `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(
          `principalId eq ${odataString(principalId)} and roleDefinitionId eq ${odataString(teamsAdministratorRoleId)}`,
        )}`,
      );
      if (!existing?.value?.length) {
        try {
          await graph.post("/roleManagement/directory/roleAssignments", {
            principalId,
            roleDefinitionId: teamsAdministratorRoleId,
            directoryScopeId: "/",
          });
        } catch (error) {
          // Assigned meanwhile: a retried POST that had succeeded, or an administrator.
          if (!isConflict(error)) throw error;
        }
      }
      await untilTokensCarryTheRole(microsoft, tenantId);
      await services.db
        .update(enterprises)
        .set({
          teamsAdminRoleState: "assigned",
          teamsAdminRoleError: null,
          teamsAdminRoleAssignedAt: services.now(),
        })
        .where(eq(enterprises.id, enterprise.id));
      services.log.info(
        { enterpriseId: enterprise.id, tenantId, principalId },
        "Teams Administrator role assigned to our service principal",
      );
    } catch (error) {
      await services.db
        .update(enterprises)
        .set({
          teamsAdminRoleState: meta.isLastAttempt ? "failed" : "pending",
          teamsAdminRoleError: describe(error).slice(0, 500),
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
