import { and, eq, isNull } from "drizzle-orm";
import { decodeJwt } from "jose";
import { newId } from "../../../../shared/ids.ts";
import type { Who } from "../../../authz/actor.ts";
import { enterpriseAdmins, enterprises, microsoftFlows } from "../../../db/schema/index.ts";
import { requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { enqueue } from "../../../jobs/queue.ts";
import { AppError } from "../../../lib/errors.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import {
  type NewSession,
  openEnterpriseAdminSession,
} from "../../enterprise-portal/enterprise-admin-sessions.ts";
import { auditPathOf } from "../../enterprises/commands/enterprise-rules.ts";
import { consumeInvitation } from "../../invitations/index.ts";
import { assignTeamsAdminRoleJob } from "../jobs/assign-teams-admin-role.job.ts";
import { isTenantBoundElsewhere, type MicrosoftFlowRow } from "../registration.queries.ts";
import { assertInvitationLive } from "./complete-registration-sign-in.ts";
import {
  assertFlowUsable,
  failFlow,
  failurePage,
  RegistrationFailure,
  type RegistrationOutcome,
  reasonOfMicrosoftError,
  successPage,
} from "./registration-outcome.ts";

export interface AdminConsentRedirect {
  admin_consent?: string | undefined;
  tenant?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

/** The application permissions in an app-only token (`roles`); the token is ours to read. */
function grantedRolesOf(accessToken: string): string[] {
  try {
    const roles = decodeJwt(accessToken).roles;
    return Array.isArray(roles)
      ? roles.filter((r): r is string => typeof r === "string").sort()
      : [];
  } catch {
    return [];
  }
}

/**
 * Round 2's redirect (`MS_ADMIN_CONSENT_REDIRECT_PATH`), with the flow its state found. The
 * redirect's `tenant` is never trusted: the flow's tenant (from the verified id token of round 1)
 * gets an app-only token and `GET /organization` must answer with that same tenant. Then one
 * transaction consumes the invitation, binds the tenant, marks the enterprise registered with what
 * was granted, records the Global Administrator, ends the flow and opens the admin's session. Any
 * failure binds nothing. Returns where to redirect, and the session on success.
 */
export async function completeRegistrationConsent(
  services: Services,
  flow: MicrosoftFlowRow | null,
  query: AdminConsentRedirect,
  who: Who,
  userAgent: string | null = null,
): Promise<RegistrationOutcome> {
  try {
    assertFlowUsable(flow, "admin_consent", services.now());
  } catch (e) {
    if (e instanceof RegistrationFailure) return { location: failurePage(services, e.reason) };
    throw e;
  }
  try {
    const microsoft = requireMicrosoft(services.microsoft);
    if (query.error) throw new RegistrationFailure("consent_declined");
    const tenantId = flow.tenantId;
    if (!tenantId || !flow.adminOid) throw new RegistrationFailure("state_invalid");
    await assertInvitationLive(services, flow.invitationId, flow.enterpriseId);

    let granted: string[];
    let tenantName: string;
    try {
      granted = grantedRolesOf(await microsoft.acquireAppToken(tenantId, { fresh: true }));
      const organization = await microsoft.getOrganization(tenantId);
      if (organization.id !== tenantId) throw new RegistrationFailure("state_invalid");
      tenantName = organization.displayName;
    } catch (e) {
      if (e instanceof AppError) throw new RegistrationFailure(reasonOfMicrosoftError(e));
      throw e;
    }
    if (await isTenantBoundElsewhere(services.db, tenantId, flow.enterpriseId))
      throw new RegistrationFailure("tenant_already_bound");

    const now = services.now();
    let session: NewSession;
    try {
      session = await services.db.transaction(async (tx) => {
        const ended = await tx
          .update(microsoftFlows)
          .set({ usedAt: now })
          .where(and(eq(microsoftFlows.id, flow.id), isNull(microsoftFlows.usedAt)))
          .returning({ id: microsoftFlows.id });
        if (ended.length === 0) throw new RegistrationFailure("state_invalid");
        if (!(await consumeInvitation(tx, flow.invitationId, now)))
          throw new RegistrationFailure("invitation_invalid");
        const [row] = await tx
          .update(enterprises)
          .set({
            status: "registered",
            tenantId,
            tenantName,
            grantedPermissions: granted,
            registeredAt: now,
            teamsAdminRoleState: "pending",
            teamsAdminRoleError: null,
            teamsAdminRoleAssignedAt: null,
            updatedAt: now,
          })
          .where(and(eq(enterprises.id, flow.enterpriseId), eq(enterprises.status, "invited")))
          .returning();
        if (!row) throw new RegistrationFailure("invitation_invalid");
        const [admin] = await tx
          .insert(enterpriseAdmins)
          .values({
            id: newId("enterpriseAdmin"),
            enterpriseId: row.id,
            oid: flow.adminOid!,
            upn: flow.adminUpn,
            name: flow.adminName,
            roles: flow.adminRoles ?? [],
            createdAt: now,
            lastSignInAt: now,
          })
          .onConflictDoUpdate({
            target: [enterpriseAdmins.enterpriseId, enterpriseAdmins.oid],
            set: {
              upn: flow.adminUpn,
              name: flow.adminName,
              roles: flow.adminRoles ?? [],
              lastSignInAt: now,
            },
          })
          .returning({ id: enterpriseAdmins.id });
        // Next step of registration, committed with it: the Teams Administrator role.
        await enqueue(services.boss, tx, assignTeamsAdminRoleJob, { enterpriseId: row.id });
        await recordAudit(tx, who, {
          action: "enterprise.registered",
          target: { type: "enterprise", id: row.id, label: row.name },
          path: auditPathOf(row),
          before: { status: "invited" },
          after: {
            status: "registered",
            tenantId,
            tenantName,
            grantedPermissions: granted,
            admin: { oid: flow.adminOid, upn: flow.adminUpn },
          },
        });
        // The Global Administrator goes on signed in: the groups to sync, then the dashboard.
        return openEnterpriseAdminSession(tx, services, {
          enterpriseAdminId: admin!.id,
          clientAddress: who.clientAddress,
          userAgent,
        });
      });
    } catch (e) {
      if (isUniqueViolation(e, "enterprises_tenant_key"))
        throw new RegistrationFailure("tenant_already_bound");
      throw e;
    }
    return { location: successPage(services), session };
  } catch (e) {
    if (e instanceof RegistrationFailure) {
      // Ends the flow unless it already ended (a replayed or concurrent redirect).
      await failFlow(services, flow, e.reason, who);
      return { location: failurePage(services, e.reason) };
    }
    if (e instanceof AppError && e.code === "microsoft_not_configured") {
      await failFlow(services, flow, "microsoft_unavailable", who);
      return { location: failurePage(services, "microsoft_unavailable") };
    }
    throw e;
  }
}
