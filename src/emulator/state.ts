import { randomInt, randomUUID } from "node:crypto";

/** Directory role template ids (the values Microsoft puts in `wids`). */
export const roleTemplateIds = {
  globalAdministrator: "62e90394-69f5-4237-9190-012177145e10",
  teamsAdministrator: "69091246-20e8-4a56-aa4d-066075b2a7a8",
  /** May grant tenant-wide admin consent to Graph application permissions, like a Global Administrator. */
  privilegedRoleAdministrator: "e8611ab8-c189-46e8-94e1-60213ab1f814",
  /** Every member user holds this one; Microsoft includes it in `wids`. */
  user: "b79fbf4d-3ef9-4689-8143-76b194e85509",
} as const;

/** The tenant id Microsoft gives every personal (MSA) account. */
export const consumersTenantId = "9188040d-6c67-4c5b-b112-36a304b66dad";

export interface ServicePlan {
  servicePlanId: string;
  servicePlanName: string;
  service: string;
}
export interface Sku {
  skuId: string;
  skuPartNumber: string;
  servicePlans: ServicePlan[];
}

/** Microsoft 365 E3 (carries Teams, TEAMS1) and Teams Phone Standard (MCOEV). */
export const skus = {
  teams: {
    skuId: "05e9a617-0261-4cee-bb44-138d3ef5d965",
    skuPartNumber: "SPE_E3",
    servicePlans: [
      {
        servicePlanId: "57ff2da0-773e-42df-b2af-ffb7a2317929",
        servicePlanName: "TEAMS1",
        service: "TeamspaceAPI",
      },
      {
        servicePlanId: "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",
        servicePlanName: "MCOSTANDARD",
        service: "MicrosoftCommunicationsOnline",
      },
      {
        servicePlanId: "efb87545-963c-4e0d-99df-69c6916d9eb0",
        servicePlanName: "EXCHANGE_S_ENTERPRISE",
        service: "exchange",
      },
    ],
  },
  teamsPhone: {
    skuId: "e43b5b99-8dfb-405f-9987-dc307f34bcbd",
    skuPartNumber: "MCOEV",
    servicePlans: [
      {
        servicePlanId: "4828c8ec-dc2e-4779-b502-87ac9ce28ab7",
        servicePlanName: "MCOEV",
        service: "MicrosoftCommunicationsOnline",
      },
    ],
  },
  /** Office 365 G3 GCC: Teams for Government (TEAMS_GOV). */
  office365G3Gcc: {
    skuId: "535a3a29-c5f0-42fe-8215-d3b9e1f38c4a",
    skuPartNumber: "ENTERPRISEPACK_GOV",
    servicePlans: [
      {
        servicePlanId: "304767db-7d23-49e8-a945-4a7eb65f9f28",
        servicePlanName: "TEAMS_GOV",
        service: "TeamspaceAPI",
      },
    ],
  },
  /** Teams Phone for GCC (MCOEV_GOV). */
  teamsPhoneGov: {
    skuId: "a460366a-ade7-4791-b581-9fbff1bdaa85",
    skuPartNumber: "MCOEV_GOV",
    servicePlans: [
      {
        servicePlanId: "db23fce2-a974-42ef-9002-d78dd42a0f22",
        servicePlanName: "MCOEV_GOV",
        service: "MicrosoftCommunicationsOnline",
      },
    ],
  },
  /** Office 365 E3 GCC High: TEAMS_AR_GCCHIGH. */
  office365E3GccHigh: {
    skuId: "aea38a85-9bd5-4981-aa00-616b411205bf",
    skuPartNumber: "ENTERPRISEPACK_USGOV_GCCHIGH",
    servicePlans: [
      {
        servicePlanId: "9953b155-8aef-4c56-92f3-72b0487fce41",
        servicePlanName: "TEAMS_AR_GCCHIGH",
        service: "TeamspaceAPI",
      },
    ],
  },
  /** Office 365 E3 DoD: TEAMS_AR_DOD. */
  office365E3Dod: {
    skuId: "b107e5a3-3e60-4c0d-a184-a7e4395eb44c",
    skuPartNumber: "ENTERPRISEPACK_USGOV_DOD",
    servicePlans: [
      {
        servicePlanId: "fd500458-c24c-478e-856c-a6067a8376cd",
        servicePlanName: "TEAMS_AR_DOD",
        service: "TeamspaceAPI",
      },
    ],
  },
} satisfies Record<string, Sku>;

/**
 * `capabilityStatus` of an assigned plan: `Warning` is a grace period (still usable), the others
 * are not usable (https://learn.microsoft.com/graph/api/resources/assignedplan).
 */
export type CapabilityStatus = "Enabled" | "Warning" | "Suspended" | "LockedOut" | "Deleted";

export type RoleName = "globalAdministrator" | "teamsAdministrator" | "privilegedRoleAdministrator";
export type LicenseName = keyof typeof skus;

/** A user as the control API describes it (see the interface in index.ts). */
export interface SeedUser {
  userPrincipalName: string;
  displayName: string;
  password: string;
  roles?: RoleName[];
  licenses?: LicenseName[];
  /** Per licence, the capabilityStatus of its plans (default `Enabled`). */
  licenseStatus?: Partial<Record<LicenseName, CapabilityStatus>>;
  /** Service plan ids switched off in the assigned licences (absent from `assignedPlans`). */
  disabledPlans?: string[];
  groups?: string[];
  accountEnabled?: boolean;
  /** Default `US`; null for a user a licence cannot be assigned to yet. */
  usageLocation?: string | null;
}

export interface User {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  password: string;
  accountEnabled: boolean;
  roles: RoleName[];
  licenses: LicenseName[];
  licenseStatus: Partial<Record<LicenseName, CapabilityStatus>>;
  disabledPlans: string[];
  createdDateTime: string;
  /** When the user's licences last changed (their plans' `assignedDateTime`). */
  licensedAt: string;
  /** ISO 3166 alpha-2; a licence can be assigned only once it is set (null for users created without it). */
  usageLocation: string | null;
}

