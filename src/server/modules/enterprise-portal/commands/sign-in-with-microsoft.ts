import { eq } from "drizzle-orm";
import type {
  EnterpriseSignInFailure,
  EnterpriseSignInStart,
} from "../../../../shared/contracts/enterprise-portal.ts";
import { GLOBAL_ADMINISTRATOR_ROLE } from "../../../../shared/contracts/registration.ts";
import { newId } from "../../../../shared/ids.ts";
import type { Who } from "../../../authz/actor.ts";
import { type Ctx, inTransaction } from "../../../context.ts";
import { enterpriseAdmins, enterprises, microsoftFlows } from "../../../db/schema/index.ts";
import { signInScopes, teamsAdministratorRoleId } from "../../../integrations/microsoft/config.ts";
import { requireMicrosoft, type VerifiedSignIn } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import type { Services } from "../../../services.ts";
import { purgeSoftDeleted } from "../../calling/index.ts";
import { auditPathOf } from "../../enterprises/index.ts";
import {
  endFlow,
  type MicrosoftFlowRow,
  prepareSignInFlow,
  type SignInRedirectHandler,
  signInProofOf,
  storeFlow,
} from "../../microsoft-flows/index.ts";
import { type NewSession, openEnterpriseAdminSession } from "../enterprise-admin-sessions.ts";

type EnterpriseRow = typeof enterprises.$inferSelect;

/** A sign-in journey through Microsoft must finish within this time. */
const flowTtlMs = 10 * 60_000;

/** Directory roles that make a user of a registered tenant an enterprise admin (SPEC §3.3). */
const adminRoles = [GLOBAL_ADMINISTRATOR_ROLE, teamsAdministratorRoleId];

export interface SignInOutcome {
  location: string;
  session?: NewSession;
}

interface Client {
  clientAddress: string | null;
  userAgent: string | null;
}

function failure(services: Services, reason: EnterpriseSignInFailure): SignInOutcome {
  return { location: `${services.publicUrl}/enterprise/sign-in?error=${reason}` };
}

/**
 * "Sign in with Microsoft" on the enterprise portal: a flow (state, nonce, PKCE verifier; only the
 * state's hash and the sealed verifier are stored) and the URL of Microsoft's sign-in for work
 * accounts (`organizations`). The tenant is learnt from the verified id token, never asked.
 */
export async function startEnterpriseSignIn(
  services: Services,
  browserBindingHash: string,
): Promise<EnterpriseSignInStart> {
  const { url, row } = await prepareSignInFlow(services, {
    purpose: "enterprise_sign_in",
    scopes: signInScopes,
    tenant: "organizations",
    prompt: "select_account",
    ttlMs: flowTtlMs,
    browserBindingHash,
  });
  await inTransaction(services, anonymous(null), (ctx) => storeFlow(ctx, row));
  return { url };
}

/**
 * The sign-in redirect of a portal sign-in flow. The flow is single-use; the id token's tenant
 * must be bound to a registered (or active) enterprise, and the user must hold Global
 * Administrator or Teams Administrator there. Then the admin is recorded (roles refreshed) and a
 * session opened, in one transaction. Every failure ends on the sign-in page with its reason.
 * Microsoft is called between the writes, never inside a transaction.
 */
