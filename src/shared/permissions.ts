/** The roles of service provider accounts, one per tier (SPEC §1). */
export type PortalRole = "operator" | "master_reseller" | "reseller";

/** Portal roles, plus the enterprise admin who signs in with Microsoft (SPEC §1). */
export type Role = PortalRole | "enterprise_admin";

/**
 * What each role may do, by `resource.action`. Where a resource lives in a subtree, the scope
 * check comes first (foreign → 404) and this table second (wrong role → 403). The actions listed
 * in `onBehalf` are ones a service provider takes on an enterprise's behalf: they also need the
 * enterprise's management consent (SPEC §3.4), checked third (403 `management_consent_required`).
 */
export const permissions = {
  "region.manage": ["operator"],
  "pbx_type.manage": ["operator"],
  /** Add, list and revoke the SBC gateway nodes of a region, and their credentials (SPEC §5). */
  "gateway_node.manage": ["operator"],
  "master_reseller.manage": ["operator"],
  "reseller.read": ["operator", "master_reseller"],
  "reseller.manage": ["operator", "master_reseller"],
  "enterprise.read": ["operator", "master_reseller", "reseller"],
  "enterprise.manage": ["operator", "reseller"],
  /** The enterprise dashboard: action items, consent, sync state. */
  "enterprise.overview": ["operator", "master_reseller", "reseller", "enterprise_admin"],
  /** Grant or revoke management by the service provider: the enterprise's own decision. */
  "management_consent.manage": ["enterprise_admin"],
  /**
   * Grant the Microsoft permissions Teamgate's application lists and the tenant has not granted
   * (admin consent): the tenant's own decision; no service provider can consent for a tenant.
   */
  "microsoft_permissions.grant": ["enterprise_admin"],
  /** Queue again a Microsoft set-up step that gave up (the Teams Administrator role). */
  "microsoft_setup.retry": ["operator", "reseller", "enterprise_admin"],
  /** Set up Direct Routing and retry it (service provider: with management consent). */
  "direct_routing.manage": ["operator", "reseller", "enterprise_admin"],
  /** The enterprise's PBX locations (SPEC §2.5). */
  "pbx.read": ["operator", "master_reseller", "reseller", "enterprise_admin"],
  /** Add, edit and delete PBX locations (service provider: with management consent). */
  "pbx.manage": ["operator", "reseller", "enterprise_admin"],
  /** The enterprise's phone number inventory (SPEC §2.7). */
  "numbers.read": ["operator", "master_reseller", "reseller", "enterprise_admin"],
  /**
   * Add, import and remove phone numbers: the provider usually owns the numbers it hands out
   * (service provider: with management consent).
   */
  "numbers.manage": ["operator", "reseller", "enterprise_admin"],
  "users.read": ["operator", "master_reseller", "reseller", "enterprise_admin"],
  /** Choose the groups to sync and sync now (service provider: with management consent). */
  "users.sync": ["operator", "reseller", "enterprise_admin"],
  /**
   * Configure users for calling and manage them (change SIP password, disable, delete, restore).
   * Without management consent a service provider's changes wait for an enterprise admin before
   * they reach Microsoft (`users.push`), and its deletes are soft (SPEC §2.6, §3.4).
   */
  "users.configure": ["operator", "reseller", "enterprise_admin"],
  /** Apply users' calling configuration in Teams (service provider: with management consent). */
  "users.push": ["operator", "reseller", "enterprise_admin"],
  /**
   * The enterprise's call records and SIP traces (SPEC §1, §2.7); an enterprise admin only while
   * the enterprise's Access SIP Data is on (`requiresSipDataAccess`).
   */
  "calls.read": ["operator", "master_reseller", "reseller", "enterprise_admin"],
  "admin.manage": ["operator", "master_reseller", "reseller"],
  "audit.read": ["operator", "master_reseller", "reseller", "enterprise_admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof permissions;

/** Actions a service provider may take on an enterprise only with its management consent. */
const onBehalf: ReadonlySet<Action> = new Set<Action>([
  "direct_routing.manage",
  "microsoft_setup.retry",
  "numbers.manage",
  "pbx.manage",
  "users.push",
  "users.sync",
]);

/** True when a service provider needs the enterprise's management consent for the action. */
export function needsManagementConsent(action: Action): boolean {
  return onBehalf.has(action);
}

/** Actions an enterprise admin may take only while its enterprise has Access SIP Data on. */
const sipDataActions: ReadonlySet<Action> = new Set<Action>(["calls.read"]);

/** True when an enterprise admin needs the enterprise's Access SIP Data for the action (SPEC §1). */
export function requiresSipDataAccess(action: Action): boolean {
  return sipDataActions.has(action);
}

export function roleCan(role: Role, action: Action): boolean {
  return (permissions[action] as readonly Role[]).includes(role);
}

/** Every action a role may take; sent to the portal so it shows only what the user may do. */
export function abilitiesOf(role: Role): Action[] {
  return (Object.keys(permissions) as Action[]).filter((a) => roleCan(role, a));
}