export interface Group {
  id: string;
  displayName: string;
  mailNickname: string;
  createdDateTime: string;
  memberIds: Set<string>;
  /** Groups nested in this one: their users are transitive members of this group. */
  memberGroupIds: Set<string>;
}

export interface RegisteredApp {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  displayName: string;
  delegatedScopes: string[];
  appRoles: string[];
  /** PEM certificates accepted for client assertions. */
  certificates: string[];
  /**
   * The manifest's `groupMembershipClaims`: ID tokens carry `wids` only with `DirectoryRole` or
   * `All`, as in Entra, where the default (`None`) sends no directory roles at all.
   */
  groupMembershipClaims: GroupMembershipClaims;
  /** `AzureADMultipleOrgs` (work or school accounts only) or with personal accounts too. */
  signInAudience: SignInAudience;
}

export type GroupMembershipClaims = "None" | "SecurityGroup" | "DirectoryRole" | "All";
export type SignInAudience = "AzureADMultipleOrgs" | "AzureADandPersonalMicrosoftAccount";

/**
 * How long Microsoft takes to apply what an administrator did, which Microsoft does not bound:
 * tests set these to model the delays the product must wait out.
 */
export interface Propagation {
  /**
   * After an admin consent: the new service principal is unknown to the token service for the
   * first third of this time (client credentials answer AADSTS7000229), then app-only tokens come
   * without `roles` (Graph answers 403) until it has passed.
   */
  consentMs: number;
  /** A directory role given to a service principal reaches its app-only tokens after this long. */
  roleAssignmentMs: number;
}

export interface Consent {
  /** Delegated scopes granted for every user of the tenant ("Consent on behalf of your organization"). */
  tenantScopes: Set<string>;
  /** Delegated scopes users granted for themselves. */
  userScopes: Map<string, Set<string>>;
  /** Application permissions (app roles) granted by an administrator. */
  appRoles: Set<string>;
  adminConsented: boolean;
  consentedBy: string[];
  /**
   * When each granted app role reaches app-only tokens (epoch ms). Each grant is its own app role
   * assignment in Entra: one added by a later consent takes time, the ones before stay in effect.
   */
  appRoleEffectiveAt: Map<string, number>;
}

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  /** When the token service knows it (epoch ms): before, client credentials answer 7000229. */
  visibleAt: number;
}

export interface RoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
  /** When the assignment reaches the principal's tokens (`wids`), epoch ms. */
  effectiveAt?: number;
}

export interface Domain {
  id: string;
  isDefault: boolean;
  isInitial: boolean;
  isVerified: boolean;
  authenticationType: "Managed";
  supportedServices: string[];
  verificationCode: string;
}

export interface Change {
  seq: number;
  userId: string;
  /** The Graph properties an update changed (absent: created or deleted, the whole object). */
  fields?: string[];
}

/** A change to a group or its membership (for `/groups/delta`); `memberId` when membership changed. */
export interface GroupChange {
  seq: number;
  groupId: string;
  memberId?: string;
  removed?: boolean;
}

/**
 * A Teams telephone number assigned to a user; active once its asynchronous operation succeeded,
 * gone once the unassignNumber operation that removes it succeeded (in effect until then).
 */
export interface NumberAssignment {
  telephoneNumber: string;
  assignmentTargetId: string;
  numberType: string;
  assignmentCategory: string;
  operationId: string;
  /** The unassignNumber operation that removes the assignment when it succeeds. */
  removalOperationId?: string;
}

/** An asynchronous Teams telephone number operation (`telephoneNumberLongRunningOperation`). */
export interface NumberOperation {
  id: string;
  /** What the operation does: assign the number to `assignmentTargetId`, or unassign it. */
  kind: "assignNumber" | "unassignNumber";
  createdDateTime: string;
  /** When the operation completes (epoch ms); the state is derived from the clock. */
  completesAt: number;
  telephoneNumber: string;
  assignmentTargetId: string;
  numberType: string;
  assignmentCategory: string;
  status: "notStarted" | "running" | "succeeded" | "failed";
  statusDetail: string | null;
}

export interface Tenant {
  id: string;
  displayName: string;
  defaultDomain: string;
  isPersonal: boolean;
  createdDateTime: string;
  users: Map<string, User>;
  groups: Map<string, Group>;
  consents: Map<string, Consent>;
  servicePrincipals: Map<string, ServicePrincipal>;
  roleAssignments: RoleAssignment[];
  domains: Map<string, Domain>;
  changes: Change[];
  seq: number;
  sortedUserIds: string[] | null;
  groupChanges: GroupChange[];
  numberAssignments: Map<string, NumberAssignment>;
  numberOperations: Map<string, NumberOperation>;
  /** Delta tokens taken before this sequence number are expired (410 syncStateNotFound). */
  deltaTokenFloor: number;
  /** Purchased units per SKU where a test set them (otherwise there are always free units). */
  skuUnits: Partial<Record<LicenseName, number>>;
  /** What the Teams voice origin manages (Teams PowerShell's objects). */
  teamsVoice: TeamsVoiceState;
}

/** The kinds of Teams voice objects whose create calls the emulator counts. */
export type TeamsVoiceKind = "pstnUsage" | "voiceRoute" | "voiceRoutingPolicy" | "tenantDialPlan";

/** A voice route (`New-CsOnlineVoiceRoute`): gateways are derived trunk FQDNs, lower case. */
export interface VoiceRouteRecord {
  identity: string;
  numberPattern: string;
  onlinePstnGatewayList: string[];
  onlinePstnUsages: string[];
  priority: number;
  description: string;
}

/** An online voice routing policy: the PSTN usages its users may call through. */
export interface VoiceRoutingPolicyRecord {
  identity: string;
  onlinePstnUsages: string[];
  description: string;
}

/** One normalization rule of a tenant dial plan (`New-CsVoiceNormalizationRule`). */
export interface NormalizationRuleRecord {
  name: string;
  pattern: string;
  translation: string;
  description: string;
  isInternalExtension: boolean;
}

