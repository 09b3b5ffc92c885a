import { and, eq } from "drizzle-orm";
import { newId } from "../../../../shared/ids.ts";
import type { Who } from "../../../authz/actor.ts";
import { type Ctx, inTransaction } from "../../../context.ts";
import { enterpriseAdmins, enterprises } from "../../../db/schema/index.ts";
import {
  requiredAppPermissions,
  teamsAdministratorRoleId,
} from "../../../integrations/microsoft/config.ts";
import { type Microsoft, requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { AppError, describeRemoteError, isTransient } from "../../../lib/errors.ts";
import { unseal } from "../../../lib/secrets.ts";
import { isUniqueViolation } from "../../../lib/sql.ts";
import type { Services } from "../../../services.ts";
import { startWorkflow } from "../../../workflows/engine.ts";
import { type NewSession, openEnterpriseAdminSession } from "../../enterprise-portal/index.ts";
import { auditPathOf } from "../../enterprises/index.ts";
import { consumeInvitation } from "../../invitations/index.ts";
import {
  type AdminConsentRedirect,
  type ConsentEffect,
  consentWaitMs,
  endFlow,
  type MicrosoftFlowRow,
  readConsentEffect,
} from "../../microsoft-flows/index.ts";
import {
  type TeamsAdminRoleAssignment,
  teamsAdminRoleWorkflow,
} from "../../microsoft-setup/index.ts";
import { isTenantBoundElsewhere } from "../registration.queries.ts";
import { assertInvitationLive } from "./complete-registration-sign-in.ts";
import {
  advanceFlow,
  assertFlowUsable,
  failFlow,
  failurePage,
  RegistrationFailure,
  type RegistrationFlow,
  type RegistrationOutcome,
  reasonOfMicrosoftError,
  successPage,
} from "./registration-outcome.ts";

/**
 * One look at whether the tenant's consent took effect (`readConsentEffect`): every required
 * permission in a fresh app-only token and `GET /organization` answering with the flow's tenant.
 * Microsoft's refusals and an answer for another tenant end the registration.
 */
async function checkConsent(
  microsoft: Microsoft,
  tenantId: string,
): Promise<Exclude<ConsentEffect, { state: "other_tenant" }>> {
  let effect: ConsentEffect;
  try {
    effect = await readConsentEffect(microsoft, tenantId, requiredAppPermissions);
  } catch (e) {
    if (e instanceof AppError) throw new RegistrationFailure(reasonOfMicrosoftError(e));
    throw e;
  }
  if (effect.state === "other_tenant") throw new RegistrationFailure("state_invalid");
  return effect;
}

/**
 * Once the consent is in effect: gives our service principal the Teams Administrator role as the
 * Global Administrator, with the delegated token round 1 kept (sealed) on the flow. Null: the new
 * service principal has not reached Graph yet (or Graph is briefly unavailable), ask again on the
 * next poll; at the last poll (`giveUp`) that becomes a failure. A refusal does not fail the
 * registration: the enterprise is registered and its dashboard says the role is missing and why.
 */
async function requestTeamsAdminRole(
  services: Services,
  microsoft: Microsoft,
  flow: MicrosoftFlowRow,
  giveUp: boolean,
): Promise<TeamsAdminRoleAssignment | null> {
  const token = flow.sealedGraphToken
    ? unseal<{ accessToken: string; expiresAt: string }>(services.secret, flow.sealedGraphToken)
    : null;
  if (!token || new Date(token.expiresAt) <= services.now())
    return {
      state: "failed",
      error: "The Global Administrator's sign-in expired before the role could be assigned",
    };
  try {
    const result = await microsoft.assignOwnDirectoryRole(
      token.accessToken,
      teamsAdministratorRoleId,
    );
    if (result === "requested") return { state: "requested" };
    if (!giveUp) return null;
    return {
      state: "failed",
      error: "Teamgate's service principal did not appear in the directory in time",
    };
  } catch (e) {
    if (isTransient(e) && !giveUp) return null;
    return { state: "failed", error: describeRemoteError(e).message.slice(0, 500) };
  }
}

/** Where the browser waits while Microsoft applies the consent. */
export function finishingPage(services: Services): string {
  return `${services.publicUrl}/complete/finishing`;
}

/**
 * Round 2's redirect (`MS_ADMIN_CONSENT_REDIRECT_PATH`), with the flow its state found. The
 * redirect's `tenant` is never trusted: the flow's tenant (from the verified id token of round 1)
 * must answer `GET /organization` with an app-only token carrying every required permission. When
 * Microsoft has not applied the consent yet (it takes from seconds to minutes) the flow waits in
 * round `finishing` for up to `consentWaitMs` and the browser goes to the "Finishing the
 * connection…" page, which calls `finishRegistration`. Returns where to redirect, and the session
 * once registration succeeded.
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
  return settle(services, flow, who, async () => {
    const microsoft = requireMicrosoft(services.microsoft);
    // Microsoft adds `admin_consent=True` to its error redirects too: `error` decides.
    if (query.error) throw new RegistrationFailure("consent_declined");
    const tenantId = flow.tenantId;
    if (!tenantId || !flow.adminOid) throw new RegistrationFailure("state_invalid");
    await assertInvitationLive(services, flow.invitationId, flow.enterpriseId);
    const check = await checkConsent(microsoft, tenantId);
    if (check.state === "effective") {
      const role = await requestTeamsAdminRole(services, microsoft, flow, false);
      if (role) return register(services, flow, tenantId, { ...check, role }, who, userAgent);
    }
    await inTransaction(services, who, (ctx) => waitForConsent(ctx, flow));
    return { location: finishingPage(services) };
  });
}

/**
 * One poll of the "Finishing the connection…" page, for the flow waiting in this browser: binds
 * the tenant once the consent took effect; gives up after `consentWaitMs`, saying whether the
 * consent never took effect or lacks a permission (what was granted goes to the audit log).
 */
export async function finishRegistration(
  services: Services,
  flow: MicrosoftFlowRow | null,
  who: Who,
  userAgent: string | null = null,
): Promise<RegistrationOutcome | { pending: true }> {
  if (
    flow?.purpose !== "enterprise_registration" ||
    flow.round !== "finishing" ||
    flow.usedAt ||
    !flow.enterpriseId ||
    !flow.invitationId ||
    !flow.tenantId
  )
    return { location: failurePage(services, "state_invalid") };
  const registration = flow as RegistrationFlow;
  const tenantId = flow.tenantId;
  const expired = flow.expiresAt <= services.now();
  let pending = false;
  const outcome = await settle(services, registration, who, async () => {
    const microsoft = requireMicrosoft(services.microsoft);
    await assertInvitationLive(services, registration.invitationId, registration.enterpriseId);
    const check = await checkConsent(microsoft, tenantId);
    if (check.state === "effective") {
      const role = await requestTeamsAdminRole(services, microsoft, registration, expired);
      if (role)
        return register(services, registration, tenantId, { ...check, role }, who, userAgent);
    }
    if (!expired || check.state === "effective") {
      pending = true;
      return { location: finishingPage(services) };
    }
    throw new RegistrationFailure(
      check.state === "pending" && check.unavailable
        ? "microsoft_unavailable"
        : check.granted.length > 0
          ? "permissions_missing"
          : "consent_not_effective",
      `granted: ${check.granted.join(" ") || "nothing"}`,
    );
  });
  return pending ? { pending: true } : outcome;
}

/** Runs a step of round 2: a RegistrationFailure ends the flow and lands on its failure page. */
async function settle(
  services: Services,
  flow: RegistrationFlow,
  who: Who,
  step: () => Promise<RegistrationOutcome>,
): Promise<RegistrationOutcome> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof RegistrationFailure) {
      // Ends the flow unless it already ended (a replayed or concurrent redirect).
      await inTransaction(services, who, (ctx) => failFlow(ctx, flow, e.reason, e.message));
      return { location: failurePage(services, e.reason) };
    }
    if (e instanceof AppError && e.code === "microsoft_not_configured") {
      await inTransaction(services, who, (ctx) => failFlow(ctx, flow, "microsoft_unavailable"));
      return { location: failurePage(services, "microsoft_unavailable") };
    }
    throw e;
  }
}