export async function completeEnterpriseSignIn(
  services: Services,
  flow: MicrosoftFlowRow,
  query: { code?: string | undefined; error?: string | undefined },
  client: Client,
): Promise<SignInOutcome> {
  const now = services.now();
  const before = anonymous(client.clientAddress);
  const ended = await inTransaction(services, before, (ctx) => endFlow(ctx, flow.id));
  if (!ended || flow.expiresAt <= now) return failure(services, "state_invalid");
  const fail = async (reason: EnterpriseSignInFailure) => {
    await inTransaction(services, before, (ctx) => recordSignInFailure(ctx, flow.id, reason));
    return failure(services, reason);
  };
  try {
    if (query.error) {
      // access_denied: cancelled at Microsoft; server_error / temporarily_unavailable: its outage.
      if (query.error === "access_denied" || query.error === "consent_required")
        return await fail("consent_declined");
      if (query.error === "server_error" || query.error === "temporarily_unavailable")
        return await fail("microsoft_unavailable");
      return await fail("sign_in_failed");
    }
    if (!query.code) return await fail("sign_in_failed");
    const proof = signInProofOf(services, flow);
    if (!proof) return await fail("state_invalid");
    const microsoft = requireMicrosoft(services.microsoft);
    const claims = await microsoft.redeemSignInCode({
      code: query.code,
      codeVerifier: proof.codeVerifier,
      redirectUri: `${services.publicUrl}${services.env.MS_REDIRECT_PATH}`,
      scopes: signInScopes,
      expectedNonce: proof.nonce,
      tenant: "organizations",
    });
    if (claims.isPersonalAccount) return await fail("personal_account");
    const tenantId = claims.tid.toLowerCase();
    const [enterprise] = await services.db
      .select()
      .from(enterprises)
      .where(eq(enterprises.tenantId, tenantId));
    if (!enterprise || enterprise.status === "invited") return await fail("not_registered");
    if (enterprise.status === "disabled") return await fail("enterprise_disabled");
    const who = {
      actor: null,
      label: `${claims.name ?? claims.preferredUsername ?? claims.oid} <${claims.preferredUsername ?? claims.oid}>`,
      clientAddress: client.clientAddress,
    };
    const held = claims.directoryRoles.filter((role) => adminRoles.includes(role));
    if (held.length === 0) {
      await inTransaction(services, who, (ctx) => refuseSignIn(ctx, flow.id, enterprise, claims));
      return failure(services, "not_enterprise_admin");
    }
    const session = await inTransaction(services, who, (ctx) =>
      admitEnterpriseAdmin(ctx, enterprise, claims, held, client),
    );
    return { location: `${services.publicUrl}/enterprise`, session };
  } catch (e) {
    if (e instanceof AppError && e.code.startsWith("microsoft_")) {
      return fail(
        e.code === "microsoft_sign_in_failed"
          ? "sign_in_failed"
          : e.code === "microsoft_consent_required"
            ? "consent_declined"
            : e.code === "microsoft_app_misconfigured"
              ? "app_misconfigured"
              : "microsoft_unavailable",
      );
    }
    throw e;
  }
}

/**
 * The enterprise portal's part of Microsoft's sign-in redirect (the route is microsoft-flows'):
 * the flows of purpose `enterprise_sign_in` end here, on the portal's sign-in page when they fail.
 */
export const enterpriseSignInRedirect: SignInRedirectHandler = {
  foreignBrowserPage: (services) => failure(services, "state_invalid").location,
  complete: (services, flow, query, client) =>
    flow
      ? completeEnterpriseSignIn(services, flow, query, client)
      : Promise.resolve(failure(services, "state_invalid")),
};

/** Nobody known yet: the browser of a sign-in before Microsoft said who it is. */
function anonymous(clientAddress: string | null): Who {
  return { actor: null, label: "anonymous", clientAddress };
}

/** Says why a sign-in flow (already ended) failed. */
async function recordSignInFailure(
  ctx: Ctx,
  flowId: string,
  reason: EnterpriseSignInFailure,
): Promise<void> {
  await ctx.tx.update(microsoftFlows).set({ failure: reason }).where(eq(microsoftFlows.id, flowId));
}

/** A user of a registered tenant without an admin role: refused, and recorded. */
async function refuseSignIn(
  ctx: Ctx,
  flowId: string,
  enterprise: EnterpriseRow,
  claims: VerifiedSignIn,
): Promise<void> {
  await ctx.emit("enterprise_admin.sign_in_refused", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: {
      after: { oid: claims.oid, upn: claims.preferredUsername ?? null, reason: "no admin role" },
    },
  });
  await recordSignInFailure(ctx, flowId, "not_enterprise_admin");
}

/** Records the enterprise admin (roles refreshed) and opens its session. */
async function admitEnterpriseAdmin(
  ctx: Ctx,
  enterprise: EnterpriseRow,
  claims: VerifiedSignIn,
  held: string[],
  client: Client,
): Promise<NewSession> {
  const { now } = ctx;
  const [admin] = await ctx.tx
    .insert(enterpriseAdmins)
    .values({
      id: newId("enterpriseAdmin"),
      enterpriseId: enterprise.id,
      oid: claims.oid,
      upn: claims.preferredUsername ?? null,
      name: claims.name ?? null,
      roles: held,
      createdAt: now,
      lastSignInAt: now,
    })
    .onConflictDoUpdate({
      target: [enterpriseAdmins.enterpriseId, enterpriseAdmins.oid],
      set: {
        upn: claims.preferredUsername ?? null,
        name: claims.name ?? null,
        roles: held,
        lastSignInAt: now,
      },
    })
    .returning({ id: enterpriseAdmins.id });
  await ctx.emit("enterprise_admin.signed_in", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: { after: { oid: claims.oid, upn: claims.preferredUsername ?? null, roles: held } },
  });
  // What its provider deleted without management consent is deleted for good now (SPEC §2.6).
  await purgeSoftDeleted(ctx, enterprise);
  return openEnterpriseAdminSession(ctx, { enterpriseAdminId: admin!.id, ...client });
}
