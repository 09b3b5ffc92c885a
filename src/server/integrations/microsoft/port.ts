import type { Logger } from "pino";
import type { Env } from "../../env.ts";
import { AppError } from "../../lib/errors.ts";
import { type MicrosoftConfig, microsoftConfigFromEnv } from "./config.ts";
import {
  createGraphClient,
  type GraphClient,
  MAX_BATCH_SIZE,
  odataString,
  type RetryPolicy,
} from "./graph.ts";
import { createHttpTransport, type HttpTransport } from "./http.ts";
import type { SignInClaims } from "./id-token.ts";
import {
  createMicrosoftAuth,
  type DelegatedToken,
  type RedeemSignInCodeRequest,
  type SignInUrlRequest,
} from "./msal.ts";
import { createTenantAdmin, type TenantAdmin } from "./tenant-admin.ts";

/**
 * Service plan ids found in a user's `assignedPlans`, per cloud: the commercial plan and the
 * government (GCC), GCC High and DoD ones. Teams ids from Microsoft's "eligible Teams licenses"
 * list; Teams Phone ids from the licensing service plan reference (it lists the GCC High and DoD
 * Teams Phone products but no plan id of their own here, so none is guessed).
 */
export const servicePlans = {
  teams: [
    "57ff2da0-773e-42df-b2af-ffb7a2317929", // TEAMS1
    "304767db-7d23-49e8-a945-4a7eb65f9f28", // TEAMS_GOV (GCC)
    "495922d5-f138-498b-8967-4acdcdfb2a74", // TEAMS_GCCHIGH
    "9953b155-8aef-4c56-92f3-72b0487fce41", // TEAMS_AR_GCCHIGH
    "ec0dd2de-a877-4059-a9b8-5838b5629b2a", // TEAMS_DOD
    "fd500458-c24c-478e-856c-a6067a8376cd", // TEAMS_AR_DOD
  ],
  teamsPhone: [
    "4828c8ec-dc2e-4779-b502-87ac9ce28ab7", // MCOEV (Teams Phone Standard)
    "db23fce2-a974-42ef-9002-d78dd42a0f22", // MCOEV_GOV (GCC)
  ],
} as const satisfies Record<string, readonly string[]>;

/** `Warning` is a grace period: the plan is still usable (assignedPlan resource). */
const usableStatuses = new Set(["enabled", "warning"]);

export interface Organization {
  id: string;
  displayName: string;
  verifiedDomains: { name: string; isDefault: boolean; isInitial: boolean }[];
}

export interface DirectoryUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  accountEnabled: boolean;
  /** A usable Teams service plan (any cloud). */
  teamsLicensed: boolean;
  /** A usable Teams Phone (MCOEV, MCOEV_GOV) service plan. */
  teamsPhoneLicensed: boolean;
}

/** A verified sign-in and the directory roles its user holds (role template ids, lower case). */
export interface VerifiedSignIn extends SignInClaims {
  /**
   * Read from Graph (`/me/transitiveMemberOf`) with the sign-in's own delegated token, so it does
   * not depend on the app's token configuration (`wids` is absent from ID tokens by default).
   */
  directoryRoles: string[];
  /**
   * The sign-in's delegated Graph token. Callers use it at once and drop it; only registration
   * keeps it (sealed) until it ends, for the one write it makes as the Global Administrator.
   */
  graphToken: DelegatedToken;
}

export interface DirectoryGroup {
  id: string;
  displayName: string;
  description: string | null;
}

/** A user as Graph returns it (the fields `USER_FIELDS` asks for). */
export interface GraphUser {
  "@odata.type"?: string;
  /** In a delta round: the user left the tenant (`changed`: soft-deleted, `deleted`: for good). */
  "@removed"?: { reason?: string };
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  accountEnabled?: boolean | null;
  assignedPlans?: { servicePlanId?: string; capabilityStatus?: string }[] | null;
}

/**
 * Headers of an advanced directory query (https://learn.microsoft.com/graph/aad-advanced-queries);
 * Graph refuses such a query (400 Request_UnsupportedQuery) without them and `$count=true`.
 */
const advancedQueryHeaders = { consistencylevel: "eventual" } as const;

