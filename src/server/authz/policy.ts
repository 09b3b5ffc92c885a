import { type Action, roleCan } from "../../shared/permissions.ts";
import { AppError, notFound } from "../lib/errors.ts";
import type { Actor } from "./actor.ts";

declare const scoped: unique symbol;
/**
 * A record the actor has been proven to see. Only the functions below create one, so a command
 * that takes `Scoped<T>` cannot be handed a row fetched without the subtree check.
 */
export type Scoped<T> = T & { readonly [scoped]: true };

/** Where a record sits in the tenancy tree. */
export interface TreePosition {
  /** The organization itself for organizations; the owning reseller for enterprises. */
  organizationId: string;
  masterResellerId: string | null;
  resellerId: string | null;
}

/** True when the position lies in the actor's subtree (operator: everything). */
export function isInSubtree(actor: Actor, position: TreePosition): boolean {
  switch (actor.role) {
    case "operator":
      return true;
    case "master_reseller":
      return position.masterResellerId === actor.organizationId;
    case "reseller":
      return position.resellerId === actor.organizationId;
  }
}

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
