import type { PbxAbility } from "../../../shared/contracts/pbx.ts";
import type { Actor } from "../../authz/actor.ts";
import { mayActFor } from "../../authz/policy.ts";

type ConsentFacts = { requestManagementConsent: boolean; managementConsentGrantedAt: Date | null };

/**
 * Whether the actor may add, edit and delete the enterprise's PBX locations: its role allows
 * `pbx.manage` and, for its service provider, the enterprise granted management consent
 * (SPEC §3.4). The routes check the same, so a button the portal shows is a request that succeeds.
 */
export function mayManagePbxes(actor: Actor, enterprise: ConsentFacts): boolean {
  return mayActFor(actor, enterprise, "pbx.manage");
}

/** What the actor may do with one PBX location of the enterprise. */
export function pbxAbilities(actor: Actor, enterprise: ConsentFacts): PbxAbility[] {
  return mayManagePbxes(actor, enterprise) ? ["pbx.update", "pbx.delete"] : [];
}