/** The `$select` that gives `toDirectoryUser` everything it reads. */
const USER_FIELDS = "id,displayName,userPrincipalName,mail,accountEnabled,assignedPlans";
const PAGE_SIZE = 999;

/** A usable (`Enabled` or `Warning`) assigned plan among `planIds`. */
function hasEnabledPlan(user: GraphUser, planIds: readonly string[]): boolean {
  return (user.assignedPlans ?? []).some(
    (p) =>
      planIds.includes(p.servicePlanId?.toLowerCase() ?? "") &&
      usableStatuses.has(p.capabilityStatus?.toLowerCase() ?? ""),
  );
}

/** A Graph user as the product sees it: defaults where a property is absent, licence flags. */
export function toDirectoryUser(user: GraphUser): DirectoryUser {
  return {
    id: user.id,
    displayName: user.displayName ?? "",
    userPrincipalName: user.userPrincipalName ?? "",
    mail: user.mail ?? null,
    accountEnabled: user.accountEnabled ?? true,
    teamsLicensed: hasEnabledPlan(user, servicePlans.teams),
    teamsPhoneLicensed: hasEnabledPlan(user, servicePlans.teamsPhone),
  };
}

/**
 * Which `DirectoryUser` properties a Graph object carries. A full read defaults what is absent
 * (never set); an updated object of a delta round carries only what changed (at least), so the
 * others must be left as they are.
 */
export interface PresentFields {
  displayName: boolean;
  userPrincipalName: boolean;
  mail: boolean;
  accountEnabled: boolean;
  /** `assignedPlans`, which both licence flags come from. */
  licences: boolean;
}

function presentFields(user: GraphUser): PresentFields {
  return {
    displayName: "displayName" in user,
    userPrincipalName: "userPrincipalName" in user,
    mail: "mail" in user,
    accountEnabled: "accountEnabled" in user,
    licences: "assignedPlans" in user,
  };
}

/** A user of a delta round. */
export interface DeltaUser extends DirectoryUser {
  /**
   * Set in a round from a delta link, whose updated users carry what changed (at least): which
   * properties the round carried. The others hold defaults and must be left as they are stored.
   * Absent in a round from the start: the user was read in full.
   */
  present?: PresentFields;
}

/** One page of a users delta round. */
export interface UsersDeltaPage {
  /** Users added or changed since the round's origin (from the start: every user). */
  users: DeltaUser[];
  /** Object ids of users that left the tenant (soft-deleted or deleted for good). */
  removedIds: string[];
  /** Set on the round's last page: where the next round starts. */
  deltaLink: string | undefined;
}

/**
 * Where a users delta round starts: the beginning (every user), now (no users, only the link for
 * the changes made from now on) or a delta link a previous round ended with.
 */
export type UsersDeltaOrigin = "start" | "now" | { link: string };

/**
 * What the product asks of Microsoft. Sign-in and consent go through msal; directory reads and
 * Direct Routing's domains and users (`TenantAdmin`) use an app-only token of the tenant. Every
 * failure is an AppError (microsoft_* codes).
 */
