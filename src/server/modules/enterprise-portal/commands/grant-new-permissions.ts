import { eq } from "drizzle-orm";
import type {
  PermissionsConsentFailure,
  PermissionsConsentFinishState,
  PermissionsConsentStart,
} from "../../../../shared/contracts/enterprise-portal.ts";
import { type Actor, type Who, whoOf } from "../../../authz/actor.ts";
import type { Scoped } from "../../../authz/policy.ts";
import { type Ctx, inTransaction } from "../../../context.ts";
import { enterprises } from "../../../db/schema/index.ts";
import { requestedAppPermissions } from "../../../integrations/microsoft/config.ts";
import { requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import {
  auditPathOf,
  type EnterpriseRow,
  missingAppPermissionsOf,
  registeredTenantOf,
  unregisteredReason,
} from "../../enterprises/index.ts";
import {
  type AdminConsentRedirect,
  type AdminConsentRedirectHandler,
  advanceFlow,
  type ConsentEffect,
  consentWaitMs,
  endFlow,
  findFinishingFlow,
  type MicrosoftFlowRow,
  prepareAdminConsentFlow,
  type RedirectClient,
  readConsentEffect,
  type SignInRedirectOutcome,
  storeFlow,
} from "../../microsoft-flows/index.ts";

/**
 * "Grant the new permissions" (a tenant registered before Teamgate's application listed them):
 * an enterprise admin sends a Global Administrator through Microsoft's admin consent for the
 * enterprise's tenant, the way registration's round 2 does; once Microsoft applied it, the
 * enterprise records what the tenant grants now. Nothing else is touched meanwhile.
 */

const purpose = "enterprise_permissions";

/** A journey to Microsoft's admin consent must come back within this time. */
const flowTtlMs = 15 * 60_000;

/** A consent that must stop: the dashboard says why. Nothing was changed. */
class ConsentFailure extends Error {
  constructor(readonly reason: PermissionsConsentFailure) {
    super(reason);
  }
}

/** Where the admin comes back to: the dashboard, saying how the consent went. */
function dashboard(services: Services, outcome: "granted" | "finishing"): string {
  return `${services.publicUrl}/enterprise?permissions=${outcome}`;
}

function failurePage(services: Services, reason: PermissionsConsentFailure): string {
  return `${services.publicUrl}/enterprise?permissionsError=${reason}`;
}

/**
 * Starts the consent for a registered tenant whose consent lacks some of the permissions the
 * application lists: a flow bound to this browser (only the state's hash is stored) and the URL of
 * Microsoft's admin consent for the enterprise's own tenant. 409 when the enterprise is not
 * registered, is disabled, or has granted every permission already.
 */
export async function startPermissionsConsent(
  services: Services,
  actor: Actor,
  enterprise: Scoped<EnterpriseRow>,
  browserBindingHash: string,
): Promise<PermissionsConsentStart> {
  const tenantId = registeredTenantOf(enterprise);
  if (missingAppPermissionsOf(enterprise).length === 0)
    throw new AppError(
      "invalid_state",
      "The tenant has already granted every permission Teamgate needs",
    );
  requireMicrosoft(services.microsoft);
  const { url, row } = prepareAdminConsentFlow(services, {
    purpose,
    tenantId,
    enterpriseId: enterprise.id,
    ttlMs: flowTtlMs,
    browserBindingHash,
    startedBy: { upn: actor.email, name: actor.name },
  });
  await inTransaction(services, whoOf(actor), (ctx) => storeFlow(ctx, row));
  return { url };
}

/**
 * Microsoft's admin consent redirect for a flow of this purpose. Microsoft's answer is not taken
 * on trust: a refusal, or a consent given in another tenant than the enterprise's, ends the flow;
 * otherwise what the enterprise's own tenant grants is read with a fresh app-only token, as
 * registration reads it (`readConsentEffect`). Every permission in effect: recorded, and the admin
 * lands on the dashboard's confirmation. Not yet (Microsoft takes minutes): the flow waits in round
 * `finishing` for up to `consentWaitMs`, which the dashboard polls (`finishPermissionsConsent`).
 */
export async function completePermissionsConsent(
  services: Services,
  flow: MicrosoftFlowRow | null,
  query: AdminConsentRedirect,
  client: RedirectClient,
): Promise<SignInRedirectOutcome> {
  if (
    flow?.purpose !== purpose ||
    flow.round !== "admin_consent" ||
    flow.usedAt ||
    flow.expiresAt <= services.now() ||
    !flow.enterpriseId ||
    !flow.tenantId
  )
    return { location: failurePage(services, "state_invalid") };
  const consent = { ...flow, enterpriseId: flow.enterpriseId, tenantId: flow.tenantId };
  const who = whoOfConsent(consent, client);
  const settled = await settle(services, consent, who, async () => {
    // Microsoft adds `admin_consent=True` to its error redirects too: `error` decides.
    if (query.error) throw new ConsentFailure(reasonOfRedirectError(query));
    if (query.tenant && query.tenant.toLowerCase() !== consent.tenantId.toLowerCase())
      throw new ConsentFailure("wrong_tenant");
    const granted = await grantedNow(services, consent);
    if (granted) {
      await inTransaction(services, who, (ctx) => recordGrant(ctx, consent, granted));
      return "granted" as const;
    }
    await inTransaction(services, who, async (ctx) => {
      const waiting = await advanceFlow(ctx, consent.id, "admin_consent", {
        round: "finishing",
        expiresAt: new Date(ctx.now.getTime() + consentWaitMs),
      });
      if (!waiting) throw new ConsentFailure("state_invalid");
    });
    return "finishing" as const;
  });
  return {
    location:
      "failed" in settled ? failurePage(services, settled.failed) : dashboard(services, settled.ok),
  };
}

/**
 * One poll of the dashboard while Microsoft applies the enterprise's consent: records the
 * permissions once every one is in effect; after `consentWaitMs` gives up, saying whether the
 * consent never took effect or lacks a permission. Granted too when a concurrent poll recorded it.
 */
export async function finishPermissionsConsent(
  services: Services,
  actor: Actor,
  enterprise: Scoped<EnterpriseRow>,
): Promise<PermissionsConsentFinishState> {
  const flow = await findFinishingFlow(services.db, purpose, { enterpriseId: enterprise.id });
  if (!flow?.tenantId) {
    const [current] = await services.db
      .select({ grantedPermissions: enterprises.grantedPermissions })
      .from(enterprises)
      .where(eq(enterprises.id, enterprise.id));
    return current && missingAppPermissionsOf(current).length === 0
      ? { status: "granted" }
      : { status: "failed", reason: "state_invalid" };
  }
  const consent = { ...flow, enterpriseId: enterprise.id, tenantId: flow.tenantId };
  const who = whoOf(actor);
  const giveUp = flow.expiresAt <= services.now();
  const settled = await settle(services, consent, who, async () => {
    const granted = await grantedNow(services, consent, giveUp);
    if (!granted) return "pending" as const;
    await inTransaction(services, who, (ctx) => recordGrant(ctx, consent, granted));
    return "granted" as const;
  });
  return "failed" in settled
    ? { status: "failed", reason: settled.failed }
    : { status: settled.ok };
}

/**
 * The enterprise portal's part of Microsoft's admin consent redirect (the route is
 * microsoft-flows'): flows of this purpose end on the dashboard, confirmed or saying what failed.
 */
export const permissionsConsentRedirect: AdminConsentRedirectHandler = {
  foreignBrowserPage: (services) => failurePage(services, "state_invalid"),
  complete: completePermissionsConsent,
};

/** A flow of this purpose, with the enterprise and tenant it always names. */
type ConsentFlow = MicrosoftFlowRow & { enterpriseId: string; tenantId: string };

/**
 * What the enterprise's tenant grants now, once it gives every permission the application lists
 * (`readConsentEffect`, with a fresh token); null while Microsoft is still applying the consent.
 * At the last look (`giveUp`) "not yet" becomes the failure that says why.
 */
async function grantedNow(
  services: Services,
  flow: ConsentFlow,
  giveUp = false,
): Promise<string[] | null> {
  const missingBefore = missingAppPermissionsOf(await enterpriseOf(services.db, flow));
  const effect = await effectOf(services, flow.tenantId);
  // An unreadable token says nothing of the roles, so it cannot show the permissions granted.
  const granted = effect.granted;
  if (effect.state === "effective" && requestedAppPermissions.every((p) => granted.includes(p)))
    return granted;
  if (!giveUp) return null;
  if (effect.state === "pending" && effect.unavailable)
    throw new ConsentFailure("microsoft_unavailable");
  const added = missingBefore.filter((p) => granted.includes(p));
  throw new ConsentFailure(added.length > 0 ? "permissions_missing" : "consent_not_effective");
}

/** One look at the tenant's consent; Microsoft's refusals and another tenant's answer end it. */
async function effectOf(
  services: Services,
  tenantId: string,
): Promise<Exclude<ConsentEffect, { state: "other_tenant" }>> {
  let effect: ConsentEffect;
  try {
    effect = await readConsentEffect(
      requireMicrosoft(services.microsoft),
      tenantId,
      requestedAppPermissions,
    );
  } catch (e) {
    if (e instanceof AppError) throw new ConsentFailure(reasonOfMicrosoftError(e));
    throw e;
  }
  if (effect.state === "other_tenant") throw new ConsentFailure("wrong_tenant");
  return effect;
}

/**
 * Records what the tenant grants now and that it changed, once: ends the flow (a concurrent
 * redirect or poll that got there first makes this one `state_invalid`), then updates the
 * enterprise, still registered with the flow's tenant, in the same transaction.
 */
async function recordGrant(ctx: Ctx, flow: ConsentFlow, granted: string[]): Promise<void> {
  if (!(await endFlow(ctx, flow.id))) throw new ConsentFailure("state_invalid");
  const [enterprise] = await ctx.tx
    .select()
    .from(enterprises)
    .where(eq(enterprises.id, flow.enterpriseId))
    .for("update");
  if (!enterprise || unregisteredReason(enterprise) || enterprise.tenantId !== flow.tenantId)
    throw new ConsentFailure("state_invalid");
  await ctx.tx
    .update(enterprises)
    .set({ grantedPermissions: granted, updatedAt: ctx.now })
    .where(eq(enterprises.id, enterprise.id));
  await ctx.emit("enterprise.permissions_granted", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: {
      before: { grantedPermissions: enterprise.grantedPermissions ?? [] },
      after: { grantedPermissions: granted },
    },
  });
}

