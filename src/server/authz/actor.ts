import type { PortalRole } from "../../shared/contracts/auth.ts";

/** A signed-in portal account, resolved from its session on every request. */
export interface Actor {
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
  session: { tokenHash: string; csrfToken: string };
  clientAddress: string | null;
}

/** Who did something, for the audit log; `actor` is null for the system and for anonymous flows. */
export interface Who {
  actor: Actor | null;
  label: string;
  clientAddress: string | null;
}

export function whoOf(actor: Actor): Who {
  return { actor, label: `${actor.name} <${actor.email}>`, clientAddress: actor.clientAddress };
}
