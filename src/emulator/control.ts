import type { FaultSpec } from "./faults.ts";
import type {
  AdminCenterEdit,
  DomainActivation,
  GroupMembershipClaims,
  LicenseName,
  Propagation,
  SeedUser,
  SignInAudience,
  TeamsVoiceView,
  TenantStateView,
} from "./state.ts";

export interface EmulatorControl {
  /** The multi-tenant application the platform authenticates as (client id + secret, redirect URIs). */
  registerApp(app: {
    clientId: string;
    clientSecret: string;
    redirectUris: string[];
    displayName?: string;
    delegatedScopes?: string[];
    appRoles?: string[];
    /** PEM certificates whose keys may sign client assertions (optional extension). */
    certificates?: string[];
    /** The manifest's `groupMembershipClaims` (default `None`: ID tokens carry no `wids`). */
    groupMembershipClaims?: GroupMembershipClaims;
    /** Default `AzureADMultipleOrgs`: personal accounts are stopped at `/common` (AADSTS50020). */
    signInAudience?: SignInAudience;
  }): void;
  /** A tenant with users and groups; returns ids. `isPersonal` models a consumer (MSA) tenant. */
  seedTenant(input: {
    displayName: string;
    domain: string;
    isPersonal?: boolean;
    users: SeedUser[];
    groups?: string[];
  }): {
    tenantId: string;
    users: { id: string; userPrincipalName: string }[];
    groups: { id: string; displayName: string }[];
  };
  addUser(tenantId: string, user: SeedUser): { id: string };
  updateUser(tenantId: string, userId: string, patch: Partial<SeedUser>): void;
  removeUser(tenantId: string, userId: string): void;
  /** A group by display name (created when absent). */
  addGroup(tenantId: string, displayName: string): { id: string };
  /** Nests group `childId` in group `parentId`: its users become transitive members of the parent. */
  nestGroup(tenantId: string, parentId: string, childId: string): void;
  /** Adds (`member: true`) or removes a user of a group, by ids. */
  setGroupMember(tenantId: string, groupId: string, userId: string, member: boolean): void;
  /**
   * The tenant-wide admin consent of an application, without the pages (seeding large tenants).
   * It takes effect after the consent propagation delay, unless `longAgo` (a tenant registered
   * earlier, whose consent Microsoft applied long since).
   */
  grantAdminConsent(tenantId: string, clientId: string, options?: { longAgo?: boolean }): void;
  /** Expires the tenant's delta tokens: the next delta round with one answers 410 syncStateNotFound. */
  expireDeltaTokens(tenantId: string): void;
  /** Publishes a TXT value at `name` in the emulator's DNS (what Graph's domain verify reads); idempotent. */
  publishTxt(name: string, value: string): void;
  /** Removes a TXT value at `name`; a value that is not there is not an error. */
  removeTxt(name: string, value: string): void;
  /** The TXT values at `name` (empty when none). */
  txtValues(name: string): string[];
  /** Fault injection: matching requests (method optional, path regex, optional tenant) get `status` (429 adds Retry-After) and/or latency, `times` times (default: until cleared). */
  injectFault(fault: FaultSpec): string;
  clearFaults(): void;
  /** How long admin consents and role assignments take to reach tokens and Graph (ms; 0 = at once). */
  setPropagation(delays: Partial<Propagation>): Propagation;
  /**
   * How long after its activation user was licensed a derived trunk domain is served for Direct
   * Routing (ms; 0 = at once, the default). Microsoft: "it may take up to 24 hours".
   */
  setDirectRoutingActivationDelay(ms: number): number;
  /**
   * How long a newly published TXT record takes to reach Microsoft's resolvers, which domain
   * verification asks (ms; 0 = at once, the default); the authoritative answer has it at once.
   */
  setDnsPropagationDelay(ms: number): number;
  /** Registers a carrier trunk FQDN; from then on gateways must be `<label>.<carrier trunk>`. */
  addCarrierTrunk(fqdn: string): void;
  /** Whether a derived trunk domain is served for a tenant yet, and if not, why. */
  getDomainActivation(tenantId: string, fqdn: string): DomainActivation;
  /**
   * A change a tenant administrator makes by hand in the admin centers (a domain or a Teams voice
   * object removed, a route's gateways edited, music on hold switched), for drift tests.
   */
  adminCenterEdit(tenantId: string, edit: AdminCenterEdit): void;
  /** The tenant's Teams voice objects, grants and create calls per kind. */
  teamsVoice(tenantId: string): TeamsVoiceView;
  /** Purchased units of a SKU in a tenant (assignLicense fails once all are consumed). */
  setSkuUnits(tenantId: string, license: LicenseName, units: number): void;
  /** Read-only view for assertions: consents (delegated scopes, app roles, admin-consented) per app, service principals, directory role assignments made through Graph, domains, Teams number assignments and their operations. */
  tenantState(tenantId: string): TenantStateView;
}
