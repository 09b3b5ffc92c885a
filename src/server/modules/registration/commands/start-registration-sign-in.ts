import type { VerifyEnterpriseInvitationBody } from "../../../../shared/contracts/enterprises.ts";
import type { RegistrationSignInStart } from "../../../../shared/contracts/registration.ts";
import { newId } from "../../../../shared/ids.ts";
import { microsoftFlows } from "../../../db/schema/index.ts";
import { requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import { hashToken, randomToken, seal } from "../../../lib/secrets.ts";
import type { Services } from "../../../services.ts";
import { recordAudit } from "../../audit/index.ts";
import { auditPathOf } from "../../enterprises/commands/enterprise-rules.ts";
import { verifyEnterpriseInvitation } from "../../enterprises/index.ts";

/** A registration journey through Microsoft must finish within this time. */
export const flowTtlMs = 15 * 60_000;

/** Round 1's delegated scopes (msal adds openid, profile and offline_access). */
export const signInScopes = ["email", "User.Read"];

/**
 * "Sign in with Microsoft" on the Complete page (seed 3, round 1): checks the invitation code and
 * the enterprise again, opens a flow (state, nonce and PKCE verifier; only the state's hash and the
 * sealed verifier are stored) and returns the Microsoft sign-in URL with `prompt=consent`.
 */
export async function startRegistrationSignIn(
  services: Services,
  input: VerifyEnterpriseInvitationBody,
  browser: { clientAddress: string | null; browserBindingHash: string },
): Promise<RegistrationSignInStart> {
  const { clientAddress, browserBindingHash } = browser;
  const microsoft = requireMicrosoft(services.microsoft);
  const { invitation, enterprise } = await verifyEnterpriseInvitation(services, input);
  const state = randomToken();
  const nonce = randomToken();
  const codeVerifier = randomToken(48);
  const url = await microsoft.buildSignInUrl({
    state,
    nonce,
    codeVerifier,
    redirectUri: `${services.publicUrl}${services.env.MS_REDIRECT_PATH}`,
    scopes: signInScopes,
    prompt: "consent",
  });
  const now = services.now();
  await services.db.transaction(async (tx) => {
    const id = newId("microsoftFlow");
    await tx.insert(microsoftFlows).values({
      id,
      purpose: "enterprise_registration",
      enterpriseId: enterprise.id,
      invitationId: invitation.id,
      stateHash: hashToken(state),
      browserBindingHash,
      nonce,
      sealedCodeVerifier: seal(services.secret, codeVerifier),
      round: "sign_in",
      expiresAt: new Date(now.getTime() + flowTtlMs),
      createdAt: now,
    });
    await recordAudit(
      tx,
      { actor: null, label: invitation.email, clientAddress },
      {
        action: "enterprise.registration_started",
        target: { type: "enterprise", id: enterprise.id, label: enterprise.name },
        path: auditPathOf(enterprise),
        after: { flowId: id },
      },
    );
  });
  return { url };
}