/**
 * The consent has not taken effect yet: the flow waits in round `finishing` for up to
 * `consentWaitMs`, from round 2 only and unused (else `state_invalid`).
 */
async function waitForConsent(ctx: Ctx, flow: RegistrationFlow): Promise<void> {
  await advanceFlow(ctx, flow, "admin_consent", {
    round: "finishing",
    expiresAt: new Date(ctx.now.getTime() + consentWaitMs),
  });
}

/** What registration binds: the tenant as Microsoft names it, what was granted, the role. */
interface Grant {
  granted: string[];
  tenantName: string;
  role: TeamsAdminRoleAssignment;
}

/**
 * Registers the enterprise once the consent took effect (`bindTenant`, one transaction), unless
 * another enterprise holds the tenant already. Returns the success page and the admin's session.
 */
async function register(
  services: Services,
  flow: RegistrationFlow,
  tenantId: string,
  grant: Grant,
  who: Who,
  userAgent: string | null,
): Promise<RegistrationOutcome> {
  if (await isTenantBoundElsewhere(services.db, tenantId, flow.enterpriseId))
    throw new RegistrationFailure("tenant_already_bound");
  try {
    const session = await inTransaction(services, who, (ctx) =>
      bindTenant(ctx, flow, tenantId, grant, userAgent),
    );
    return { location: successPage(services), session };
  } catch (e) {
    if (isUniqueViolation(e, "enterprises_tenant_key"))
      throw new RegistrationFailure("tenant_already_bound");
    throw e;
  }
}

/**
 * Consumes the invitation, binds the tenant, marks the enterprise registered with exactly what
 * was granted and where the Teams Administrator role stands, records the Global Administrator,
 * ends the flow, starts the Teams Administrator role's workflow and opens the admin's session. Any failure binds
 * nothing (the caller's transaction rolls back).
 */
async function bindTenant(
  ctx: Ctx,
  flow: RegistrationFlow,
  tenantId: string,
  grant: Grant,
  userAgent: string | null,
): Promise<NewSession> {
  const { tx, now } = ctx;
  const { granted, tenantName, role } = grant;
  if (!(await endFlow(ctx, flow.id))) throw new RegistrationFailure("state_invalid");
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
  // Next step of registration, committed with it: the role, until Microsoft applies it.
  await startWorkflow(ctx, teamsAdminRoleWorkflow, {
    subject: { type: "enterprise", id: row.id, label: row.name },
    path: auditPathOf(row),
    input: { tenantId, assignment: role },
  });
  await ctx.emit("enterprise.registered", {
    subject: { type: "enterprise", id: row.id, label: row.name },
    path: auditPathOf(row),
    payload: {
      before: { status: "invited" },
      after: {
        status: "registered",
        tenantId,
        tenantName,
        grantedPermissions: granted,
        teamsAdminRole: role,
        admin: { oid: flow.adminOid, upn: flow.adminUpn },
      },
    },
  });
  // The Global Administrator goes on signed in: the groups to sync, then the dashboard.
  return openEnterpriseAdminSession(ctx, {
    enterpriseAdminId: admin!.id,
    clientAddress: ctx.who.clientAddress,
    userAgent,
  });
}
