import type { VerifyEnterpriseInvitationBody } from "../../../../shared/contracts/enterprises.ts";
import type { RegistrationSignInStart } from "../../../../shared/contracts/registration.ts";
import { type Ctx, inTransaction } from "../../../context.ts";
import type { enterprises, microsoftFlows } from "../../../db/schema/index.ts";
import { registrationScopes } from "../../../integrations/microsoft/config.ts";
import { requireMicrosoft } from "../../../integrations/microsoft/port.ts";
import type { Services } from "../../../services.ts";
import { auditPathOf, verifyEnterpriseInvitation } from "../../enterprises/index.ts";
import { prepareSignInFlow, storeFlow } from "../../microsoft-flows/index.ts";

/** A registration journey through Microsoft must finish within this time. */
export const flowTtlMs = 15 * 60_000;

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
  requireMicrosoft(services.microsoft);
  const { invitation, enterprise } = await verifyEnterpriseInvitation(services, input);
  const { url, row } = await prepareSignInFlow(services, {
    purpose: "enterprise_registration",
    enterpriseId: enterprise.id,
    invitationId: invitation.id,
    scopes: registrationScopes,
    prompt: "consent",
    ttlMs: flowTtlMs,
    browserBindingHash,
  });
  await inTransaction(services, { actor: null, label: invitation.email, clientAddress }, (ctx) =>
    recordRegistrationStart(ctx, row, enterprise),
  );
  return { url };
}

/** Stores a registration's new flow and records that it started. */
async function recordRegistrationStart(
  ctx: Ctx,
  row: typeof microsoftFlows.$inferInsert & { id: string },
  enterprise: typeof enterprises.$inferSelect,
): Promise<void> {
  await storeFlow(ctx, row);
  await ctx.emit("enterprise.registration_started", {
    subject: { type: "enterprise", id: enterprise.id, label: enterprise.name },
    path: auditPathOf(enterprise),
    payload: { after: { flowId: row.id } },
  });
}
