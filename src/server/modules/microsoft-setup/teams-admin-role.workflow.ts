import { z } from "zod";
import { teamsAdministratorRoleId } from "../../integrations/microsoft/config.ts";
import { appTokenGrants } from "../../integrations/microsoft/msal.ts";
import { requireMicrosoft } from "../../integrations/microsoft/port.ts";
import type { Services } from "../../services.ts";
import { defineStep, defineWorkflow } from "../../workflows/define.ts";

/** What registration did about the role with the Global Administrator's sign-in. */
const assignment = z.discriminatedUnion("state", [
  z.object({ state: z.literal("requested") }),
  z.object({ state: z.literal("failed"), error: z.string() }),
]);
export type TeamsAdminRoleAssignment = z.infer<typeof assignment>;
const input = z.object({ tenantId: z.string(), assignment });
type Input = z.infer<typeof input>;

/** Whether a fresh app-only token of the tenant carries the role (an opaque token: assume so). */
async function roleInEffect(services: Services, tenantId: string): Promise<boolean> {
  const token = await requireMicrosoft(services.microsoft).acquireAppToken(tenantId, {
    fresh: true,
  });
  const grants = appTokenGrants(token);
  return grants === null || grants.directoryRoles.includes(teamsAdministratorRoleId);
}

/** Checks of the role's effect before giving up: the waits add up to over an hour. */
export const roleChecks = 12;
/** The wait before check `attempt + 1`: 15 s, doubling, at most 10 minutes. */
export function roleCheckWaitSeconds(attempt: number): number {
  return Math.min(15 * 2 ** (attempt - 1), 600);
}

const assign = defineStep<Input>({
  id: "teams-admin-role.assign",
  title: "Assign the Teams Administrator role to this platform",
  async run({ services, input }) {
    if (input.assignment.state === "requested") return undefined;
    // Registration could not assign it; an administrator may have since, in Entra.
    if (await roleInEffect(services, input.tenantId)) return undefined;
    throw new Error(
      `Could not be assigned: ${input.assignment.error}. A Global Administrator can assign it in the Microsoft Entra admin center (Roles & admins → Teams Administrator → Add assignments → this platform's application); then retry.`,
    );
  },
});

const effective = defineStep<Input>({
  id: "teams-admin-role.effective",
  title: "Wait until Microsoft applies the role",
  async run({ services, input, attempt }) {
    if (await roleInEffect(services, input.tenantId)) return undefined;
    if (attempt >= roleChecks)
      throw new Error(
        "Microsoft has not applied the Teams Administrator role to this platform's access after more than an hour",
      );
    return {
      waitSeconds: roleCheckWaitSeconds(attempt),
      reason: "Microsoft has not applied the role to this platform's access yet",
    };
  },
});

/**
 * Our service principal's Teams Administrator role in an enterprise's tenant, which Teams
 * telephony administration (Direct Routing) needs. Registration assigns it with the Global
 * Administrator's sign-in (ADR 0013) and starts this run with the outcome; the run then waits,
 * with fresh app-only tokens, until Microsoft applies it. Retry after a failure checks again.
 */
export const teamsAdminRoleWorkflow = defineWorkflow({
  name: "microsoft.teams-admin-role",
  subject: "enterprise",
  input,
  steps: [assign, effective],
});