/** A tenant dial plan and its normalization rules, in order. */
export interface TenantDialPlanRecord {
  identity: string;
  description: string;
  normalizationRules: NormalizationRuleRecord[];
}

/** One tenant's Teams voice configuration; maps are keyed by lower-case identity (names ignore case). */
export interface TeamsVoiceState {
  pstnUsages: string[];
  voiceRoutes: Map<string, VoiceRouteRecord>;
  voiceRoutingPolicies: Map<string, VoiceRoutingPolicyRecord>;
  tenantDialPlans: Map<string, TenantDialPlanRecord>;
  /** The Global Teams calling policy's `MusicOnHoldEnabledType`. */
  musicOnHoldEnabledType: "Enabled" | "Disabled" | "UserOverride";
  /** Per user id: the granted policy names (absent: the global default). */
  grants: Map<string, { voiceRoutingPolicy?: string; tenantDialPlan?: string }>;
  /**
   * Per user id: `VoicemailEnabled` as `Set-CsOnlineVoicemailUserSettings` set it (absent: Teams'
   * default, on for a user with Teams Phone).
   */
  voicemail: Map<string, boolean>;
  /** Create calls received per kind, refused ones included (proves a workflow never repeats one). */
  createCalls: Record<TeamsVoiceKind, number>;
}

function newTeamsVoiceState(): TeamsVoiceState {
  return {
    pstnUsages: [],
    voiceRoutes: new Map(),
    voiceRoutingPolicies: new Map(),
    tenantDialPlans: new Map(),
    musicOnHoldEnabledType: "Enabled",
    grants: new Map(),
    voicemail: new Map(),
    createCalls: { pstnUsage: 0, voiceRoute: 0, voiceRoutingPolicy: 0, tenantDialPlan: 0 },
  };
}

/** Teams service plans (any cloud): a licence with one of them makes a Teams user. */
const teamsPlans = [
  "57ff2da0-773e-42df-b2af-ffb7a2317929",
  "304767db-7d23-49e8-a945-4a7eb65f9f28",
  "495922d5-f138-498b-8967-4acdcdfb2a74",
  "9953b155-8aef-4c56-92f3-72b0487fce41",
  "ec0dd2de-a877-4059-a9b8-5838b5629b2a",
  "fd500458-c24c-478e-856c-a6067a8376cd",
];
/** Teams Phone service plans (MCOEV, MCOEV_GOV). */
const teamsPhonePlans = [
  "4828c8ec-dc2e-4779-b502-87ac9ce28ab7",
  "db23fce2-a974-42ef-9002-d78dd42a0f22",
];

/** Whether one of the user's licences carries a usable (`Enabled` or `Warning`) plan among `planIds`. */
function hasUsablePlan(user: User, planIds: readonly string[]): boolean {
  return user.licenses.some(
    (l) =>
      ["Enabled", "Warning"].includes(user.licenseStatus[l] ?? "Enabled") &&
      skus[l].servicePlans.some(
        (p) => planIds.includes(p.servicePlanId) && !user.disabledPlans.includes(p.servicePlanId),
      ),
  );
}

/** A usable Teams plan (TEAMS1 or a government one). */
export function hasTeams(user: User): boolean {
  return hasUsablePlan(user, teamsPlans);
}

/** A usable Teams Phone plan (MCOEV, MCOEV_GOV). */
export function hasTeamsPhone(user: User): boolean {
  return hasUsablePlan(user, teamsPhonePlans);
}

/** A tenant's subscription to one SKU as `/subscribedSkus` reports it. */
export interface Subscription {
  name: LicenseName;
  sku: Sku;
  consumedUnits: number;
  enabledUnits: number;
}

/**
 * The SKUs a tenant subscribes to: the commercial ones always, another once a user holds it or a
 * test gave it units. Units are plentiful unless a test set them (`setSkuUnits`).
 */
export function subscriptionsOf(tenant: Tenant): Subscription[] {
  if (tenant.isPersonal) return [];
  return (Object.keys(skus) as LicenseName[]).flatMap((name) => {
    let consumed = 0;
    for (const u of tenant.users.values()) if (u.licenses.includes(name)) consumed++;
    const units = tenant.skuUnits[name];
    if (consumed === 0 && units === undefined && name !== "teams" && name !== "teamsPhone")
      return [];
    return [
      {
        name,
        sku: skus[name],
        consumedUnits: consumed,
        enabledUnits: units ?? Math.max(25, consumed + 10),
      },
    ];
  });
}

/** Delegated scopes Microsoft marks "admin consent required" that the `.All` rule does not catch. */
const adminOnlyScopes = new Set([
  "rolemanagement.read.directory",
  "rolemanagement.readwrite.directory",
  "directory.accessasuser.all",
]);

/** Admin-only delegated scopes: a non-administrator cannot consent to these, even for themselves. */
export function requiresAdmin(scope: string): boolean {
  const lower = scope.toLowerCase();
  return adminOnlyScopes.has(lower) || (/\.all$/.test(lower) && lower !== "user.readbasic.all");
}

export class NotFound extends Error {}

/** DNS names compare without case and without a trailing dot. */
const txtKey = (name: string) => name.toLowerCase().replace(/\.$/, "");

/**
 * The whole emulated Microsoft cloud, in memory: tenants and their directories, the registered
 * multi-tenant applications, consents, published DNS TXT records.
 */