export interface Microsoft extends TenantAdmin {
  /** Round 1 / portal sign-in: the URL to send the browser to. */
  buildSignInUrl(request: SignInUrlRequest): Promise<string>;
  /** The redirect's code → the verified identity (tenant, user, directory roles). */
  redeemSignInCode(request: RedeemSignInCodeRequest): Promise<VerifiedSignIn>;
  /** Round 2: the URL of the tenant-wide consent screen for the application permissions. */
  buildAdminConsentUrl(request: { tenantId: string; redirectUri: string; state: string }): string;
  /**
   * An app-only access token of the tenant (client credentials): for Graph, or for the resource
   * whose `/.default` scope `scope` names; `fresh` skips the cache.
   */
  acquireAppToken(tenantId: string, options?: { fresh?: boolean; scope?: string }): Promise<string>;
  /** The tenant as Microsoft reports it with an app-only token (proves consent and the tenant). */
  getOrganization(tenantId: string, options?: { freshToken?: boolean }): Promise<Organization>;
  /**
   * The tenant's users, one page at a time with licence flags; with `groupIds`, the transitive
   * user members of those groups, each user once. Pages are fetched as they are consumed.
   */
  listUsers(
    tenantId: string,
    options?: { groupIds?: string[]; pageSize?: number },
  ): AsyncGenerator<DirectoryUser[], void, undefined>;
  /**
   * A users delta round from `origin`, one page at a time, each page fetched as it is consumed;
   * the last page carries the link the next round starts from. `maxPageSize` bounds a page (a
   * delta query has no `$top`). From a link, updated users carry only what changed (`present`);
   * a link Graph no longer accepts fails so that `isRejectedDeltaLink` tells it.
   */
  usersDelta(
    tenantId: string,
    origin: UsersDeltaOrigin,
    options?: { maxPageSize?: number },
  ): AsyncGenerator<UsersDeltaPage, void, undefined>;
  /**
   * A group's transitive user members (nested groups resolved, other member kinds left out), one
   * page of at most `pageSize` at a time, fetched as consumed. `not_found` when there is no group.
   */
  groupMembers(
    tenantId: string,
    groupId: string,
    options?: { pageSize?: number },
  ): AsyncGenerator<DirectoryUser[], void, undefined>;
  /** The object ids of the same members as `groupMembers`, the lighter read. */
  groupMemberIds(
    tenantId: string,
    groupId: string,
    options?: { pageSize?: number },
  ): AsyncGenerator<string[], void, undefined>;
  /**
   * The users with these object ids, in order ($batch, 20 a request, up to 5 requests at once);
   * null where the tenant has none.
   */
  getUsers(tenantId: string, ids: readonly string[]): Promise<(DirectoryUser | null)[]>;
  /** The tenant's groups, one page at a time. */
  listGroups(tenantId: string): AsyncGenerator<DirectoryGroup[], void, undefined>;
  /**
   * Groups whose name starts with `prefix` (all without one), sorted by name: at most `limit`,
   * and whether there were more (the caller asks for a narrower search).
   */
  searchGroups(
    tenantId: string,
    options: { prefix?: string; limit: number },
  ): Promise<{ groups: DirectoryGroup[]; more: boolean }>;
  /** The groups with these ids, in order ($batch, 20 a request); null where the tenant has none. */
  findGroups(tenantId: string, ids: readonly string[]): Promise<(DirectoryGroup | null)[]>;
  /**
   * Gives our own service principal a directory role (e.g. Teams Administrator) directory-wide,
   * acting as a signed-in administrator with that sign-in's delegated token. Looks before it
   * creates; a concurrent duplicate counts as done. `not_visible`: the service principal has not
   * reached Graph yet (right after consent); ask again a little later.
   */
  assignOwnDirectoryRole(
    delegatedAccessToken: string,
    roleTemplateId: string,
  ): Promise<"requested" | "not_visible">;
  close(): Promise<void>;
}

