import { and, eq } from "drizzle-orm";
import {
  GLOBAL_ADMINISTRATOR_ROLE,
  type RegistrationFailureReason,
} from "../../../../shared/contracts/registration.ts";
import type { Who } from "../../../authz/actor.ts";
import { type Ctx, inTransaction } from "../../../context.ts";
import { enterprises, invitations } from "../../../db/schema/index.ts";
import { registrationScopes } from "../../../integrations/microsoft/config.ts";
import { requireMicrosoft, type VerifiedSignIn } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import { hashToken, randomToken, seal } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import { auditPathOf } from "../../enterprises/index.ts";
import {
  adminConsentUrl,
  type MicrosoftFlowRow,
  signInProofOf,
} from "../../microsoft-flows/index.ts";
import { isTenantBoundElsewhere } from "../registration.queries.ts";
import {
  advanceFlow,
  assertFlowUsable,
  failFlow,
  failurePage,
  RegistrationFailure,
  type RegistrationFlow,
  reasonOfMicrosoftError,
} from "./registration-outcome.ts";
import { flowTtlMs } from "./start-registration-sign-in.ts";

export interface MicrosoftRedirect {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_subcode?: string | undefined;
  error_description?: string | undefined;
}

/**
 * Why Microsoft sent the browser back with an error, from `error` and `error_subcode` only:
 * Microsoft's descriptions and AADSTS numbers change and must not drive behaviour. Cancelled →
 * declined; Microsoft's outage → unavailable; any other refusal (an administrator's approval is
 * needed, the tenant allows no user consent, …) → ask the Global Administrator.
 */
function reasonOfRedirectError(query: MicrosoftRedirect): RegistrationFailureReason {
  if (query.error_subcode === "cancel") return "consent_declined";
  if (query.error === "server_error" || query.error === "temporarily_unavailable")
    return "microsoft_unavailable";
  return "not_global_admin";
}

/** The invitation is still live and its enterprise still waiting for registration. */
export async function assertInvitationLive(
  services: Services,
  flowInvitationId: string,
  enterpriseId: string,
) {
  const [row] = await services.db
    .select({
      status: enterprises.status,
      usedAt: invitations.usedAt,
      revokedAt: invitations.revokedAt,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .innerJoin(enterprises, eq(enterprises.id, invitations.targetId))
    .where(and(eq(invitations.id, flowInvitationId), eq(enterprises.id, enterpriseId)));
  if (row?.status !== "invited" || row.usedAt || row.revokedAt || row.expiresAt <= services.now()) {
    throw new RegistrationFailure("invitation_invalid");
  }
}

/**
 * Round 1's redirect (`MS_REDIRECT_PATH`), with the flow its state found (null: unknown): the
 * state must be known, unused and unexpired; then
 * consent declined, a personal account, a user without Global Administrator, or a tenant bound to
 * another enterprise end the flow. Otherwise the flow moves to round 2 with the tenant and a new
 * state, and the browser goes to the tenant's admin consent screen. Returns where to redirect.
 */
export async function completeRegistrationSignIn(
  services: Services,
  flow: MicrosoftFlowRow | null,
  query: MicrosoftRedirect,
  who: Who,
): Promise<string> {
  try {
    assertFlowUsable(flow, "sign_in", services.now());
  } catch (e) {
    if (e instanceof RegistrationFailure) return failurePage(services, e.reason);
    throw e;
  }
  try {
    const microsoft = requireMicrosoft(services.microsoft);
    if (query.error) throw new RegistrationFailure(reasonOfRedirectError(query));
    if (!query.code) throw new RegistrationFailure("sign_in_failed");
    await assertInvitationLive(services, flow.invitationId, flow.enterpriseId);
    const proof = signInProofOf(services, flow);
    if (!proof) throw new RegistrationFailure("state_invalid");
    let claims: Awaited<ReturnType<typeof microsoft.redeemSignInCode>>;
    try {
      claims = await microsoft.redeemSignInCode({
        code: query.code,
        codeVerifier: proof.codeVerifier,
        redirectUri: `${services.publicUrl}${services.env.MS_REDIRECT_PATH}`,
        scopes: registrationScopes,
        expectedNonce: proof.nonce,
      });
    } catch (e) {
      if (e instanceof AppError) throw new RegistrationFailure(reasonOfMicrosoftError(e));
      throw e;
    }
    if (claims.isPersonalAccount) throw new RegistrationFailure("personal_account");
    if (!claims.directoryRoles.includes(GLOBAL_ADMINISTRATOR_ROLE))
      throw new RegistrationFailure("not_global_admin");
    const tenantId = claims.tid.toLowerCase();
    if (await isTenantBoundElsewhere(services.db, tenantId, flow.enterpriseId))
      throw new RegistrationFailure("tenant_already_bound");

    const state = randomToken();
    await inTransaction(services, who, (ctx) =>
      moveToAdminConsent(ctx, flow, { tenantId, claims, stateHash: hashToken(state) }),
    );
    return adminConsentUrl(services, tenantId, state);
  } catch (e) {
    if (e instanceof RegistrationFailure) {
      if (e.reason !== "state_invalid")
        await inTransaction(services, who, (ctx) => failFlow(ctx, flow, e.reason));
      return failurePage(services, e.reason);
    }
    if (e instanceof AppError && e.code === "microsoft_not_configured") {
      await inTransaction(services, who, (ctx) => failFlow(ctx, flow, "microsoft_unavailable"));
      return failurePage(services, "microsoft_unavailable");
    }
    throw e;
  }
}

/**
 * Round 1 succeeded: the flow moves to round 2 (admin consent) with the tenant, the Global
 * Administrator, its delegated token (sealed, for the role assignment) and a new state. Only
 * from round 1 and unused: a concurrent redirect with the same state loses (`state_invalid`).
 */
async function moveToAdminConsent(
  ctx: Ctx,
  flow: RegistrationFlow,
  next: { tenantId: string; claims: VerifiedSignIn; stateHash: string },
): Promise<void> {
  const { tx, now } = ctx;
  const { tenantId, claims } = next;
  await advanceFlow(ctx, flow, "sign_in", {
    round: "admin_consent",
    stateHash: next.stateHash,
    tenantId,
    adminOid: claims.oid,
    adminUpn: claims.preferredUsername ?? null,
    adminName: claims.name ?? null,
    adminRoles: claims.directoryRoles,
    sealedGraphToken: seal(ctx.services.secret, {
      accessToken: claims.graphToken.accessToken,
      expiresAt: claims.graphToken.expiresAt.toISOString(),
    }),
    expiresAt: new Date(now.getTime() + flowTtlMs),
  });
  const [enterprise] = await tx
    .select()
    .from(enterprises)
    .where(eq(enterprises.id, flow.enterpriseId));
  await ctx.emit("enterprise.registration_signed_in", {
    subject: { type: "enterprise", id: flow.enterpriseId, label: enterprise?.name ?? null },
    path: enterprise ? auditPathOf(enterprise) : { enterpriseId: flow.enterpriseId },
    payload: {
      after: { tenantId, adminOid: claims.oid, adminUpn: claims.preferredUsername ?? null },
    },
  });
}
