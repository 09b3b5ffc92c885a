import { and, eq, isNull } from "drizzle-orm";
import type {
  EnterpriseSignInFailure,
  EnterpriseSignInStart,
} from "../../../../shared/contracts/enterprise-portal.ts";
import { GLOBAL_ADMINISTRATOR_ROLE } from "../../../../shared/contracts/registration.ts";
import { newId } from "../../../../shared/ids.ts";
import { enterpriseAdmins, enterprises, microsoftFlows } from "../../../db/schema/index.ts";
import { signInScopes } from "../../../integrations/microsoft/config.ts";
import { requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import { unseal } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import { auditPathOf } from "../../enterprises/commands/enterprise-rules.ts";
import { prepareSignInFlow } from "../../registration/microsoft-flow.ts";
import type { MicrosoftFlowRow } from "../../registration/registration.queries.ts";
import { teamsAdministratorRoleId } from "../../registration/teams-admin-role.ts";
import { type NewSession, openEnterpriseAdminSession } from "../enterprise-admin-sessions.ts";

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
  await services.db.insert(microsoftFlows).values(row);
  return { url };
}

/**
 * The sign-in redirect of a portal sign-in flow. The flow is single-use; the id token's tenant
 * must be bound to a registered (or active) enterprise, and the user must hold Global
 * Administrator or Teams Administrator there. Then the admin is recorded (roles refreshed) and a
 * session opened, in one transaction. Every failure ends on the sign-in page with its reason.
 */
export async function completeEnterpriseSignIn(
  services: Services,
  flow: MicrosoftFlowRow,
  query: { code?: string | undefined; error?: string | undefined },
  client: Client,
): Promise<SignInOutcome> {
  const now = services.now();
  const ended = await services.db
    .update(microsoftFlows)
    .set({ usedAt: now })
    .where(and(eq(microsoftFlows.id, flow.id), isNull(microsoftFlows.usedAt)))
    .returning({ id: microsoftFlows.id });
  if (ended.length === 0 || flow.expiresAt <= now) return failure(services, "state_invalid");
  const fail = async (reason: EnterpriseSignInFailure) => {
    await services.db
      .update(microsoftFlows)
      .set({ failure: reason })
      .where(eq(microsoftFlows.id, flow.id));
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
    const microsoft = requireMicrosoft(services.microsoft);
    const claims = await microsoft.redeemSignInCode({
      code: query.code,
      codeVerifier: unseal<string>(services.secret, flow.sealedCodeVerifier),
      redirectUri: `${services.publicUrl}${services.env.MS_REDIRECT_PATH}`,
      scopes: signInScopes,
      expectedNonce: flow.nonce,
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
    const held = claims.directoryRoles.filter((role) => adminRoles.includes(role));
    const who = {
      actor: null,
      label: `${claims.name ?? claims.preferredUsername ?? claims.oid} <${claims.preferredUsername ?? claims.oid}>`,
      clientAddress: client.clientAddress,
    };
    if (held.length === 0) {
      await recordAudit(services.db, who, {
        action: "enterprise_admin.sign_in_refused",
        target: { type: "enterprise", id: enterprise.id, label: enterprise.name },
        path: auditPathOf(enterprise),
        after: { oid: claims.oid, upn: claims.preferredUsername ?? null, reason: "no admin role" },
      });
      return await fail("not_enterprise_admin");
    }
    const session = await services.db.transaction(async (tx) => {
      const [admin] = await tx
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
      await recordAudit(tx, who, {
        action: "enterprise_admin.signed_in",
        target: { type: "enterprise", id: enterprise.id, label: enterprise.name },
        path: auditPathOf(enterprise),
        after: { oid: claims.oid, upn: claims.preferredUsername ?? null, roles: held },
      });
      return openEnterpriseAdminSession(tx, services, {
        enterpriseAdminId: admin!.id,
        ...client,
      });
    });
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
