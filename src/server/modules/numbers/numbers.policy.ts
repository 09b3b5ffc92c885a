import type { PhoneNumberAbility } from "../../../shared/contracts/numbers.ts";
import type { Actor } from "../../authz/actor.ts";
import { mayActFor } from "../../authz/policy.ts";

type ConsentFacts = { requestManagementConsent: boolean; managementConsentGrantedAt: Date | null };

/**
 * Whether the actor may add, import and remove the enterprise's numbers: its role allows
 * `numbers.manage` and, for its service provider, the enterprise granted management consent
 * (SPEC §3.4). The routes check the same, so a button the portal shows is a request that succeeds.
 */
export function mayManageNumbers(actor: Actor, enterprise: ConsentFacts): boolean {
  return mayActFor(actor, enterprise, "numbers.manage");
}

/** What the actor may do with one number of the enterprise (an assigned one cannot be removed). */
export function numberAbilities(
  actor: Actor,
  enterprise: ConsentFacts,
  number: { state: string },
): PhoneNumberAbility[] {
  return mayManageNumbers(actor, enterprise) && number.state === "available"
    ? ["number.remove"]
    : [];
}