export class DirectoryState {
  readonly tenants = new Map<string, Tenant>();
  readonly apps = new Map<string, RegisteredApp>();
  readonly txt = new Map<string, string[]>();
  /** When each published TXT value (`name\nvalue`) reaches Microsoft's resolvers. */
  readonly txtVisibleAt = new Map<string, number>();
  /**
   * How long a published TXT record takes to reach Microsoft's resolvers (DNS caching and
   * propagation); the authoritative answer (`txtValues`) has it at once. 0 unless a test sets it.
   */
  dnsPropagationMs = 0;
  /** Delays Microsoft takes to apply consents and role assignments (none unless a test sets them). */
  readonly propagation: Propagation = { consentMs: 0, roleAssignmentMs: 0 };
  /** Every domain verification code issued (`MS=ms<digits>`), so each is unique. */
  readonly verificationCodes = new Set<string>();
  /**
   * How long after its activation user was licensed Microsoft starts serving a derived trunk
   * domain for Direct Routing (0 unless a test or the dev demo sets it; Microsoft: up to 24 h).
   */
  directRoutingActivationMs = 0;
  /** Carrier trunk FQDNs (the carrier tenant's SBCs); derived trunks are `<label>.<carrier trunk>`. */
  readonly carrierTrunks = new Set<string>();
  /** Sign-in name (lower case) → tenant and user, so large seeded tenants stay fast. */
  private readonly upnIndex = new Map<string, { tenantId: string; userId: string }>();

