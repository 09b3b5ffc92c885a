import type { CallingAbility } from "../../../shared/contracts/calling.ts";
import type { Actor } from "../../authz/actor.ts";
import { can, mayActFor } from "../../authz/policy.ts";
import type { CallingRow } from "./calling.queries.ts";

type ConsentFacts = { requestManagementConsent: boolean; managementConsentGrantedAt: Date | null };

/**
 * Whether the actor's changes reach Teams at once: an enterprise admin, or its provider with
 * management consent (SPEC §3.4). Otherwise they wait for an enterprise admin, and deletes are soft.
 */
export function mayPushToTeams(actor: Actor, enterprise: ConsentFacts): boolean {
  return mayActFor(actor, enterprise, "users.push");
}

/**
 * What the actor may do with one user (null: not configured). The routes check the same, so a
 * button the portal shows is a request that succeeds.
 */
export function callingAbilities(
  actor: Actor,
  enterprise: ConsentFacts,
  calling: Pick<
    CallingRow,
    "deletedAt" | "disabledAt" | "callingEnabled" | "service" | "teamsState"
  > | null,
  user: { teamsPhoneLicensed: boolean; removedAt: Date | null },
): CallingAbility[] {
  if (!can(actor, "users.configure")) return [];
  const push = mayPushToTeams(actor, enterprise);
  if (!calling) return user.teamsPhoneLicensed && !user.removedAt ? ["calling.configure"] : [];
  if (calling.deletedAt) return calling.teamsState === "waiting" ? ["calling.restore"] : [];
  const abilities: CallingAbility[] = ["calling.configure"];
  if (calling.service === "pbx") abilities.push("calling.change_password");
  abilities.push(calling.callingEnabled ? "calling.disable_calling" : "calling.enable_calling");
  abilities.push(calling.disabledAt ? "calling.enable" : "calling.disable");
  if (calling.disabledAt) abilities.push("calling.delete");
  if (push && (calling.teamsState === "failed" || calling.teamsState === "waiting"))
    abilities.push("calling.push");
  return abilities;
}
