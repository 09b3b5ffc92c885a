/**
 * The Teams voice port: the Direct Routing objects of a customer tenant that only Teams
 * PowerShell manages (SPEC §3.5). Adapters: `emulator` (the Microsoft emulator's Teams voice
 * origin) and `powershell` (`pwsh` with the MicrosoftTeams module, connected with the app's two
 * access tokens), chosen by `TEAMS_VOICE_ADAPTER`. Every call acts as the platform's application in
 * `tenantId`, which needs the Teams Administrator role there.
 *
 * Names (identities) are chosen by the caller; `create*` refuses a name that exists
 * (`AppError("conflict")`), `get*` returns null for one that does not, so a workflow step can look
 * before it creates. Failures are `AppError`s as the Graph client throws them, with the remote
 * status, code, message and correlation id as `cause`: `microsoft_throttled` (429) and
 * `microsoft_unavailable` (503, unreachable) are transient; `microsoft_forbidden` (no Teams
 * Administrator role), `not_found`, `conflict` and `microsoft_error` are not.
 */
export interface TeamsVoice {
  readonly kind: "emulator" | "powershell";

  /** The tenant's global PSTN usages (`Get-CsOnlinePstnUsage`). */
  listPstnUsages(tenantId: string): Promise<string[]>;
  /** Adds a PSTN usage to the global list (`Set-CsOnlinePstnUsage -Usage @{Add=…}`); idempotent. */
  addPstnUsage(tenantId: string, usage: string): Promise<void>;
  /** Removes a PSTN usage (`@{Remove=…}`); absent is not an error. Refused while a route or policy uses it. */
  removePstnUsage(tenantId: string, usage: string): Promise<void>;

  getVoiceRoute(tenantId: string, identity: string): Promise<VoiceRoute | null>;
  /** `New-CsOnlineVoiceRoute`: every gateway must be a derived trunk whose domain is active. */
  createVoiceRoute(tenantId: string, route: VoiceRoute): Promise<VoiceRoute>;
  /** `Set-CsOnlineVoiceRoute`: replaces the route's pattern, gateways, usages and priority. */
  setVoiceRoute(tenantId: string, route: VoiceRoute): Promise<VoiceRoute>;
  /** `Remove-CsOnlineVoiceRoute`; absent is not an error. */
  removeVoiceRoute(tenantId: string, identity: string): Promise<void>;

  getVoiceRoutingPolicy(tenantId: string, identity: string): Promise<VoiceRoutingPolicy | null>;
  createVoiceRoutingPolicy(
    tenantId: string,
    policy: VoiceRoutingPolicy,
  ): Promise<VoiceRoutingPolicy>;
  setVoiceRoutingPolicy(tenantId: string, policy: VoiceRoutingPolicy): Promise<VoiceRoutingPolicy>;
  /** Refused while users hold the policy; absent is not an error. */
  removeVoiceRoutingPolicy(tenantId: string, identity: string): Promise<void>;

  getTenantDialPlan(tenantId: string, identity: string): Promise<TenantDialPlan | null>;
  createTenantDialPlan(tenantId: string, plan: TenantDialPlan): Promise<TenantDialPlan>;
  setTenantDialPlan(tenantId: string, plan: TenantDialPlan): Promise<TenantDialPlan>;
  /** Refused while users hold the dial plan; absent is not an error. */
  removeTenantDialPlan(tenantId: string, identity: string): Promise<void>;

  /** The global calling policy's music on hold (`Get-CsTeamsCallingPolicy -Identity Global`). */
  getGlobalMusicOnHold(tenantId: string): Promise<MusicOnHold>;
  setGlobalMusicOnHold(tenantId: string, value: MusicOnHold): Promise<void>;

  /**
   * Whether Microsoft serves a derived trunk domain for Direct Routing yet: it is verified, a
   * licensed user exists on it, and Microsoft has activated it (which takes up to a day).
   */
  getDomainActivation(tenantId: string, fqdn: string): Promise<"active" | "pending">;

  /** `Grant-CsOnlineVoiceRoutingPolicy`; null removes the user's grant. */
  grantVoiceRoutingPolicy(tenantId: string, userId: string, policy: string | null): Promise<void>;
  /** `Grant-CsTenantDialPlan`; null removes the user's grant. */
  grantTenantDialPlan(tenantId: string, userId: string, plan: string | null): Promise<void>;
  /**
   * `Set-CsOnlineVoicemailUserSettings -VoicemailEnabled`: Teams voicemail on or off for the user;
   * `not_found` when Teams does not know the user.
   */
  setVoicemailEnabled(tenantId: string, userId: string, enabled: boolean): Promise<void>;
  /**
   * `Get-CsOnlineUser`, with `Get-CsOnlineVoicemailUserSettings`'s `VoicemailEnabled`: null when
   * the user is not (yet) known to Teams.
   */
  getOnlineUser(tenantId: string, userId: string): Promise<OnlineUser | null>;

  close(): Promise<void>;
}

/**
 * What Teamgate names in a customer tenant (PSTN usage, voice route, voice routing policy, dial
 * plan). The tenant belongs to one enterprise, so one name serves every object; an administrator
 * reading the Teams admin center sees whose they are.
 */
export const teamsObjectName = "Teamgate";

export interface VoiceRoute {
  identity: string;
  /** .NET regular expression on the dialled number, e.g. `.*`. */
  numberPattern: string;
  /** Derived trunk FQDNs, tried in this order. */
  onlinePstnGatewayList: string[];
  onlinePstnUsages: string[];
  priority: number;
  description?: string;
}

export interface VoiceRoutingPolicy {
  identity: string;
  onlinePstnUsages: string[];
  description?: string;
}

export interface NormalizationRule {
  name: string;
  /** .NET regular expression. */
  pattern: string;
  translation: string;
  description?: string;
  isInternalExtension?: boolean;
}

export interface TenantDialPlan {
  identity: string;
  normalizationRules: NormalizationRule[];
  description?: string;
}

export type MusicOnHold = "Enabled" | "Disabled" | "UserOverride";

export interface OnlineUser {
  id: string;
  userPrincipalName: string;
  enterpriseVoiceEnabled: boolean;
  /** The granted policy's name, null for the global default. */
  onlineVoiceRoutingPolicy: string | null;
  tenantDialPlan: string | null;
  lineUri: string | null;
  /** Teams voicemail (`VoicemailEnabled`); Teams turns it on by default for a Teams Phone user. */
  voicemailEnabled: boolean;
}

/**
 * The `.default` scope of the "Skype and Teams Tenant Admin API", the second token both adapters
 * connect with (https://learn.microsoft.com/microsoftteams/teams-powershell-application-authentication).
 */
export const teamsAdminApiScope = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default";