export function createMicrosoft(
  config: MicrosoftConfig,
  options: {
    retry?: Partial<RetryPolicy>;
    transport?: HttpTransport;
    /** Transport failures msal would hide (TLS, DNS, refused connections) are logged here. */
    log?: Pick<Logger, "warn">;
  } = {},
): Microsoft {
  const transport = options.transport ?? createHttpTransport({ caPem: config.caPem });
  const log = options.log;
  const auth = createMicrosoftAuth(
    config,
    transport,
    log ? (details, message) => log.warn(details, message) : undefined,
  );

  function graphFor(tenantId: string, freshToken = false): GraphClient {
    let fresh = freshToken;
    return createGraphClient({
      graphBase: config.graphBase,
      transport,
      accessToken: () => {
        const token = auth.acquireAppToken(tenantId, { fresh });
        fresh = false;
        return token;
      },
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  function delegatedGraph(accessToken: string): GraphClient {
    return createGraphClient({
      graphBase: config.graphBase,
      transport,
      accessToken: async () => accessToken,
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  /** The directory roles of the signed-in user, through Graph with the sign-in's delegated token. */
  async function directoryRolesOf(graphAccessToken: string): Promise<string[]> {
    const graph = delegatedGraph(graphAccessToken);
    const roles: string[] = [];
    try {
      for await (const page of graph.pages<{ "@odata.type"?: string; roleTemplateId?: string }>(
        "/me/transitiveMemberOf?$select=id,roleTemplateId&$top=999",
      )) {
        for (const entry of page.value) {
          if (entry["@odata.type"] !== "#microsoft.graph.directoryRole") continue;
          // Graph hides what the token may not read: without RoleManagement.Read.Directory a
          // role comes back with its id only.
          if (!entry.roleTemplateId) throw misconfigured({ reason: "roleTemplateId hidden" });
          roles.push(entry.roleTemplateId.toLowerCase());
        }
      }
    } catch (e) {
      if (e instanceof AppError && e.code === "microsoft_forbidden")
        throw misconfigured({ reason: "Graph refused /me/transitiveMemberOf", graph: e.cause });
      throw e;
    }
    return roles;
  }

  return {
    ...createTenantAdmin((tenantId) => graphFor(tenantId)),
    buildSignInUrl: (request) => auth.buildSignInUrl(request),
    async redeemSignInCode(request) {
      const { claims, graphToken } = await auth.redeemSignInCode(request);
      if (claims.isPersonalAccount) return { ...claims, directoryRoles: [], graphToken };
      return {
        ...claims,
        directoryRoles: await directoryRolesOf(graphToken.accessToken),
        graphToken,
      };
    },
    buildAdminConsentUrl: (request) => auth.buildAdminConsentUrl(request),
    acquireAppToken: (tenantId, opts) => auth.acquireAppToken(tenantId, opts),

    async getOrganization(tenantId, { freshToken = false } = {}) {
      const graph = graphFor(tenantId, freshToken);
      const result = await graph.get<{ value?: Partial<Organization>[] }>(
        "/organization?$select=id,displayName,verifiedDomains",
      );
      const org = result?.value?.[0];
      if (!org?.id) {
        throw new AppError("microsoft_error", "Microsoft returned no organization", {
          cause: { tenantId },
        });
      }
      return {
        id: org.id.toLowerCase(),
        displayName: org.displayName ?? "",
        verifiedDomains: (org.verifiedDomains ?? []).map((d) => ({
          name: d.name,
          isDefault: Boolean(d.isDefault),
          isInitial: Boolean(d.isInitial),
        })),
      };
    },

    async *listUsers(tenantId, { groupIds, pageSize = PAGE_SIZE } = {}) {
      const graph = graphFor(tenantId);
      if (!groupIds || groupIds.length === 0) {
        for await (const page of graph.pages<GraphUser>(
          `/users?$select=${USER_FIELDS}&$top=${pageSize}`,
        )) {
          yield page.value.map(toDirectoryUser);
        }
        return;
      }
      // A user in several chosen groups is yielded once: only ids are remembered.
      const seen = new Set<string>();
      for (const groupId of groupIds) {
        for await (const members of transitiveUserMembers(graph, groupId, USER_FIELDS, pageSize)) {
          const users: DirectoryUser[] = [];
          for (const member of members) {
            if (seen.has(member.id)) continue;
            seen.add(member.id);
            users.push(toDirectoryUser(member));
          }
          if (users.length > 0) yield users;
        }
      }
    },

    async *usersDelta(tenantId, origin, { maxPageSize } = {}) {
      const graph = graphFor(tenantId);
      if (origin === "now") {
        const latest = await graph.get<{ "@odata.deltaLink"?: string } | undefined>(
          `/users/delta?$deltatoken=latest&$select=${USER_FIELDS}`,
        );
        yield { users: [], removedIds: [], deltaLink: latest?.["@odata.deltaLink"] };
        return;
      }
      const fromLink = origin !== "start";
      const pages = fromLink
        ? // Updated users come back with what changed only; `present` says what they carry.
          graph.pages<GraphUser>(origin.link, {
            ...(maxPageSize ? { maxPageSize } : {}),
            headers: { prefer: "return=minimal" },
          })
        : graph.pages<GraphUser>(
            `/users/delta?$select=${USER_FIELDS}`,
            maxPageSize ? { maxPageSize } : {},
          );
      for await (const page of pages) {
        const users: DeltaUser[] = [];
        const removedIds: string[] = [];
        for (const user of page.value) {
          if (user["@removed"]) removedIds.push(user.id);
          else
            users.push(
              fromLink
                ? { ...toDirectoryUser(user), present: presentFields(user) }
                : toDirectoryUser(user),
            );
        }
        yield { users, removedIds, deltaLink: page.deltaLink };
      }
    },

    async *groupMembers(tenantId, groupId, { pageSize = PAGE_SIZE } = {}) {
      const graph = graphFor(tenantId);
      for await (const members of transitiveUserMembers(graph, groupId, USER_FIELDS, pageSize))
        yield members.map(toDirectoryUser);
    },

    async *groupMemberIds(tenantId, groupId, { pageSize = PAGE_SIZE } = {}) {
      const graph = graphFor(tenantId);
      for await (const members of transitiveUserMembers(graph, groupId, "id", pageSize))
        yield members.map((m) => m.id);
    },

    async getUsers(tenantId, ids) {
      const users = await getEach<GraphUser>(
        graphFor(tenantId),
        ids.map((id) => `/users/${encodeURIComponent(id)}?$select=${USER_FIELDS}`),
        USER_BATCHES_AT_ONCE,
      );
      return users.map((user) => user && toDirectoryUser(user));
    },

    async *listGroups(tenantId) {
      const graph = graphFor(tenantId);
      for await (const page of graph.pages<Partial<DirectoryGroup> & { id: string }>(
        `/groups?$select=id,displayName,description&$top=${PAGE_SIZE}`,
      )) {
        yield page.value.map(toDirectoryGroup);
      }
    },

    async searchGroups(tenantId, { prefix, limit }) {
      const graph = graphFor(tenantId);
      const filter = prefix
        ? `&$filter=${encodeURIComponent(`startswith(displayName,${odataString(prefix)})`)}`
        : "";
      for await (const page of graph.pages<Partial<DirectoryGroup> & { id: string }>(
        `/groups?$select=id,displayName,description&$top=${limit}${filter}`,
      )) {
        const groups = page.value.map(toDirectoryGroup).map(withLowerCaseId);
        groups.sort((a, b) => a.displayName.localeCompare(b.displayName));
        // Only the first page: a longer list asks for a narrower search.
        return { groups, more: page.value.length >= limit };
      }
      return { groups: [], more: false };
    },

    async findGroups(tenantId, ids) {
      const groups = await getEach<Partial<DirectoryGroup> & { id?: string }>(
        graphFor(tenantId),
        ids.map((id) => `/groups/${encodeURIComponent(id)}?$select=id,displayName,description`),
        1,
      );
      return groups.map(
        (group, i) =>
          group && withLowerCaseId(toDirectoryGroup({ ...group, id: group.id ?? ids[i]! })),
      );
    },

    async assignOwnDirectoryRole(delegatedAccessToken, roleTemplateId) {
      const graph = delegatedGraph(delegatedAccessToken);
      const found = await graph.get<{ value?: { id?: string; appId?: string }[] }>(
        `/servicePrincipals?$filter=${encodeURIComponent(`appId eq ${odataString(config.clientId)}`)}&$select=id,appId`,
      );
      const principalId = found?.value?.find((sp) => sp.appId === config.clientId)?.id;
      if (!principalId) return "not_visible";
      const existing = await graph.get<{ value?: { id?: string }[] }>(
        `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(
          `principalId eq ${odataString(principalId)} and roleDefinitionId eq ${odataString(roleTemplateId)}`,
        )}`,
      );
      if (existing?.value?.length) return "requested";
      try {
        await graph.post("/roleManagement/directory/roleAssignments", {
          principalId,
          roleDefinitionId: roleTemplateId,
          directoryScopeId: "/",
        });
      } catch (error) {
        // Assigned meanwhile: a concurrent poll of the same registration, or an administrator.
        if (!isConflict(error)) throw error;
      }
      return "requested";
    },

    close: () => transport.close(),
  };
}

/**
 * A group's transitive user members, a page at a time (devices, contacts and groups left out). The
 * OData cast is an advanced query: the path carries `$count=true` and every page, nextLinks too,
 * the advanced-query headers.
 */
async function* transitiveUserMembers(
  graph: GraphClient,
  groupId: string,
  select: string,
  pageSize: number,
): AsyncGenerator<GraphUser[], void, undefined> {
  const path = `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=${select}&$count=true&$top=${pageSize}`;
  for await (const page of graph.pages<GraphUser>(path, { headers: advancedQueryHeaders }))
    yield page.value.filter(isUser);
}

/** A directory object that is a user (transitive members include groups, devices, …). */
const isUser = (o: GraphUser) => !o["@odata.type"] || o["@odata.type"] === "#microsoft.graph.user";

/** `$batch` requests in flight at once when users are read by id. */
const USER_BATCHES_AT_ONCE = 5;

/**
 * GETs each path through `$batch` (20 a request, `atOnce` requests in flight): the answers' bodies
 * in order, null where Graph answered 404. Any other failure is thrown.
 */
async function getEach<T>(
  graph: GraphClient,
  paths: readonly string[],
  atOnce: number,
): Promise<(T | null)[]> {
  const starts: number[] = [];
  for (let start = 0; start < paths.length; start += MAX_BATCH_SIZE) starts.push(start);
  const bodies: (T | null)[] = [];
  for (let wave = 0; wave < starts.length; wave += atOnce) {
    const answers = await Promise.all(
      starts.slice(wave, wave + atOnce).map((start) =>
        graph.batch(
          paths.slice(start, start + MAX_BATCH_SIZE).map((url, i) => ({
            id: String(start + i),
            method: "GET" as const,
            url,
          })),
        ),
      ),
    );
    for (const answer of answers.flat()) {
      const index = Number(answer.id);
      if (answer.status === 404) bodies[index] = null;
      else if (answer.error) throw answer.error;
      else bodies[index] = answer.body as T;
    }
  }
  return bodies;
}

/** A group as Graph returns it. */
function toDirectoryGroup(g: Partial<DirectoryGroup> & { id: string }): DirectoryGroup {
  return { id: g.id, displayName: g.displayName ?? "", description: g.description ?? null };
}

/** Ids lower case, as the portal stores and compares them. */
const withLowerCaseId = (g: DirectoryGroup): DirectoryGroup => ({ ...g, id: g.id.toLowerCase() });

/** Graph's answer to a role assignment that exists already: 400 "A conflicting object …". */
function isConflict(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== "microsoft_error") return false;
  const cause = error.cause as { status?: number; message?: string } | undefined;
  return cause?.status === 400 && /conflicting object/i.test(cause.message ?? "");
}

/** The delegated permission that reads directory roles is missing from the app or its consent. */
function misconfigured(cause: Record<string, unknown>): AppError {
  return new AppError(
    "microsoft_app_misconfigured",
    "The Microsoft application cannot read the signed-in user's directory roles: it needs the delegated permission RoleManagement.Read.Directory",
    { cause },
  );
}

/** The Microsoft port configured by the environment, or null when no application is configured. */
export function microsoftFromEnv(
  env: Env,
  log?: Pick<Logger, "warn">,
  retry?: Partial<RetryPolicy>,
): Microsoft | null {
  const config = microsoftConfigFromEnv(env);
  return config
    ? createMicrosoft(config, { ...(log ? { log } : {}), ...(retry ? { retry } : {}) })
    : null;
}

/**
 * Whether a `usersDelta` round failed because Graph no longer accepts its delta link: expired
 * (410), invalid (400), gone (404), or linking outside Graph. A full round from the start is the
 * way on.
 */
export function isRejectedDeltaLink(error: unknown): boolean {
  if (!(error instanceof AppError)) return false;
  const cause = error.cause as { status?: number; link?: string } | undefined;
  if (error.code === "not_found") return true;
  if (error.code !== "microsoft_error") return false;
  return cause?.status === 400 || cause?.status === 410 || cause?.link !== undefined;
}

/** The port, or `microsoft_not_configured` for routes that need Microsoft when it is off. */
export function requireMicrosoft(microsoft: Microsoft | null | undefined): Microsoft {
  if (!microsoft) {
    throw new AppError(
      "microsoft_not_configured",
      "Microsoft is not configured on this platform (MS_CLIENT_ID, MS_CLIENT_SECRET)",
    );
  }
  return microsoft;
}
