import { and, eq, isNull, ne, or } from "drizzle-orm";
import { z } from "zod";
import { enterprises } from "../../../db/schema/index.ts";
import { requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { defineJob } from "../../../jobs/define-job.ts";
import { AppError } from "../../../lib/errors.ts";

/** The built-in Teams Administrator directory role (its template id, the same in every tenant). */
export const teamsAdministratorRoleId = "69091246-20e8-4a56-aa4d-066075b2a7a8";

const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Graph's answer to an assignment that already exists: 400 "A conflicting object …". */
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

/**
 * After registration: gives our service principal in the enterprise's tenant the Teams
 * Administrator role (directory-wide), which Teams telephony administration needs. Idempotent: an
 * existing assignment (Graph answers 400 "A conflicting object …") counts as done. The outcome
 * is written on the enterprise: pending while attempts remain, assigned, or failed after the last.
 */
export const assignTeamsAdminRoleJob = defineJob({
  name: "microsoft.assign-teams-admin-role",
  schema: z.object({ enterpriseId: z.string() }),
  options: { retryLimit: 8, retryDelaySeconds: 30 },
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
      try {
        await graph.post("/roleManagement/directory/roleAssignments", {
          principalId,
          roleDefinitionId: teamsAdministratorRoleId,
          directoryScopeId: "/",
        });
      } catch (error) {
        // Already assigned: an earlier run, a retried POST that had succeeded, or an administrator.
        if (!isConflict(error)) throw error;
      }
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
