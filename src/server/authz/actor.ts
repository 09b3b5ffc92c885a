import type { PortalRole } from "../../shared/contracts/auth.ts";

interface SignedIn {
  session: { tokenHash: string; csrfToken: string };
  clientAddress: string | null;
}

/** A signed-in portal account (operator, master reseller or reseller admin). */
export interface PortalActor extends SignedIn {
  kind: "portal";
  accountId: string;
  name: string;
  email: string;
  username: string;
  organizationId: string;
  organizationName: string;
  /** Services the organization sells (empty for the operator). */
  organizationServices: ("PBX" | "TRUNK")[];
  role: PortalRole;
  /** The master reseller this actor belongs to or is (null for the operator). */
  masterResellerId: string | null;
  /** The reseller this actor belongs to (only for reseller admins). */
  resellerId: string | null;
  mustChangePassword: boolean;
}

/**
 * A Microsoft user of an enterprise's tenant signed in with Microsoft (SPEC §3.3): its Global
 * Administrator or, once the tenant is registered, a Teams Administrator. Sees only its enterprise.
 */
export interface EnterpriseAdminActor extends SignedIn {
  kind: "enterprise_admin";
  role: "enterprise_admin";
  enterpriseAdminId: string;
  name: string;
  /** The user's sign-in name (user principal name) in the tenant. */
  email: string;
  enterpriseId: string;
  enterpriseName: string;
  /** The enterprise's Access SIP Data (SPEC §1): whether its admins see call records and traces. */
  accessSipData: boolean;
  resellerId: string;
  masterResellerId: string;
  tenantId: string;
  /** Directory role template ids held at sign-in (`wids`). */
  directoryRoles: string[];
  mustChangePassword: false;
}

/** Whoever a session belongs to, resolved on every request. */
export type Actor = PortalActor | EnterpriseAdminActor;

/** The actor's id as the audit log records it (account or enterprise admin, by prefix). */
export function actorIdOf(actor: Actor): string {
  return actor.kind === "portal" ? actor.accountId : actor.enterpriseAdminId;
}

/** Who did something, for the audit log; `actor` is null for the system and for anonymous flows. */
export interface Who {
  actor: Actor | null;
  label: string;
  clientAddress: string | null;
}

/** The platform itself (jobs, schedules, workflows): no actor, "system" in the audit log. */
export const system: Who = { actor: null, label: "system", clientAddress: null };

export function whoOf(actor: Actor): Who {
  return { actor, label: `${actor.name} <${actor.email}>`, clientAddress: actor.clientAddress };
}

/**
 * An SBC gateway node (ADR 0019), signed in with its bearer token on the gateway routes only.
 * Deliberately not part of `Actor`: no portal route can receive one, and a node sees nothing but
 * its own region.
 */
export interface GatewayNodeActor {
  kind: "gateway_node";
  nodeId: string;
  regionId: string;
  name: string;
}