  registerApp(app: {
    clientId: string;
    clientSecret: string;
    redirectUris: string[];
    displayName?: string;
    delegatedScopes?: string[];
    appRoles?: string[];
    certificates?: string[];
    groupMembershipClaims?: GroupMembershipClaims;
    signInAudience?: SignInAudience;
  }): RegisteredApp {
    const registered: RegisteredApp = {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUris: [...app.redirectUris],
      displayName: app.displayName ?? "Teamgate",
      delegatedScopes: app.delegatedScopes ?? [
        "openid",
        "profile",
        "email",
        "offline_access",
        "User.Read",
      ],
      appRoles: app.appRoles ?? ["Organization.Read.All", "User.Read.All", "Group.Read.All"],
      certificates: app.certificates ?? [],
      groupMembershipClaims: app.groupMembershipClaims ?? "None",
      signInAudience: app.signInAudience ?? "AzureADMultipleOrgs",
    };
    this.apps.set(app.clientId, registered);
    return registered;
  }

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
  } {
    const now = new Date().toISOString();
    let tenant = input.isPersonal ? this.tenants.get(consumersTenantId) : undefined;
    if (!tenant) {
      const id = input.isPersonal ? consumersTenantId : randomUUID();
      const defaultDomain = input.domain.includes(".")
        ? input.domain.toLowerCase()
        : `${input.domain.toLowerCase()}.onmicrosoft.com`;
      tenant = {
        id,
        displayName: input.isPersonal ? "Microsoft Accounts" : input.displayName,
        defaultDomain,
        isPersonal: input.isPersonal ?? false,
        createdDateTime: now,
        users: new Map(),
        groups: new Map(),
        consents: new Map(),
        servicePrincipals: new Map(),
        roleAssignments: [],
        domains: new Map(),
        changes: [],
        seq: 0,
        sortedUserIds: null,
        groupChanges: [],
        numberAssignments: new Map(),
        numberOperations: new Map(),
        deltaTokenFloor: 0,
        skuUnits: {},
        teamsVoice: newTeamsVoiceState(),
      };
      tenant.domains.set(defaultDomain, {
        id: defaultDomain,
        isDefault: true,
        isInitial: true,
        isVerified: true,
        authenticationType: "Managed",
        supportedServices: ["Email", "OfficeCommunicationsOnline"],
        verificationCode: "",
      });
      this.tenants.set(id, tenant);
    }
    const groups = (input.groups ?? []).map((name) => this.ensureGroup(tenant, name));
    const users = input.users.map((u) => {
      const { id } = this.addUser(tenant.id, u);
      return { id, userPrincipalName: u.userPrincipalName };
    });
    for (const u of input.users)
      for (const g of u.groups ?? []) {
        const group = this.ensureGroup(tenant, g);
        if (!groups.includes(group)) groups.push(group);
      }
    return {
      tenantId: tenant.id,
      users,
      groups: groups.map((g) => ({ id: g.id, displayName: g.displayName })),
    };
  }

  getTenant(tenantId: string): Tenant {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) throw new NotFound(`Tenant ${tenantId} not found`);
    return tenant;
  }

  /** A tenant by id or by one of its verified domains. */
  findTenant(idOrDomain: string): Tenant | null {
    const key = idOrDomain.toLowerCase();
    const byId = this.tenants.get(key);
    if (byId) return byId;
    for (const t of this.tenants.values()) {
      const d = t.domains.get(key);
      if (d?.isVerified) return t;
    }
    return null;
  }

  /** The user with this sign-in name in any tenant. */
  findUserByUpn(upn: string): { tenant: Tenant; user: User } | null {
    const entry = this.upnIndex.get(upn.trim().toLowerCase());
    const tenant = entry ? this.tenants.get(entry.tenantId) : undefined;
    const user = entry ? tenant?.users.get(entry.userId) : undefined;
    return tenant && user ? { tenant, user } : null;
  }

  addUser(tenantId: string, input: SeedUser): { id: string } {
    const tenant = this.getTenant(tenantId);
    if (this.findUserByUpn(input.userPrincipalName))
      throw new Error(`User ${input.userPrincipalName} already exists`);
    const now = new Date().toISOString();
    const [givenName, ...rest] = input.displayName.split(" ");
    const user: User = {
      id: randomUUID(),
      userPrincipalName: input.userPrincipalName,
      displayName: input.displayName,
      givenName: givenName ?? null,
      surname: rest.length ? rest.join(" ") : null,
      mail: tenant.isPersonal ? null : input.userPrincipalName,
      password: input.password,
      accountEnabled: input.accountEnabled ?? true,
      roles: [...(input.roles ?? [])],
      licenses: [...(input.licenses ?? [])],
      licenseStatus: { ...input.licenseStatus },
      disabledPlans: [...(input.disabledPlans ?? [])],
      createdDateTime: now,
      licensedAt: now,
      usageLocation: input.usageLocation === undefined ? "US" : input.usageLocation,
    };
    tenant.users.set(user.id, user);
    this.upnIndex.set(user.userPrincipalName.trim().toLowerCase(), {
      tenantId: tenant.id,
      userId: user.id,
    });
    tenant.sortedUserIds = null;
    for (const g of input.groups ?? [])
      this.addMember(tenant, this.ensureGroup(tenant, g), user.id);
    this.recordChange(tenant, user.id);
    return { id: user.id };
  }

  updateUser(tenantId: string, userId: string, patch: Partial<SeedUser>): void {
    const tenant = this.getTenant(tenantId);
    const user = tenant.users.get(userId);
    if (!user) throw new NotFound(`User ${userId} not found`);
    if (patch.userPrincipalName !== undefined) {
      const taken = this.findUserByUpn(patch.userPrincipalName);
      if (taken && taken.user.id !== userId)
        throw new Error(`User ${patch.userPrincipalName} already exists`);
      this.upnIndex.delete(user.userPrincipalName.trim().toLowerCase());
      user.userPrincipalName = patch.userPrincipalName;
      this.upnIndex.set(patch.userPrincipalName.trim().toLowerCase(), { tenantId, userId });
    }
    if (patch.displayName !== undefined) user.displayName = patch.displayName;
    if (patch.password !== undefined) user.password = patch.password;
    if (patch.accountEnabled !== undefined) user.accountEnabled = patch.accountEnabled;
    if (patch.roles !== undefined) user.roles = [...patch.roles];
    if (patch.licenses !== undefined) {
      user.licenses = [...patch.licenses];
      user.licensedAt = new Date().toISOString();
    }
    if (patch.licenseStatus !== undefined) user.licenseStatus = { ...patch.licenseStatus };
    if (patch.disabledPlans !== undefined) user.disabledPlans = [...patch.disabledPlans];
    if (patch.usageLocation !== undefined) user.usageLocation = patch.usageLocation;
    const fields = [
      ...(patch.userPrincipalName !== undefined ? ["userPrincipalName"] : []),
      ...(patch.displayName !== undefined ? ["displayName"] : []),
      ...(patch.accountEnabled !== undefined ? ["accountEnabled"] : []),
      ...(patch.licenses !== undefined ||
      patch.licenseStatus !== undefined ||
      patch.disabledPlans !== undefined
        ? ["assignedLicenses", "assignedPlans"]
        : []),
    ];
    if (patch.groups !== undefined) {
      const wanted = new Set(patch.groups.map((name) => this.ensureGroup(tenant, name)));
      for (const g of tenant.groups.values())
        if (!wanted.has(g) && g.memberIds.has(userId)) this.removeMember(tenant, g, userId);
      for (const g of wanted) this.addMember(tenant, g, userId);
    }
    this.recordChange(tenant, userId, fields);
  }

  removeUser(tenantId: string, userId: string): void {
    const tenant = this.getTenant(tenantId);
    const user = tenant.users.get(userId);
    if (!user) throw new NotFound(`User ${userId} not found`);
    tenant.users.delete(userId);
    this.upnIndex.delete(user.userPrincipalName.trim().toLowerCase());
    tenant.sortedUserIds = null;
    tenant.teamsVoice.grants.delete(userId);
    for (const g of tenant.groups.values())
      if (g.memberIds.has(userId)) this.removeMember(tenant, g, userId);
    this.recordChange(tenant, userId);
  }

  /** A group (created when absent), by display name; returns its id. */
  addGroup(tenantId: string, displayName: string): { id: string } {
    return { id: this.ensureGroup(this.getTenant(tenantId), displayName).id };
  }

  /** Makes group `childId` a member of group `parentId` (nested groups; transitive membership). */
  nestGroup(tenantId: string, parentId: string, childId: string): void {
    const tenant = this.getTenant(tenantId);
    const parent = tenant.groups.get(parentId);
    const child = tenant.groups.get(childId);
    if (!parent || !child) throw new NotFound("Group not found");
    if (parentId === childId || this.transitiveGroupIds(tenant, child).has(parentId))
      throw new Error("Nesting would create a cycle");
    if (parent.memberGroupIds.has(childId)) return;
    // Not recorded for /groups/delta, whose members@delta lists users only here.
    parent.memberGroupIds.add(childId);
  }

  /** Adds or removes one user of a group by ids (membership changes are recorded for delta). */
  setGroupMember(tenantId: string, groupId: string, userId: string, member: boolean): void {
    const tenant = this.getTenant(tenantId);
    const group = tenant.groups.get(groupId);
    if (!group) throw new NotFound(`Group ${groupId} not found`);
    if (!tenant.users.has(userId)) throw new NotFound(`User ${userId} not found`);
    // Like Graph's users delta without `memberOf`: membership is not a change of the user.
    if (member) this.addMember(tenant, group, userId);
    else this.removeMember(tenant, group, userId);
  }

  /** The ids of a group's users, direct and through nested groups (each once), sorted. */
  transitiveUserIds(tenant: Tenant, group: Group): string[] {
    if (group.memberGroupIds.size === 0) return [...group.memberIds].sort();
    const ids = new Set<string>();
    for (const gid of this.transitiveGroupIds(tenant, group))
      for (const u of tenant.groups.get(gid)?.memberIds ?? []) ids.add(u);
    return [...ids].sort();
  }

  /** The group and every group nested in it, at any depth. */
  private transitiveGroupIds(tenant: Tenant, group: Group): Set<string> {
    const found = new Set<string>([group.id]);
    const queue = [group];
    for (let g = queue.shift(); g; g = queue.shift())
      for (const child of g.memberGroupIds) {
        const c = tenant.groups.get(child);
        if (c && !found.has(child)) {
          found.add(child);
          queue.push(c);
        }
      }
    return found;
  }

  /**
   * What an administrator's tenant-wide consent does (the adminconsent journey without the pages):
   * grants the app roles and delegated scopes the application's registration lists now, and
   * creates its service principal. Consenting again to what is already granted changes nothing;
   * app roles the registration added since take `consentMs` to reach tokens, while the ones
   * granted before stay in effect.
   */
  grantAdminConsent(tenantId: string, clientId: string, options: { longAgo?: boolean } = {}): void {
    const tenant = this.getTenant(tenantId);
    const app = this.apps.get(clientId);
    if (!app) throw new NotFound(`Application ${clientId} not found`);
    const record = this.consentOf(tenant, clientId);
    const effectiveAt = options.longAgo ? 0 : Date.now() + this.propagation.consentMs;
    for (const r of app.appRoles) {
      if (record.appRoles.has(r)) continue;
      record.appRoles.add(r);
      record.appRoleEffectiveAt.set(r, effectiveAt);
    }
    for (const s of app.delegatedScopes) record.tenantScopes.add(s);
    record.adminConsented = true;
    const sp = this.ensureServicePrincipal(tenant, app);
    if (options.longAgo) sp.visibleAt = 0;
  }

  /**
   * Whether Microsoft serves `fqdn` as a derived trunk of this tenant: a derived trunk of a
   * registered carrier trunk (when any is registered), a verified domain of the tenant, a user on
   * it with a usable Teams licence, and the activation delay passed since that user was licensed
   * (https://learn.microsoft.com/microsoftteams/direct-routing-sbc-multiple-tenants).
   */
  domainActivation(tenantId: string, fqdn: string): DomainActivation {
    const tenant = this.getTenant(tenantId);
    const name = fqdn.trim().toLowerCase().replace(/\.$/, "");
    const pending = (reason: DomainActivation["reason"], activatesAt: number | null = null) => ({
      fqdn: name,
      status: "pending" as const,
      reason,
      activatesAt,
    });
    const derived =
      this.carrierTrunks.size === 0 ||
      [...this.carrierTrunks].some(
        (c) => name.endsWith(`.${c}`) && /^[a-z0-9-]+$/.test(name.slice(0, -c.length - 1)),
      );
    const domain = tenant.domains.get(name);
    if (!derived || domain?.isInitial) return pending("not_a_derived_trunk");
    if (!domain) return pending("domain_not_in_tenant");
    if (!domain.isVerified) return pending("domain_not_verified");
    let licensedSince = Number.POSITIVE_INFINITY;
    for (const user of tenant.users.values())
      if (user.userPrincipalName.toLowerCase().endsWith(`@${name}`) && hasTeams(user))
        licensedSince = Math.min(licensedSince, Date.parse(user.licensedAt));
    if (licensedSince === Number.POSITIVE_INFINITY) return pending("no_licensed_user");
    const activatesAt = licensedSince + this.directRoutingActivationMs;
    if (Date.now() < activatesAt) return pending("activating", activatesAt);
    return { fqdn: name, status: "active", reason: null, activatesAt: null };
  }

  /** Gives a tenant `units` purchased units of a SKU (it then subscribes to it). */
  setSkuUnits(tenantId: string, license: LicenseName, units: number): void {
    if (!(license in skus)) throw new Error(`Unknown licence ${license}`);
    if (!Number.isInteger(units) || units < 0) throw new Error("units must be a whole number ≥ 0");
    this.getTenant(tenantId).skuUnits[license] = units;
  }

  /**
   * What a tenant administrator changes by hand in the Microsoft 365 and Teams admin centers (for
   * drift tests), under the same rules the admin centers apply: a domain goes only once no user
   * signs in with it, a PSTN usage only once no route or policy names it.
   */
  adminCenterEdit(tenantId: string, edit: AdminCenterEdit): void {
    const tenant = this.getTenant(tenantId);
    const voice = tenant.teamsVoice;
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    const removeFrom = <V>(map: Map<string, V>, identity: string, label: string) => {
      const found = [...map.keys()].find((k) => same(k, identity));
      if (found === undefined) throw new NotFound(`No ${label} ${identity}`);
      map.delete(found);
    };
    switch (edit.kind) {
      case "removeDomain": {
        const name = edit.fqdn.toLowerCase();
        if (!tenant.domains.has(name)) throw new NotFound(`No domain ${edit.fqdn}`);
        if (
          [...tenant.users.values()].some((u) =>
            u.userPrincipalName.toLowerCase().endsWith(`@${name}`),
          )
        )
          throw new Error(`Users still sign in with ${name}; remove them first`);
        tenant.domains.delete(name);
        return;
      }
      case "removePstnUsage": {
        if (!voice.pstnUsages.some((u) => same(u, edit.usage)))
          throw new NotFound(`No PSTN usage ${edit.usage}`);
        const users = [
          ...[...voice.voiceRoutes.values()].filter((r) =>
            r.onlinePstnUsages.some((u) => same(u, edit.usage)),
          ),
          ...[...voice.voiceRoutingPolicies.values()].filter((p) =>
            p.onlinePstnUsages.some((u) => same(u, edit.usage)),
          ),
        ];
        if (users.length > 0)
          throw new Error(
            `The PSTN usage ${edit.usage} is used by ${users.map((u) => u.identity).join(", ")}`,
          );
        voice.pstnUsages = voice.pstnUsages.filter((u) => !same(u, edit.usage));
        return;
      }
      case "removeVoiceRoute":
        removeFrom(voice.voiceRoutes, edit.identity, "voice route");
        return;
      case "removeVoiceRoutingPolicy":
        removeFrom(voice.voiceRoutingPolicies, edit.identity, "voice routing policy");
        return;
      case "removeTenantDialPlan":
        removeFrom(voice.tenantDialPlans, edit.identity, "tenant dial plan");
        return;
      case "setVoiceRouteGateways": {
        const route = [...voice.voiceRoutes.values()].find((r) => same(r.identity, edit.identity));
        if (!route) throw new NotFound(`No voice route ${edit.identity}`);
        route.onlinePstnGatewayList = edit.gateways.map((g) => g.toLowerCase());
        return;
      }
      case "setMusicOnHold":
        if (!["Enabled", "Disabled", "UserOverride"].includes(edit.value))
          throw new Error("value must be Enabled, Disabled or UserOverride");
        voice.musicOnHoldEnabledType = edit.value;
        return;
      default:
        throw new Error(`Unknown edit ${(edit as { kind: unknown }).kind}`);
    }
  }

  /** A read-only view of a tenant's Teams voice objects and create-call counts, for assertions. */
  teamsVoiceView(tenantId: string): TeamsVoiceView {
    const { teamsVoice: tv } = this.getTenant(tenantId);
    return {
      pstnUsages: [...tv.pstnUsages],
      voiceRoutes: [...tv.voiceRoutes.values()].map((r) => ({
        ...r,
        onlinePstnGatewayList: [...r.onlinePstnGatewayList],
        onlinePstnUsages: [...r.onlinePstnUsages],
      })),
      voiceRoutingPolicies: [...tv.voiceRoutingPolicies.values()].map((p) => ({
        ...p,
        onlinePstnUsages: [...p.onlinePstnUsages],
      })),
      tenantDialPlans: [...tv.tenantDialPlans.values()].map((d) => ({
        ...d,
        normalizationRules: d.normalizationRules.map((r) => ({ ...r })),
      })),
      musicOnHoldEnabledType: tv.musicOnHoldEnabledType,
      grants: Object.fromEntries([...tv.grants].map(([u, g]) => [u, { ...g }])),
      voicemail: Object.fromEntries(tv.voicemail),
      createCalls: { ...tv.createCalls },
    };
  }

  /** Expires every delta token issued so far (the next round answers 410 syncStateNotFound). */
  expireDeltaTokens(tenantId: string): void {
    const tenant = this.getTenant(tenantId);
    tenant.seq += 1;
    tenant.deltaTokenFloor = tenant.seq;
  }

  /** Adds the TXT value at `name`; as in DNS, a name holds each value once. */
  publishTxt(name: string, value: string): void {
    const key = txtKey(name);
    const values = this.txt.get(key) ?? [];
    if (values.includes(value)) return;
    this.txt.set(key, [...values, value]);
    this.txtVisibleAt.set(`${key}\n${value}`, Date.now() + this.dnsPropagationMs);
  }

  /** Removes the TXT value at `name`; a value that is not there is not an error. */
  removeTxt(name: string, value: string): void {
    const key = txtKey(name);
    const values = (this.txt.get(key) ?? []).filter((v) => v !== value);
    this.txtVisibleAt.delete(`${key}\n${value}`);
    if (values.length > 0) this.txt.set(key, values);
    else this.txt.delete(key);
  }

  /** The TXT values published at `name`, in publishing order (empty when none). */
  txtValues(name: string): string[] {
    return [...(this.txt.get(txtKey(name)) ?? [])];
  }

  /** A domain verification value `MS=ms<8 digits>`, never issued before (unique per domain and tenant). */
  newVerificationCode(): string {
    for (;;) {
      const code = `MS=ms${randomInt(10_000_000, 100_000_000)}`;
      if (!this.verificationCodes.has(code)) {
        this.verificationCodes.add(code);
        return code;
      }
    }
  }

  /** The tenant other than `exceptTenantId` where `name` is a verified domain, if any. */
  tenantWithVerifiedDomain(name: string, exceptTenantId: string): Tenant | null {
    const key = name.toLowerCase();
    for (const t of this.tenants.values())
      if (t.id !== exceptTenantId && t.domains.get(key)?.isVerified) return t;
    return null;
  }

  /**
   * Whether Microsoft's resolvers see a TXT record with exactly this value at `name`: published
   * through the control API, and the DNS propagation delay passed.
   */
  hasTxt(name: string, value: string): boolean {
    const key = txtKey(name);
    if (!(this.txt.get(key) ?? []).includes(value)) return false;
    return (this.txtVisibleAt.get(`${key}\n${value}`) ?? 0) <= Date.now();
  }

  /** User ids in a stable order (for cursors that survive insertions and deletions). */
  sortedUserIds(tenant: Tenant): string[] {
    tenant.sortedUserIds ??= [...tenant.users.keys()].sort();
    return tenant.sortedUserIds;
  }

  consentOf(tenant: Tenant, clientId: string): Consent {
    let consent = tenant.consents.get(clientId);
    if (!consent) {
      consent = {
        tenantScopes: new Set(),
        userScopes: new Map(),
        appRoles: new Set(),
        adminConsented: false,
        consentedBy: [],
        appRoleEffectiveAt: new Map(),
      };
      tenant.consents.set(clientId, consent);
    }
    return consent;
  }

  /** The application's service principal in the tenant, created on first consent. */
  ensureServicePrincipal(tenant: Tenant, app: RegisteredApp): ServicePrincipal {
    let sp = tenant.servicePrincipals.get(app.clientId);
    if (!sp) {
      sp = {
        id: randomUUID(),
        appId: app.clientId,
        displayName: app.displayName,
        visibleAt: Date.now() + Math.floor(this.propagation.consentMs / 3),
      };
      tenant.servicePrincipals.set(app.clientId, sp);
    }
    return sp;
  }

  /** Delegated scopes the user may use with the app without being asked again. */
  grantedScopes(tenant: Tenant, clientId: string, userId: string): Set<string> {
    const consent = tenant.consents.get(clientId);
    const granted = new Set<string>();
    for (const s of consent?.tenantScopes ?? []) granted.add(s.toLowerCase());
    for (const s of consent?.userScopes.get(userId) ?? []) granted.add(s.toLowerCase());
    return granted;
  }

  /** A read-only view for assertions in tests. */
  tenantState(tenantId: string): TenantStateView {
    const tenant = this.getTenant(tenantId);
    return {
      tenantId: tenant.id,
      displayName: tenant.displayName,
      isPersonal: tenant.isPersonal,
      consents: Object.fromEntries(
        [...tenant.consents].map(([clientId, c]) => [
          clientId,
          {
            delegatedScopes: [...c.tenantScopes],
            userConsents: Object.fromEntries([...c.userScopes].map(([u, s]) => [u, [...s]])),
            appRoles: [...c.appRoles],
            adminConsented: c.adminConsented,
          },
        ]),
      ),
      servicePrincipals: [...tenant.servicePrincipals.values()],
      roleAssignments: [...tenant.roleAssignments],
      domains: [...tenant.domains.values()].map((d) => ({
        id: d.id,
        isDefault: d.isDefault,
        isVerified: d.isVerified,
      })),
      userCount: tenant.users.size,
      groupCount: tenant.groups.size,
      numberAssignments: currentNumberAssignments(tenant).map((a) => {
        const op = tenant.numberOperations.get(a.operationId);
        const status = op ? numberOperationStatus(op) : "succeeded";
        return {
          ...a,
          activationState:
            status === "succeeded" ? ("activated" as const) : ("assignmentPending" as const),
        };
      }),
      numberOperations: [...tenant.numberOperations.values()].map((o) => ({
        ...o,
        status: numberOperationStatus(o),
      })),
    };
  }

  private ensureGroup(tenant: Tenant, displayName: string): Group {
    for (const g of tenant.groups.values()) if (g.displayName === displayName) return g;
    const group: Group = {
      id: randomUUID(),
      displayName,
      mailNickname: displayName.replace(/[^A-Za-z0-9]/g, "").toLowerCase() || "group",
      createdDateTime: new Date().toISOString(),
      memberIds: new Set(),
      memberGroupIds: new Set(),
    };
    tenant.groups.set(group.id, group);
    this.recordGroupChange(tenant, { groupId: group.id });
    return group;
  }

  private addMember(tenant: Tenant, group: Group, userId: string): void {
    if (group.memberIds.has(userId)) return;
    group.memberIds.add(userId);
    this.recordGroupChange(tenant, { groupId: group.id, memberId: userId });
  }

  private removeMember(tenant: Tenant, group: Group, userId: string): void {
    if (!group.memberIds.delete(userId)) return;
    this.recordGroupChange(tenant, { groupId: group.id, memberId: userId, removed: true });
  }

  private recordGroupChange(tenant: Tenant, change: Omit<GroupChange, "seq">): void {
    tenant.seq += 1;
    tenant.groupChanges.push({ seq: tenant.seq, ...change });
  }

  private recordChange(tenant: Tenant, userId: string, fields?: string[]): void {
    tenant.seq += 1;
    tenant.changes.push({ seq: tenant.seq, userId, ...(fields ? { fields } : {}) });
  }
}

