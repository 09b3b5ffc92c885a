import { readFileSync } from "node:fs";
import type { Env } from "../../env.ts";

/** Everything the Microsoft integration needs, resolved from the environment once. */
export interface MicrosoftConfig {
  clientId: string;
  clientSecret: string;
  /** Login origin without a trailing slash (MS_LOGIN_BASE). */
  loginBase: string;
  /** Graph origin without a trailing slash (MS_GRAPH_BASE); requests go to `${graphBase}/v1.0`. */
  graphBase: string;
  /** Graph's resource identifier (MS_GRAPH_RESOURCE): scopes are `${graphResource}/…`. */
  graphResource: string;
  /** Hosts msal accepts as authorities without instance discovery. */
  knownAuthorities: string[];
  /** Extra certificate authorities (PEM) to trust besides the system's, e.g. the emulator's CA. */
  caPem: string | undefined;
}

/** The Microsoft configuration, or null when MS_CLIENT_ID / MS_CLIENT_SECRET are not set. */
export function microsoftConfigFromEnv(env: Env): MicrosoftConfig | null {
  if (!env.MS_CLIENT_ID || !env.MS_CLIENT_SECRET) return null;
  return {
    clientId: env.MS_CLIENT_ID,
    clientSecret: env.MS_CLIENT_SECRET,
    loginBase: env.MS_LOGIN_BASE,
    graphBase: env.MS_GRAPH_BASE,
    graphResource: env.MS_GRAPH_RESOURCE,
    knownAuthorities:
      env.MS_KNOWN_AUTHORITIES.length > 0
        ? env.MS_KNOWN_AUTHORITIES
        : [new URL(env.MS_LOGIN_BASE).host],
    caPem: env.MS_CA_FILE ? readFileSync(env.MS_CA_FILE, "utf8") : undefined,
  };
}

/** The `.default` scope of Graph: every application permission the tenant granted. */
export function graphDefaultScope(config: Pick<MicrosoftConfig, "graphResource">): string {
  return `${config.graphResource}/.default`;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Tenant ids end up in URL paths: only GUIDs are accepted. */
export function isTenantId(value: string): boolean {
  return guid.test(value);
}

/**
 * The application permissions (app roles) the platform's Entra application must request, granted
 * in round 2 of registration: read the tenant, its users and their group memberships. Nothing
 * that writes the directory stands: the one write registration needs (the Teams Administrator
 * role for our service principal) is made with the Global Administrator's own sign-in
 * (`registrationScopes`). The README says why each one.
 */
export const requiredAppPermissions = [
  "Organization.Read.All",
  "User.Read.All",
  "GroupMember.Read.All",
] as const;

/**
 * The application permissions Direct Routing adds (SPEC §3.5): add and verify the derived trunk
 * domains, create the user that activates each one and license it (`assignLicense` accepts
 * `User.ReadWrite.All`; no narrower permission creates users). Not required to register, so a
 * tenant that registered before Direct Routing keeps working and is asked to grant them.
 */
export const directRoutingAppPermissions = ["Domain.ReadWrite.All", "User.ReadWrite.All"] as const;

/**
 * The application permission configuring calling users adds: assign and unassign their phone
 * numbers in Teams (Graph `numberAssignments/assignNumber` and `unassignNumber`, and reading the
 * assignments back). Not required to register either: an earlier tenant is asked to grant it.
 */
export const callingAppPermissions = ["TeamsTelephoneNumber.ReadWrite.All"] as const;

/** Every application permission the Entra application lists; round 2's admin consent grants them. */
export const requestedAppPermissions = [
  ...requiredAppPermissions,
  ...directRoutingAppPermissions,
  ...callingAppPermissions,
] as const;

/** One of the application permissions the Entra application lists. */
export type RequestedAppPermission = (typeof requestedAppPermissions)[number];

/** The built-in Teams Administrator directory role (its template id, the same in every tenant). */
export const teamsAdministratorRoleId = "69091246-20e8-4a56-aa4d-066075b2a7a8";

/**
 * The delegated scopes of the sign-ins (registration round 1 and the enterprise portal): the
 * profile, and the signed-in user's directory roles (`/me/transitiveMemberOf`), which decide
 * Global and Teams Administrator without depending on the app's token configuration. msal adds
 * openid, profile and offline_access.
 */
export const signInScopes = ["User.Read", "RoleManagement.Read.Directory"] as const;

/**
 * Registration's round 1 asks the Global Administrator for two more delegated scopes, used once
 * during registration, as that person, to give our service principal the Teams Administrator
 * role: find the service principal, then create the role assignment. The token is kept (sealed)
 * only until registration ends; Teamgate keeps no refresh token.
 */
export const registrationScopes = [
  ...signInScopes,
  "Application.Read.All",
  "RoleManagement.ReadWrite.Directory",
] as const;

/**
 * Every delegated permission the Entra application lists; round 2's admin consent grants them
 * tenant-wide, so Teams Administrators can sign in later without a consent screen. Delegated
 * permissions act only as a signed-in person, within that person's own directory roles.
 */
export const requiredDelegatedScopes = [
  "openid",
  "profile",
  "offline_access",
  ...registrationScopes,
] as const;
