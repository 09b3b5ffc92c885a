import { appTokenGrants } from "../../integrations/microsoft/msal.ts";
import type { Microsoft } from "../../integrations/microsoft/port.ts";
import { AppError, isTransient } from "../../lib/errors.ts";

/**
 * How long Microsoft may take to apply an admin consent before a flow waiting for it gives up.
 * Microsoft promises no bound; minutes are common, so the browser shows that it is waiting.
 */
export const consentWaitMs = 5 * 60_000;

/** Answers Microsoft gives while a consent is still propagating (or it is briefly unavailable). */
const notYet = new Set([
  "microsoft_consent_required",
  "microsoft_forbidden",
  "microsoft_unavailable",
  "microsoft_throttled",
]);

/**
 * What a tenant's admin consent gives the platform now. `granted`: the application permissions
 * (app roles) in a fresh app-only token of the tenant, sorted; empty when the token cannot be
 * read or there is none yet. `other_tenant`: Graph answered for another tenant than asked.
 */
export type ConsentEffect =
  | { state: "effective"; granted: string[]; tenantName: string }
  | { state: "pending"; granted: string[]; unavailable: boolean }
  | { state: "other_tenant" };

/**
 * One look at whether a tenant's admin consent took effect, the one way both registration and a
 * later consent read it: a fresh app-only token (never msal's cache, which may hold a token from
 * before the consent) whose roles cover every permission of `required`, and `GET /organization`
 * answering with that tenant. Pending while Microsoft is still applying it (or briefly
 * unavailable); any other Microsoft refusal is thrown as its AppError.
 */
export async function readConsentEffect(
  microsoft: Microsoft,
  tenantId: string,
  required: readonly string[],
): Promise<ConsentEffect> {
  let granted: string[] = [];
  try {
    const grants = appTokenGrants(await microsoft.acquireAppToken(tenantId, { fresh: true }));
    if (grants !== null) {
      granted = grants.roles;
      if (required.some((p) => !granted.includes(p)))
        return { state: "pending", granted, unavailable: false };
    }
    const organization = await microsoft.getOrganization(tenantId);
    if (organization.id !== tenantId) return { state: "other_tenant" };
    return { state: "effective", granted, tenantName: organization.displayName };
  } catch (e) {
    if (e instanceof AppError && notYet.has(e.code))
      return { state: "pending", granted, unavailable: isTransient(e) };
    throw e;
  }
}