export interface TenantStateView {
  tenantId: string;
  displayName: string;
  isPersonal: boolean;
  consents: Record<
    string,
    {
      delegatedScopes: string[];
      userConsents: Record<string, string[]>;
      appRoles: string[];
      adminConsented: boolean;
    }
  >;
  servicePrincipals: ServicePrincipal[];
  roleAssignments: RoleAssignment[];
  domains: { id: string; isDefault: boolean; isVerified: boolean }[];
  userCount: number;
  groupCount: number;
  /** Teams telephone numbers assigned through Graph (pending until their operation completes). */
  numberAssignments: (NumberAssignment & { activationState: "activated" | "assignmentPending" })[];
  numberOperations: NumberOperation[];
}

/** Whether a derived trunk domain is served for Direct Routing yet, and if not, why. */
export interface DomainActivation {
  fqdn: string;
  status: "active" | "pending";
  reason:
    | "not_a_derived_trunk"
    | "domain_not_in_tenant"
    | "domain_not_verified"
    | "no_licensed_user"
    | "activating"
    | null;
  /** While `activating`: when the domain becomes active (epoch ms). */
  activatesAt: number | null;
}

/** A change an administrator makes by hand in the admin centers (`adminCenterEdit`). */
export type AdminCenterEdit =
  | { kind: "removeDomain"; fqdn: string }
  | { kind: "removePstnUsage"; usage: string }
  | {
      kind: "removeVoiceRoute" | "removeVoiceRoutingPolicy" | "removeTenantDialPlan";
      identity: string;
    }
  | { kind: "setVoiceRouteGateways"; identity: string; gateways: string[] }
  | { kind: "setMusicOnHold"; value: TeamsVoiceState["musicOnHoldEnabledType"] };

