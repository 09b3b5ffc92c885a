import { eq, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Actor } from "./actor.ts";

/**
 * The tenancy kernel: where a record sits in the tree (operator → master resellers → resellers →
 * enterprises) and which records an actor sees, each written once. Events, workflow runs and
 * every scoped query use these.
 */

/** Where a record sits in the tenancy tree. */
export interface TreePosition {
  /** The organization itself for organizations; the owning reseller for enterprises. */
  organizationId: string;
  masterResellerId: string | null;
  resellerId: string | null;
  /** The enterprise for enterprises and what they hold; absent above them. */
  enterpriseId?: string | null;
}

/**
 * True when the position lies in the actor's subtree (operator: everything; an enterprise admin:
 * its own enterprise and what it holds).
 */
export function isInSubtree(actor: Actor, position: TreePosition): boolean {
  switch (actor.role) {
    case "enterprise_admin":
      return position.enterpriseId === actor.enterpriseId;
    case "operator":
      return true;
    case "master_reseller":
      return position.masterResellerId === actor.organizationId;
    case "reseller":
      return position.resellerId === actor.organizationId;
  }
}

/** Where an organization sits: a master reseller is its own master reseller, a reseller its own reseller. */
export function organizationPosition(org: {
  id: string;
  kind: string;
  masterResellerId: string | null;
}): TreePosition {
  return {
    organizationId: org.id,
    masterResellerId: org.kind === "master_reseller" ? org.id : org.masterResellerId,
    resellerId: org.kind === "reseller" ? org.id : null,
  };
}

/** Where an enterprise (and what it holds) sits: under its reseller and master reseller. */
export function enterprisePosition(e: {
  id: string;
  resellerId: string;
  masterResellerId: string;
}): TreePosition {
  return {
    organizationId: e.resellerId,
    masterResellerId: e.masterResellerId,
    resellerId: e.resellerId,
    enterpriseId: e.id,
  };
}

/** The tree-position columns of a table whose rows sit at or below an enterprise. */
export interface PositionColumns {
  masterResellerId: PgColumn;
  resellerId: PgColumn;
  enterpriseId: PgColumn;
}

/**
 * The rows of the actor's subtree as one equality on an indexed column (none for the operator):
 * the SQL twin of `isInSubtree`.
 */
export function subtreeFilter(actor: Actor, columns: PositionColumns): SQL | undefined {
  switch (actor.role) {
    case "enterprise_admin":
      return eq(columns.enterpriseId, actor.enterpriseId);
    case "operator":
      return undefined;
    case "master_reseller":
      return eq(columns.masterResellerId, actor.organizationId);
    case "reseller":
      return eq(columns.resellerId, actor.organizationId);
  }
}
