import type { PortalRole } from "./contracts/auth.ts";

/**
 * What each portal role may do, by `resource.action`. Where a resource lives in a subtree, the
 * scope check comes first (foreign → 404) and this table second (wrong role → 403).
 */
export const permissions = {
  "region.manage": ["operator"],
  "pbx_type.manage": ["operator"],
  "master_reseller.manage": ["operator"],
  "reseller.read": ["operator", "master_reseller"],
  "reseller.manage": ["operator", "master_reseller"],
  "enterprise.read": ["operator", "master_reseller", "reseller"],
  "enterprise.manage": ["operator", "reseller"],
  "admin.manage": ["operator", "master_reseller", "reseller"],
  "audit.read": ["operator", "master_reseller", "reseller"],
} as const satisfies Record<string, readonly PortalRole[]>;

export type Action = keyof typeof permissions;

export function roleCan(role: PortalRole, action: Action): boolean {
  return (permissions[action] as readonly PortalRole[]).includes(role);
}

/** Every action a role may take; sent to the portal so it shows only what the user may do. */
export function abilitiesOf(role: PortalRole): Action[] {
  return (Object.keys(permissions) as Action[]).filter((a) => roleCan(role, a));
}