/** A tenant's Teams voice objects as the control API shows them. */
export interface TeamsVoiceView {
  pstnUsages: string[];
  voiceRoutes: VoiceRouteRecord[];
  voiceRoutingPolicies: VoiceRoutingPolicyRecord[];
  tenantDialPlans: TenantDialPlanRecord[];
  musicOnHoldEnabledType: TeamsVoiceState["musicOnHoldEnabledType"];
  grants: Record<string, { voiceRoutingPolicy?: string; tenantDialPlan?: string }>;
  /** Per user id: the voicemail setting where one was set (otherwise Teams' default). */
  voicemail: Record<string, boolean>;
  createCalls: Record<TeamsVoiceKind, number>;
}

/** An operation's status now: running until `completesAt`, then its outcome (`status`). */
export function numberOperationStatus(op: NumberOperation): NumberOperation["status"] {
  if (Date.now() < op.completesAt) return "running";
  return op.status === "failed" ? "failed" : "succeeded";
}

/**
 * The tenant's number assignments now: those whose unassignNumber operation has succeeded are
 * dropped (an assignment stays in effect until its removal completes, as at Microsoft).
 */
export function currentNumberAssignments(tenant: Tenant): NumberAssignment[] {
  for (const [number, a] of tenant.numberAssignments) {
    const removal = a.removalOperationId && tenant.numberOperations.get(a.removalOperationId);
    if (removal && numberOperationStatus(removal) === "succeeded")
      tenant.numberAssignments.delete(number);
  }
  return [...tenant.numberAssignments.values()];
}

/** Whether an assignment is in effect: its assignNumber operation succeeded. */
export function isNumberAssignmentActive(tenant: Tenant, a: NumberAssignment): boolean {
  const op = tenant.numberOperations.get(a.operationId);
  return !op || numberOperationStatus(op) === "succeeded";
}
