import { teamsAdministratorRoleId } from "../../integrations/microsoft/config.ts";
import type { GraphClient } from "../../integrations/microsoft/graph.ts";
import { AppError } from "../../lib/errors.ts";

const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Graph's answer to an assignment that was created meanwhile: 400 "A conflicting object …". */
function isConflict(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== "microsoft_error") return false;
  const cause = error.cause as { status?: number; message?: string } | undefined;
  return cause?.status === 400 && /conflicting object/i.test(cause.message ?? "");
}

/** What the portal keeps of a failure: our message and, when Graph said why, its code and words. */
export function describeMicrosoftError(error: unknown): string {
  if (error instanceof AppError) {
    const cause = error.cause as { status?: number; code?: string; message?: string } | undefined;
    const detail = [cause?.status, cause?.code, cause?.message].filter(Boolean).join(" ");
    return detail ? `${error.message} (${detail})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Gives our service principal the Teams Administrator role directory-wide, with a Graph client
 * acting as the tenant's Global Administrator (delegated `Application.Read.All` to find the
 * service principal, `RoleManagement.ReadWrite.Directory` to assign): no application permission
 * of ours can write the directory. Looks before it creates; a concurrent duplicate (Graph's 400
 * "A conflicting object …") counts as done. `not_visible`: right after consent the new service
 * principal may not have reached Graph yet, so the caller asks again a little later.
 */
export async function assignTeamsAdministratorRole(
  graph: GraphClient,
  clientId: string,
): Promise<"requested" | "not_visible"> {
  const found = await graph.get<{ value?: { id?: string; appId?: string }[] }>(
    `/servicePrincipals?$filter=${encodeURIComponent(`appId eq ${odataString(clientId)}`)}&$select=id,appId`,
  );
  const principalId = found?.value?.find((sp) => sp.appId === clientId)?.id;
  if (!principalId) return "not_visible";
  const existing = await graph.get<{ value?: { id?: string }[] }>(
    `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(
      `principalId eq ${odataString(principalId)} and roleDefinitionId eq ${odataString(teamsAdministratorRoleId)}`,
    )}`,
  );
  if (existing?.value?.length) return "requested";
  try {
    await graph.post("/roleManagement/directory/roleAssignments", {
      principalId,
      roleDefinitionId: teamsAdministratorRoleId,
      directoryScopeId: "/",
    });
  } catch (error) {
    // Assigned meanwhile: a concurrent poll of the same registration, or an administrator.
    if (!isConflict(error)) throw error;
  }
  return "requested";
}
