import { and, eq, isNull } from "drizzle-orm";
import { newId } from "../../../shared/ids.ts";
import type { Ctx } from "../../context.ts";
import { microsoftFlows } from "../../db/schema/index.ts";
import type { SignInUrlRequest } from "../../integrations/microsoft/msal.ts";
import { requireMicrosoft } from "../../integrations/microsoft/port.ts";
import { hashToken, randomToken, seal, unseal } from "../../lib/secrets.ts";
import type { Services } from "../../services.ts";
import type { MicrosoftFlowRow } from "./microsoft-flows.queries.ts";

/**
 * A new journey through Microsoft's sign-in: fresh state, nonce and PKCE verifier, the URL to send
 * the browser to, and the flow row for the caller to store (`storeFlow`). Only the
 * state's SHA-256 and the sealed verifier are stored; the flow is bound to the starting browser.
 */
export async function prepareSignInFlow(
  services: Services,
  input: {
    purpose: (typeof microsoftFlows.$inferInsert)["purpose"];
    scopes: readonly string[];
    prompt: NonNullable<SignInUrlRequest["prompt"]>;
    tenant?: string;
    ttlMs: number;
    browserBindingHash: string;
    enterpriseId?: string;
    invitationId?: string;
  },
): Promise<{ url: string; row: typeof microsoftFlows.$inferInsert }> {
  const microsoft = requireMicrosoft(services.microsoft);
  const state = randomToken();
  const nonce = randomToken();
  const codeVerifier = randomToken(48);
  const url = await microsoft.buildSignInUrl({
    state,
    nonce,
    codeVerifier,
    redirectUri: `${services.publicUrl}${services.env.MS_REDIRECT_PATH}`,
    scopes: input.scopes,
    prompt: input.prompt,
    ...(input.tenant ? { tenant: input.tenant } : {}),
  });
  const now = services.now();
  return {
    url,
    row: {
      id: newId("microsoftFlow"),
      purpose: input.purpose,
      enterpriseId: input.enterpriseId ?? null,
      invitationId: input.invitationId ?? null,
      stateHash: hashToken(state),
      browserBindingHash: input.browserBindingHash,
      nonce,
      sealedCodeVerifier: seal(services.secret, codeVerifier),
      round: "sign_in",
      expiresAt: new Date(now.getTime() + input.ttlMs),
      createdAt: now,
    },
  };
}

/**
 * What proves a sign-in redirect belongs to its flow: the PKCE verifier (unsealed) and the nonce
 * the id token must carry. Null for a flow that never signs in (an admin consent alone).
 */
export function signInProofOf(
  services: Services,
  flow: MicrosoftFlowRow,
): { codeVerifier: string; nonce: string } | null {
  if (!flow.sealedCodeVerifier || !flow.nonce) return null;
  return {
    codeVerifier: unseal<string>(services.secret, flow.sealedCodeVerifier),
    nonce: flow.nonce,
  };
}

/**
 * Microsoft's admin consent screen for one tenant (`/adminconsent`: every permission the
 * application's registration lists, tenant-wide), coming back with `state` to
 * `MS_ADMIN_CONSENT_REDIRECT_PATH`.
 */
export function adminConsentUrl(services: Services, tenantId: string, state: string): string {
  return requireMicrosoft(services.microsoft).buildAdminConsentUrl({
    tenantId,
    redirectUri: `${services.publicUrl}${services.env.MS_ADMIN_CONSENT_REDIRECT_PATH}`,
    state,
  });
}

/**
 * A new journey straight to a known tenant's admin consent, without a sign-in round: a fresh
 * state, the URL to send the browser to, and the flow row (round `admin_consent`, bound to the
 * starting browser) for the caller to store (`storeFlow`). Only the state's SHA-256 is stored.
 */
export function prepareAdminConsentFlow(
  services: Services,
  input: {
    purpose: MicrosoftFlowRow["purpose"];
    tenantId: string;
    enterpriseId: string;
    ttlMs: number;
    browserBindingHash: string;
    /** Who started it (kept for the record of what the consent changed). */
    startedBy: { upn: string | null; name: string | null };
  },
): { url: string; row: typeof microsoftFlows.$inferInsert } {
  const state = randomToken();
  const url = adminConsentUrl(services, input.tenantId, state);
  const now = services.now();
  return {
    url,
    row: {
      id: newId("microsoftFlow"),
      purpose: input.purpose,
      enterpriseId: input.enterpriseId,
      stateHash: hashToken(state),
      browserBindingHash: input.browserBindingHash,
      round: "admin_consent",
      tenantId: input.tenantId,
      adminUpn: input.startedBy.upn,
      adminName: input.startedBy.name,
      expiresAt: new Date(now.getTime() + input.ttlMs),
      createdAt: now,
    },
  };
}

/** Stores a flow `prepareSignInFlow` or `prepareAdminConsentFlow` made, in the context's transaction. */
export async function storeFlow(ctx: Ctx, row: typeof microsoftFlows.$inferInsert): Promise<void> {
  await ctx.tx.insert(microsoftFlows).values(row);
}

/**
 * Ends a flow (single use: its state can never be replayed) and drops the token it may hold,
 * optionally saying why it failed. True when this call ended it; false when it had already ended
 * (a replayed or concurrent redirect).
 */
export async function endFlow(
  ctx: Ctx,
  flowId: string,
  failure: string | null = null,
): Promise<boolean> {
  const ended = await ctx.tx
    .update(microsoftFlows)
    .set({ usedAt: ctx.now, sealedGraphToken: null, ...(failure ? { failure } : {}) })
    .where(and(eq(microsoftFlows.id, flowId), isNull(microsoftFlows.usedAt)))
    .returning({ id: microsoftFlows.id });
  return ended.length > 0;
}

/**
 * Moves a flow on from round `from` with `set`, only while it is in that round and unused. False
 * when it was not (a concurrent redirect with the same state got there first, or the flow ended).
 */
export async function advanceFlow(
  ctx: Ctx,
  flowId: string,
  from: (typeof microsoftFlows.$inferSelect)["round"],
  set: Partial<typeof microsoftFlows.$inferInsert>,
): Promise<boolean> {
  const moved = await ctx.tx
    .update(microsoftFlows)
    .set(set)
    .where(
      and(
        eq(microsoftFlows.id, flowId),
        eq(microsoftFlows.round, from),
        isNull(microsoftFlows.usedAt),
      ),
    )
    .returning({ id: microsoftFlows.id });
  return moved.length > 0;
}