/** How a step of the consent ended: its result, or the failure the dashboard shows. */
type Settled<T> = { ok: T } | { failed: PermissionsConsentFailure };

/**
 * Runs a step of the consent. A ConsentFailure (or Microsoft switched off) ends the flow, unless it
 * already ended (a replayed or concurrent redirect), and says why; nothing else is written.
 */
async function settle<T>(
  services: Services,
  flow: ConsentFlow,
  who: Who,
  step: () => Promise<T>,
): Promise<Settled<T>> {
  try {
    return { ok: await step() };
  } catch (e) {
    const reason =
      e instanceof ConsentFailure
        ? e.reason
        : e instanceof AppError && e.code === "microsoft_not_configured"
          ? "microsoft_unavailable"
          : null;
    if (!reason) throw e;
    await inTransaction(services, who, (ctx) => endFlow(ctx, flow.id, reason));
    return { failed: reason };
  }
}

/** The enterprise of a flow, as it is now. */
async function enterpriseOf(db: Services["db"], flow: ConsentFlow): Promise<EnterpriseRow> {
  const [enterprise] = await db
    .select()
    .from(enterprises)
    .where(eq(enterprises.id, flow.enterpriseId));
  if (!enterprise || unregisteredReason(enterprise) || enterprise.tenantId !== flow.tenantId)
    throw new ConsentFailure("state_invalid");
  return enterprise;
}

