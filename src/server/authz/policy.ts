import {
  type Action,
  needsManagementConsent,
  requiresSipDataAccess,
  roleCan,
} from "../../shared/permissions.ts";
import { AppError, notFound } from "../lib/errors.ts";
import type { Actor } from "./actor.ts";
import { isInSubtree, type TreePosition } from "./tenancy.ts";

export { isInSubtree, type TreePosition } from "./tenancy.ts";

declare const scoped: unique symbol;
/**
 * A record the actor has been proven to see. Only the functions below create one, so a command
 * that takes `Scoped<T>` cannot be handed a row fetched without the subtree check.
 */
export type Scoped<T> = T & { readonly [scoped]: true };

/** Proves the record is visible to the actor or throws 404 (indistinguishable from absent). */
export function scopeTo<T>(
  actor: Actor,
  record: T | null | undefined,
  position: (r: T) => TreePosition,
  what = "Resource",
): Scoped<T> {
  if (!record || !isInSubtree(actor, position(record))) throw notFound(what);
  return record as Scoped<T>;
}

export function can(actor: Actor, action: Action): boolean {
  return roleCan(actor.role, action);
}

/** Throws 403 unless the actor's role allows the action. Call after scoping (SPEC §1). */
export function authorize(actor: Actor, action: Action): void {
  if (!can(actor, action)) throw new AppError("forbidden", "Your role does not allow this action");
}

/** Whether the service provider may act on the enterprise's behalf (SPEC §3.4). */
export type ManagementConsent = "not_requested" | "pending" | "granted";

type ConsentFacts = { requestManagementConsent: boolean; managementConsentGrantedAt: Date | null };

export function managementConsentOf(enterprise: ConsentFacts): ManagementConsent {
  if (!enterprise.requestManagementConsent) return "not_requested";
  return enterprise.managementConsentGrantedAt ? "granted" : "pending";
}

/**
 * True when the actor's role allows the action on the enterprise and, for an action taken on the
 * enterprise's behalf, the consent allows it too: its own admins always, its service provider only
 * with management consent (SPEC §3.4). Call on an enterprise already scoped to the actor.
 */
export function mayActFor(actor: Actor, enterprise: ConsentFacts, action: Action): boolean {
  return can(actor, action) && consentAllows(actor, enterprise, action);
}

function consentAllows(actor: Actor, enterprise: ConsentFacts, action: Action): boolean {
  return (
    !needsManagementConsent(action) ||
    actor.kind === "enterprise_admin" ||
    managementConsentOf(enterprise) === "granted"
  );
}

/**
 * Throws 403 `forbidden` unless the role allows the action, then 403 `management_consent_required`
 * when a service provider takes an on-behalf action the enterprise has not consented to.
 */
export function authorizeFor(actor: Actor, enterprise: ConsentFacts, action: Action): void {
  authorize(actor, action);
  if (!consentAllows(actor, enterprise, action)) {
    throw new AppError(
      "management_consent_required",
      "The enterprise has not allowed management by its service provider; an enterprise admin must do this or grant consent first",
    );
  }
}

/**
 * True unless an enterprise admin asks for SIP data (call records, traces) of an enterprise whose
 * Access SIP Data is off (SPEC §1); its service provider sees them either way.
 */
export function sipDataAllows(
  actor: Actor,
  enterprise: { accessSipData: boolean },
  action: Action,
): boolean {
  return (
    !requiresSipDataAccess(action) || actor.kind !== "enterprise_admin" || enterprise.accessSipData
  );
}

/** Throws 403 `sip_data_access_disabled` when `sipDataAllows` does not. Call after `authorizeFor`. */
export function authorizeSipData(
  actor: Actor,
  enterprise: { accessSipData: boolean },
  action: Action,
): void {
  if (!sipDataAllows(actor, enterprise, action)) {
    throw new AppError(
      "sip_data_access_disabled",
      "Call records and SIP traces are available to the enterprise's admins only when its service provider turns on Access SIP Data",
    );
  }
}