/**
 * Who grants: the enterprise admin whose session the browser holds, else the one who started
 * the flow (kept on it), for the audit log.
 */
function whoOfConsent(flow: ConsentFlow, client: RedirectClient): Who {
  const actor = client.actor;
  if (actor?.kind === "enterprise_admin" && actor.enterpriseId === flow.enterpriseId)
    return whoOf(actor);
  return {
    actor: null,
    label: `${flow.adminName ?? "Enterprise admin"} <${flow.adminUpn ?? "unknown"}>`,
    clientAddress: client.clientAddress,
  };
}

/**
 * Why Microsoft sent the browser back with an error, from `error` and `error_subcode` only (its
 * descriptions change): cancelled → declined; its outage → unavailable; any other refusal (the
 * person may not grant tenant-wide consent: "Need admin approval") → ask a Global Administrator.
 */
function reasonOfRedirectError(query: AdminConsentRedirect): PermissionsConsentFailure {
  if (query.error_subcode === "cancel") return "consent_declined";
  if (query.error === "server_error" || query.error === "temporarily_unavailable")
    return "microsoft_unavailable";
  return "not_global_admin";
}

/** The failure reason for a Microsoft error met while reading what the tenant grants. */
function reasonOfMicrosoftError(error: AppError): PermissionsConsentFailure {
  return error.code === "microsoft_app_misconfigured"
    ? "app_misconfigured"
    : "microsoft_unavailable";
}
