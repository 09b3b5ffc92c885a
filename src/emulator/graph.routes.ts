import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { EmulatorContext } from "./context.ts";
import { GraphError, graphError, verifiedBearer } from "./errors.ts";
import { adminPermissions, graphAdminRoutes } from "./graph-admin.routes.ts";
import {
  type Group,
  type RoleName,
  roleTemplateIds,
  skus,
  subscriptionsOf,
  type Tenant,
  type User,
} from "./state.ts";
import type { GraphTokenClaims } from "./tokens.ts";

/**
 * Application permissions (app-only) and delegated scopes that allow each kind of read, as Graph
 * documents them: the least-privileged one first, then the broader ones that include it.
 */
const permissions = {
  organization: {
    app: [
      "Organization.Read.All",
      "Organization.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
    delegated: [
      "User.Read",
      "Organization.Read.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
  },
  users: {
    app: ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
    delegated: [
      "User.ReadBasic.All",
      "User.Read.All",
      "User.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
  },
  /** GET /groups, /groups/{id} and /groups/delta */
  groups: {
    app: [
      "Group.Read.All",
      "GroupMember.Read.All",
      "Group.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
    delegated: [
      "GroupMember.Read.All",
      "Group.Read.All",
      "Group.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
  },
  members: {
    app: [
      "GroupMember.Read.All",
      "Group.Read.All",
      "Group.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
    delegated: [
      "GroupMember.Read.All",
      "Group.Read.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
  },
  skus: {
    app: [
      "LicenseAssignment.Read.All",
      "Organization.Read.All",
      "Directory.Read.All",
      "Organization.ReadWrite.All",
      "Directory.ReadWrite.All",
    ],
    delegated: [
      "LicenseAssignment.Read.All",
      "Organization.Read.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
  },
} as const;

/**
 * The application permissions (and delegated scopes) each Graph call needs, documented for the
 * platform's registration: the directory reads here, the administrative calls in graph-admin.routes.ts.
 */
export const graphPermissions = { ...permissions, ...adminPermissions };

const defaultUserSelect = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];
const defaultGroupSelect = [
  "id",
  "createdDateTime",
  "description",
  "displayName",
  "groupTypes",
  "mail",
  "mailEnabled",
  "mailNickname",
  "securityEnabled",
  "visibility",
];

interface Caller {
  tenant: Tenant;
  claims: GraphTokenClaims;
  isApp: boolean;
  granted: Set<string>;
}

type Query = Record<string, string | undefined>;
type Presented = Record<string, unknown>;

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
function decodeToken<T>(token: string): T {
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as T;
  } catch {
    throw new GraphError(400, "BadRequest", "Invalid skip or delta token.");
  }
}

function presentUser(user: User): Presented {
  return {
    id: user.id,
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.givenName,
    jobTitle: null,
    mail: user.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: user.surname,
    userPrincipalName: user.userPrincipalName,
    accountEnabled: user.accountEnabled,
    createdDateTime: user.createdDateTime,
    usageLocation: user.usageLocation,
    userType: "Member",
    assignedLicenses: user.licenses.map((l) => ({
      disabledPlans: skus[l].servicePlans
        .map((p) => p.servicePlanId)
        .filter((id) => user.disabledPlans.includes(id)),
      skuId: skus[l].skuId,
    })),
    assignedPlans: user.licenses.flatMap((l) =>
      skus[l].servicePlans
        .filter((p) => !user.disabledPlans.includes(p.servicePlanId))
        .map((p) => ({
          assignedDateTime: user.licensedAt,
          capabilityStatus: user.licenseStatus[l] ?? "Enabled",
          service: p.service,
          servicePlanId: p.servicePlanId,
        })),
    ),
  };
}

function presentGroup(group: Group): Presented {
  return {
    id: group.id,
    createdDateTime: group.createdDateTime,
    description: null,
    displayName: group.displayName,
    groupTypes: [],
    mail: null,
    mailEnabled: false,
    mailNickname: group.mailNickname,
    securityEnabled: true,
    visibility: null,
  };
}

function parseSelect(
  value: string | undefined,
  type: "user" | "group",
  known: Presented,
): string[] | null {
  if (!value) return null;
  const fields = value
    .split(",")
    .map((f) => f.trim())
    .filter(Boolean);
  const keys = new Map(Object.keys(known).map((k) => [k.toLowerCase(), k]));
  return fields.map((f) => {
    const k = keys.get(f.toLowerCase());
    if (!k)
      throw new GraphError(
        400,
        "BadRequest",
        `Could not find a property named '${f}' on type 'microsoft.graph.${type}'.`,
      );
    return k;
  });
}

function pick(obj: Presented, fields: string[]): Presented {
  const out: Presented = {};
  for (const f of fields) out[f] = obj[f];
  return out;
}

function parseTop(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 999)
    throw new GraphError(
      400,
      "Request_BadRequest",
      `Invalid page size specified: '${value}'. Must be between 1 and 999 inclusive.`,
    );
  return n;
}

/**
 * A `$filter` cut at its top-level `and`s: an `and` inside a quoted literal ('' escapes a quote)
 * is part of the value, as in Graph.
 */
function splitAnd(filter: string): string[] {
  const clauses: string[] = [];
  const separator = /\s+and\s+/iy;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < filter.length; i++) {
    if (filter[i] === "'") quoted = !quoted;
    else if (!quoted) {
      separator.lastIndex = i;
      const m = separator.exec(filter);
      if (m) {
        clauses.push(filter.slice(start, i));
        i += m[0].length - 1;
        start = i + 1;
      }
    }
  }
  clauses.push(filter.slice(start));
  return clauses;
}

/**
 * The `$filter` subset: `eq` on a few properties, `startswith(prop,'x')`, joined by `and`. With
 * `advanced` (an advanced query: ConsistencyLevel eventual and `$count=true`, see
 * `advancedQuery`) also `ne`, `endswith(prop,'x')` and `not(…)`.
 */
function parseFilter(
  value: string | undefined,
  strings: string[],
  options: { advanced?: boolean } = {},
): ((o: Presented) => boolean) | null {
  if (!value) return null;
  const unsupported = () =>
    new GraphError(
      400,
      "Request_UnsupportedQuery",
      `Unsupported or invalid query filter clause specified: '${value}'.`,
    );
  const lowerNames = new Map(strings.map((s) => [s.toLowerCase(), s]));
  const literal = (raw: string | undefined) => (raw ?? "").replace(/''/g, "'").toLowerCase();
  const property = (raw: string | undefined) => {
    const prop = lowerNames.get((raw ?? "").toLowerCase());
    if (!prop) throw unsupported();
    return prop;
  };
  const text = (o: Presented, prop: string) => String(o[prop] ?? "").toLowerCase();
  const parseClause = (clause: string): ((o: Presented) => boolean) => {
    const c = clause.trim();
    let m = c.match(/^accountEnabled\s+(eq|ne)\s+(true|false)$/i);
    if (m && (m[1]?.toLowerCase() === "eq" || options.advanced)) {
      const want = (m[2]?.toLowerCase() === "true") === (m[1]?.toLowerCase() === "eq");
      return (o) => o.accountEnabled === want;
    }
    m = c.match(/^(startswith|endswith)\(\s*(\w+)\s*,\s*'((?:[^']|'')*)'\s*\)$/i);
    if (m && (m[1]?.toLowerCase() === "startswith" || options.advanced)) {
      const prop = property(m[2]);
      const affix = literal(m[3]);
      return m[1]?.toLowerCase() === "startswith"
        ? (o) => text(o, prop).startsWith(affix)
        : (o) => text(o, prop).endsWith(affix);
    }
    m = c.match(/^(\w+)\s+(eq|ne)\s+'((?:[^']|'')*)'$/i);
    if (m && (m[2]?.toLowerCase() === "eq" || options.advanced)) {
      const prop = property(m[1]);
      const want = literal(m[3]);
      return m[2]?.toLowerCase() === "eq"
        ? (o) => text(o, prop) === want
        : (o) => text(o, prop) !== want;
    }
    m = c.match(/^not\s*\((.*)\)$/i);
    if (m && options.advanced) {
      const inner = parseClause(m[1] ?? "");
      return (o) => !inner(o);
    }
    throw unsupported();
  };
  const clauses = splitAnd(value).map(parseClause);
  return (o) => clauses.every((f) => f(o));
}

/**
 * Graph's advanced query rules on directory objects (https://learn.microsoft.com/graph/aad-advanced-queries):
 * `$count=true` and `$search` need the header `ConsistencyLevel: eventual`; an OData cast on
 * members/transitiveMembers, `endswith`, `ne`, `not` and `$filter` with `$orderby` need the header
 * and `$count=true`. Anything else answers 400 Request_UnsupportedQuery, on every page (the header
 * is not in the nextLink). Returns whether the query is advanced and whether it asked for a count.
 */
function advancedQuery(
  request: FastifyRequest,
  query: Query,
  options: { cast?: boolean } = {},
): { advanced: boolean; count: boolean } {
  const eventual =
    String(request.headers.consistencylevel ?? "")
      .trim()
      .toLowerCase() === "eventual";
  const count = query.$count?.toLowerCase() === "true";
  const filter = (query.$filter ?? "").replace(/'(?:[^']|'')*'/g, "''");
  const needsBoth =
    options.cast === true ||
    /\bendswith\s*\(/i.test(filter) ||
    /\sne\s/i.test(filter) ||
    /(^|[\s(])not\s*\(/i.test(filter) ||
    (query.$filter !== undefined && query.$orderby !== undefined);
  const refuse = (what: string, needs: string) =>
    new GraphError(
      400,
      "Request_UnsupportedQuery",
      `${what} is an advanced query: it needs ${needs}.`,
    );
  if (needsBoth && !(eventual && count))
    throw refuse(
      options.cast ? "An OData cast on a directory object relationship" : "This $filter",
      "the ConsistencyLevel header set to eventual and $count=true",
    );
  if (query.$count !== undefined && !eventual)
    throw refuse("$count", "the ConsistencyLevel header set to eventual");
  if (query.$search !== undefined && !eventual)
    throw refuse("$search", "the ConsistencyLevel header set to eventual");
  if (query.$search !== undefined || query.$orderby !== undefined)
    throw new GraphError(
      400,
      "Request_UnsupportedQuery",
      "The emulator does not model $search or $orderby.",
    );
  return { advanced: eventual && count, count };
}

/** Delegated scopes that let a signed-in user read directory role objects in full. */
const roleReaders = [
  "rolemanagement.read.directory",
  "rolemanagement.readwrite.directory",
  "directory.read.all",
  "directory.readwrite.all",
  "directory.accessasuser.all",
];
/** Delegated scopes that let a signed-in user read groups in full. */
const groupReaders = [
  "groupmember.read.all",
  "group.read.all",
  "group.readwrite.all",
  "directory.read.all",
  "directory.readwrite.all",
];

const roleNames: Record<RoleName, string> = {
  globalAdministrator: "Global Administrator",
  teamsAdministrator: "Teams Administrator",
  privilegedRoleAdministrator: "Privileged Role Administrator",
};

/** A directory role's object id: per tenant, unlike its template id (the value of `wids`). */
function directoryRoleId(tenantId: string, templateId: string): string {
  const h = createHash("sha256").update(`${tenantId}/${templateId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The groups a user belongs to directly, or also through nested groups. */
function groupsOf(tenant: Tenant, user: User, transitive: boolean): Group[] {
  const found = new Map<string, Group>();
  const queue = [...tenant.groups.values()].filter((g) => g.memberIds.has(user.id));
  while (queue.length) {
    const group = queue.shift()!;
    if (found.has(group.id)) continue;
    found.set(group.id, group);
    if (!transitive) continue;
    for (const parent of tenant.groups.values())
      if (parent.memberGroupIds.has(group.id)) queue.push(parent);
  }
  return [...found.values()];
}

/** A deterministic 32-bit mix of its arguments (page sizes and replays of a delta round). */
function mix(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    h ^= v >>> 0;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/**
 * A delta round's seed: fixed by the directory's change counter where the round starts, so the
 * same data gives the same pages in every test run (and a retried page is the same page).
 */
function roundSeed(seq: number): number {
  return mix(0x5eed, seq);
}

/** Delta queries ignore `$top`; `Prefer: odata.maxpagesize` bounds a page (default 100, max 999). */
function deltaMaxPageSize(request: FastifyRequest): number {
  const prefer = String(request.headers.prefer ?? "").match(/odata\.maxpagesize=(\d+)/)?.[1];
  const n = Number(prefer ?? 100);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 999) : 100;
}

/** `Prefer: return=minimal`: updated objects carry only the properties that changed. */
function prefersMinimal(request: FastifyRequest): boolean {
  return /(^|[\s,;])return=minimal\b/i.test(String(request.headers.prefer ?? ""));
}

/** Properties never set (null) are left out of delta objects, as Graph does. */
function withoutUnset(obj: Presented): Presented {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined));
}

interface DeltaPaging {
  /** Last id of the previous page (the cursor). */
  a: string | null;
  /** Page number in the round. */
  n: number;
  /** The round's seed. */
  z: number;
}

/**
 * One page of a delta round as Graph serves it: sizes vary between half the maximum and the
 * maximum, and the previous page's last object comes again first on the second page and now
 * and then later (Graph replays objects; clients must tolerate it). Deterministic for a given cursor, so a retry gets the
 * same page.
 */
function deltaPageOf<T>(
  ids: string[],
  cursor: DeltaPaging,
  max: number,
  load: (id: string) => T | null,
): { items: T[]; last: string | null; more: boolean } {
  const low = Math.ceil(max / 2);
  const size = max <= 2 ? max : low + (mix(cursor.z, cursor.n, 1) % (max - low + 1));
  // The second page always repeats (a round of two pages or more shows it), later ones by chance.
  const replay =
    size > 1 &&
    cursor.n > 0 &&
    cursor.a !== null &&
    (cursor.n === 1 || mix(cursor.z, cursor.n, 2) % 3 === 0);
  const page = pageOf(ids, cursor.a, replay ? size - 1 : size, load);
  const again = replay && cursor.a !== null ? load(cursor.a) : null;
  if (again !== null) page.items.unshift(again);
  return page;
}

/** The first index whose id sorts after `after` in a sorted id list. */
function indexAfter(ids: string[], after: string | null): number {
  if (!after) return 0;
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ids[mid] ?? "") <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One page of `ids` after the cursor, keeping those that present and pass the filter. */
function pageOf<T>(
  ids: string[],
  after: string | null,
  top: number,
  load: (id: string) => T | null,
): { items: T[]; last: string | null; more: boolean } {
  const items: T[] = [];
  let last: string | null = null;
  for (let i = indexAfter(ids, after); i < ids.length; i++) {
    const id = ids[i] as string;
    const item = load(id);
    if (item === null) continue;
    if (items.length === top) return { items, last, more: true };
    items.push(item);
    last = id;
  }
  return { items, last, more: false };
}

/** The Graph origin under /v1.0: the directory reads the platform needs, with Graph's errors. */
export async function graphRoutes(app: FastifyInstance, ctx: EmulatorContext): Promise<void> {
  const { state, issuer } = ctx;

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof GraphError)
      return reply
        .code(error.status)
        .headers(error.headers)
        .send(graphError(error.code, error.message));
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500)
      return reply.code(status).send(graphError("BadRequest", (error as Error).message));
    return reply
      .code(500)
      .send(graphError("generalException", "An internal server error occurred."));
  });
  app.setNotFoundHandler((request, reply) => {
    const segment = request.url.split("?")[0]?.split("/").filter(Boolean).slice(1).join("/") ?? "";
    return reply
      .code(400)
      .send(graphError("BadRequest", `Resource not found for the segment '${segment}'.`));
  });

  async function authenticate(request: FastifyRequest): Promise<Caller> {
    const claims = await verifiedBearer(request.headers.authorization, (token) =>
      issuer.verifyGraphToken(token),
    );
    const tenant = state.tenants.get(claims.tid);
    if (!tenant)
      throw new GraphError(
        401,
        "InvalidAuthenticationToken",
        "Access token validation failure. Invalid tenant.",
      );
    const isApp = claims.idtyp === "app";
    const granted = new Set(
      (isApp ? (claims.roles ?? []) : (claims.scp ?? "").split(" ")).map((s) => s.toLowerCase()),
    );
    return { tenant, claims, isApp, granted };
  }

  async function authorize(
    request: FastifyRequest,
    need: { app: readonly string[]; delegated: readonly string[] },
  ) {
    const caller = await authenticate(request);
    const allowed = caller.isApp ? need.app : need.delegated;
    if (!allowed.some((p) => caller.granted.has(p.toLowerCase())))
      throw new GraphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
    return caller;
  }

  const q = (request: FastifyRequest) => request.query as Query;
  const userFields = Object.keys(
    presentUser({
      id: "",
      userPrincipalName: "",
      displayName: "",
      givenName: null,
      surname: null,
      mail: null,
      password: "",
      accountEnabled: true,
      roles: [],
      licenses: [],
      licenseStatus: {},
      disabledPlans: [],
      createdDateTime: "",
      licensedAt: "",
      usageLocation: null,
    }),
  );
  const stringUserFields = [
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
  ];
  const sample = Object.fromEntries(userFields.map((f) => [f, null]));
  const groupSample = Object.fromEntries(defaultGroupSelect.map((f) => [f, null]));

  function userList(
    request: FastifyRequest,
    tenant: Tenant,
    ids: string[],
    path: string,
    context: string,
    extra: Presented = {},
    options: { cast?: boolean } = {},
  ) {
    const query = q(request);
    const { advanced, count } = advancedQuery(request, query, options);
    const select = parseSelect(query.$select, "user", sample) ?? defaultUserSelect;
    const filter = parseFilter(query.$filter, stringUserFields, { advanced });
    const top = parseTop(query.$top, 100);
    const after = query.$skiptoken ? decodeToken<{ a: string }>(query.$skiptoken).a : null;
    const matches = (user: User | undefined): user is User =>
      user !== undefined && (!filter || filter(presentUser(user)));
    const page = pageOf(ids, after, top, (id) => {
      const user = tenant.users.get(id);
      return matches(user) ? { ...extra, ...pick(presentUser(user), select) } : null;
    });
    const next = new URLSearchParams();
    for (const k of ["$select", "$filter", "$top", "$count"]) {
      const v = query[k];
      if (v !== undefined) next.set(k, v);
    }
    if (page.more && page.last) next.set("$skiptoken", encodeToken({ a: page.last }));
    return {
      "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#${context}`,
      ...(count
        ? {
            "@odata.count": filter
              ? ids.filter((id) => matches(tenant.users.get(id))).length
              : ids.length,
          }
        : {}),
      value: page.items,
      ...(page.more
        ? { "@odata.nextLink": `${ctx.graphUrl}/v1.0/${path}?${next.toString()}` }
        : {}),
    };
  }

  app.get("/v1.0/organization", async (request) => {
    const { tenant } = await authorize(request, permissions.organization);
    const domains = [...tenant.domains.values()].filter((d) => d.isVerified);
    return {
      "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#organization`,
      value: tenant.isPersonal
        ? []
        : [
            {
              id: tenant.id,
              displayName: tenant.displayName,
              createdDateTime: tenant.createdDateTime,
              tenantType: "AAD",
              countryLetterCode: "US",
              preferredLanguage: "en",
              businessPhones: [],
              city: null,
              country: null,
              street: null,
              postalCode: null,
              state: null,
              technicalNotificationMails: [],
              assignedPlans: [],
              verifiedDomains: domains.map((d) => ({
                capabilities: d.supportedServices.join(", "),
                isDefault: d.isDefault,
                isInitial: d.isInitial,
                name: d.id,
                type: "Managed",
              })),
            },
          ],
    };
  });

  app.get("/v1.0/users", async (request) => {
    const { tenant } = await authorize(request, permissions.users);
    return userList(request, tenant, state.sortedUserIds(tenant), "users", "users");
  });

  /**
   * The signed-in user of a `/me` request: app-only tokens are refused (400) as Graph refuses
   * them, then the token needs one of `scopes` (lower case), then the user must exist.
   */
  async function signedInUser(request: FastifyRequest, scopes: readonly string[]) {
    const caller = await authenticate(request);
    if (caller.isApp)
      throw new GraphError(
        400,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
      );
    if (!scopes.some((s) => caller.granted.has(s)))
      throw new GraphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
    const user = caller.tenant.users.get(caller.claims.oid);
    if (!user)
      throw new GraphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${caller.claims.oid}' does not exist.`,
      );
    return { caller, user };
  }

  app.get("/v1.0/me", async (request) => {
    const { user } = await signedInUser(request, ["user.read", "user.read.all"]);
    const select = parseSelect(q(request).$select, "user", sample) ?? defaultUserSelect;
    return {
      "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#users/$entity`,
      ...pick(presentUser(user), select),
    };
  });

  /**
   * `GET /me/memberOf` and `/me/transitiveMemberOf` (delegated only; `User.Read` suffices): the
   * signed-in user's groups and directory roles. As in Graph, objects the token may not read in
   * full come back with only `@odata.type` and `id` (a directory role needs
   * `RoleManagement.Read.Directory` or a `Directory.*` scope for its `roleTemplateId`), and an
   * OData cast is an advanced query.
   */
  const membershipsOf =
    (transitive: boolean) => async (request: FastifyRequest<{ Params: { cast?: string } }>) => {
      const { caller, user } = await signedInUser(request, [
        "user.read",
        "user.read.all",
        "directory.read.all",
        "directory.readwrite.all",
      ]);
      const query = q(request);
      const cast = request.params.cast;
      if (
        cast !== undefined &&
        cast !== "microsoft.graph.directoryRole" &&
        cast !== "microsoft.graph.group"
      )
        throw new GraphError(
          400,
          "Request_BadRequest",
          `'${cast}' is not a valid type for this relationship.`,
        );
      const { count } = advancedQuery(request, query, { cast: cast !== undefined });
      const readsRoles = roleReaders.some((s) => caller.granted.has(s));
      const readsGroups = groupReaders.some((s) => caller.granted.has(s));
      const select = query.$select?.split(",").map((f) => f.trim()) ?? [
        "id",
        "displayName",
        "roleTemplateId",
        "description",
      ];
      const shape = (type: string, id: string, full: Presented | null): Presented => {
        const out: Presented = { "@odata.type": `#${type}`, id };
        for (const field of select) if (field !== "id") out[field] = full?.[field] ?? null;
        return out;
      };
      const objects = new Map<string, Presented>();
      if (cast !== "microsoft.graph.directoryRole")
        for (const g of groupsOf(caller.tenant, user, transitive))
          objects.set(
            g.id,
            shape(
              "microsoft.graph.group",
              g.id,
              readsGroups ? { displayName: g.displayName, description: null } : null,
            ),
          );
      if (cast !== "microsoft.graph.group")
        for (const role of user.roles) {
          const templateId = roleTemplateIds[role];
          const id = directoryRoleId(caller.tenant.id, templateId);
          objects.set(
            id,
            shape(
              "microsoft.graph.directoryRole",
              id,
              readsRoles
                ? { displayName: roleNames[role], roleTemplateId: templateId, description: null }
                : null,
            ),
          );
        }
      const ids = [...objects.keys()].sort();
      const after = query.$skiptoken ? decodeToken<{ a: string }>(query.$skiptoken).a : null;
      const page = pageOf(ids, after, parseTop(query.$top, 100), (id) => objects.get(id) ?? null);
      const next = new URLSearchParams();
      for (const k of ["$select", "$top", "$count"]) {
        const v = query[k];
        if (v !== undefined) next.set(k, v);
      }
      if (page.more && page.last) next.set("$skiptoken", encodeToken({ a: page.last }));
      const relation = transitive ? "transitiveMemberOf" : "memberOf";
      return {
        "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#directoryObjects`,
        ...(count ? { "@odata.count": ids.length } : {}),
        value: page.items,
        ...(page.more
          ? {
              "@odata.nextLink": `${ctx.graphUrl}/v1.0/me/${relation}${cast ? `/${cast}` : ""}?${next}`,
            }
          : {}),
      };
    };
  for (const [relation, transitive] of [
    ["memberOf", false],
    ["transitiveMemberOf", true],
  ] as const) {
    app.get(`/v1.0/me/${relation}`, membershipsOf(transitive));
    app.get(`/v1.0/me/${relation}/:cast`, membershipsOf(transitive));
  }

  app.get("/v1.0/users/delta", async (request) => {
    const { tenant } = await authorize(request, permissions.users);
    return usersDelta(request, tenant);
  });

  app.get<{ Params: { id: string } }>("/v1.0/users/:id", async (request) => {
    const caller = await authenticate(request);
    const self = !caller.isApp && request.params.id === caller.claims.oid;
    if (!self) await authorize(request, permissions.users);
    const key = request.params.id.toLowerCase();
    const user =
      caller.tenant.users.get(request.params.id) ??
      [...caller.tenant.users.values()].find((u) => u.userPrincipalName.toLowerCase() === key);
    if (!user)
      throw new GraphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${request.params.id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    const select = parseSelect(q(request).$select, "user", sample) ?? defaultUserSelect;
    return {
      "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#users/$entity`,
      ...pick(presentUser(user), select),
    };
  });

  interface DeltaCursor extends DeltaPaging {
    m: "full" | "chg";
    s: number;
    u: number;
    sel: string | null;
  }

  /** 410 Gone for a delta token older than the tenant's floor, with where to start again. */
  function deltaGone(resource: "users" | "groups", sel: string | null): GraphError {
    const restart = `${ctx.graphUrl}/v1.0/${resource}/delta${sel ? `?$select=${encodeURIComponent(sel)}` : ""}`;
    return new GraphError(
      410,
      "syncStateNotFound",
      "The delta token has expired; restart the sync without a token.",
      { location: restart },
    );
  }

  /**
   * Where a delta page starts: the page's own token, the changes since a delta token, or a full
   * round; a token older than the tenant's floor answers 410 with where to start again.
   */
  function deltaCursorOf(query: Query, tenant: Tenant, resource: "users" | "groups"): DeltaCursor {
    let cursor: DeltaCursor;
    if (query.$skiptoken) cursor = decodeToken<DeltaCursor>(query.$skiptoken);
    else if (query.$deltatoken) {
      const t = decodeToken<{ s: number; sel: string | null }>(query.$deltatoken);
      cursor = { m: "chg", a: null, n: 0, z: roundSeed(t.s), s: t.s, u: tenant.seq, sel: t.sel };
    } else {
      const z = roundSeed(tenant.seq);
      cursor = { m: "full", a: null, n: 0, z, s: 0, u: tenant.seq, sel: query.$select ?? null };
    }
    if (cursor.m === "chg" && cursor.s < tenant.deltaTokenFloor)
      throw deltaGone(resource, cursor.sel);
    return cursor;
  }

  function usersDelta(request: FastifyRequest, tenant: Tenant) {
    const query = q(request);
    const max = deltaMaxPageSize(request);
    // `$deltatoken=latest`: no users, only a deltaLink for the changes from now on.
    if (query.$deltatoken?.toLowerCase() === "latest") {
      if (query.$select) parseSelect(query.$select, "user", sample);
      return {
        "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#users`,
        "@odata.deltaLink": `${ctx.graphUrl}/v1.0/users/delta?$deltatoken=${encodeToken({ s: tenant.seq, sel: query.$select ?? null })}`,
        value: [],
      };
    }
    const cursor = deltaCursorOf(query, tenant, "users");
    const select = parseSelect(cursor.sel ?? undefined, "user", sample) ?? defaultUserSelect;

    // Per changed user: the properties changed since the token, or "all" (created, deleted).
    const changed = new Map<string, Set<string> | "all">();
    if (cursor.m === "chg")
      for (let i = firstChangeAfter(tenant, cursor.s); i < tenant.changes.length; i++) {
        const change = tenant.changes[i];
        if (!change || change.seq > cursor.u) break;
        const known = changed.get(change.userId);
        if (!change.fields || known === "all") changed.set(change.userId, "all");
        else changed.set(change.userId, new Set([...(known ?? []), ...change.fields]));
      }
    const ids = cursor.m === "full" ? state.sortedUserIds(tenant) : [...changed.keys()].sort();
    const minimal = cursor.m === "chg" && prefersMinimal(request);
    const page = deltaPageOf(ids, cursor, max, (id): Presented | null => {
      const user = tenant.users.get(id);
      if (!user) return cursor.m === "chg" ? { id, "@removed": { reason: "changed" } } : null;
      const full = withoutUnset(pick(presentUser(user), select));
      const fields = changed.get(id);
      if (!minimal || fields === undefined || fields === "all") return full;
      return Object.fromEntries(Object.entries(full).filter(([k]) => k === "id" || fields.has(k)));
    });
    const link = page.more
      ? {
          "@odata.nextLink": `${ctx.graphUrl}/v1.0/users/delta?$skiptoken=${encodeToken({ ...cursor, a: page.last, n: cursor.n + 1 })}`,
        }
      : {
          "@odata.deltaLink": `${ctx.graphUrl}/v1.0/users/delta?$deltatoken=${encodeToken({ s: cursor.u, sel: cursor.sel })}`,
        };
    return { "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#users`, ...link, value: page.items };
  }

  function firstChangeAfter(tenant: Tenant, seq: number): number {
    let lo = 0;
    let hi = tenant.changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((tenant.changes[mid]?.seq ?? 0) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function findGroup(tenant: Tenant, id: string): Group {
    const group = tenant.groups.get(id);
    if (!group)
      throw new GraphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return group;
  }

  app.get("/v1.0/groups", async (request) => {
    const { tenant } = await authorize(request, permissions.groups);
    const query = q(request);
    const { advanced, count } = advancedQuery(request, query);
    const select = parseSelect(query.$select, "group", groupSample) ?? defaultGroupSelect;
    const filter = parseFilter(query.$filter, ["id", "displayName", "mailNickname"], { advanced });
    const top = parseTop(query.$top, 100);
    const after = query.$skiptoken ? decodeToken<{ a: string }>(query.$skiptoken).a : null;
    const ids = [...tenant.groups.keys()].sort();
    const matches = (group: Group | undefined): group is Group =>
      group !== undefined && (!filter || filter(presentGroup(group)));
    const page = pageOf(ids, after, top, (id) => {
      const group = tenant.groups.get(id);
      return matches(group) ? pick(presentGroup(group), select) : null;
    });
    const next = new URLSearchParams();
    for (const k of ["$select", "$filter", "$top", "$count"]) {
      const v = query[k];
      if (v !== undefined) next.set(k, v);
    }
    if (page.last) next.set("$skiptoken", encodeToken({ a: page.last }));
    return {
      "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#groups`,
      ...(count
        ? { "@odata.count": ids.filter((id) => matches(tenant.groups.get(id))).length }
        : {}),
      value: page.items,
      ...(page.more ? { "@odata.nextLink": `${ctx.graphUrl}/v1.0/groups?${next.toString()}` } : {}),
    };
  });

  /**
   * `/groups/delta`: every group first (with `members@delta` listing all members), then only the
   * groups that changed, with the members added since and those removed (`@removed`).
   */
  app.get("/v1.0/groups/delta", async (request) => {
    const { tenant } = await authorize(request, permissions.groups);
    const query = q(request);
    // `$deltatoken=latest`: no groups, only a deltaLink for the changes from now on.
    if (query.$deltatoken?.toLowerCase() === "latest")
      return {
        "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#groups`,
        "@odata.deltaLink": `${ctx.graphUrl}/v1.0/groups/delta?$deltatoken=${encodeToken({ s: tenant.seq, sel: query.$select ?? null })}`,
        value: [],
      };
    const max = deltaMaxPageSize(request);
    const cursor = deltaCursorOf(query, tenant, "groups");
    const requested = (cursor.sel ?? "")
      .split(",")
      .map((f) => f.trim())
      .filter(Boolean);
    const withMembers =
      requested.length === 0 || requested.some((f) => f.toLowerCase() === "members");
    const rest = requested.filter((f) => f.toLowerCase() !== "members");
    const select =
      parseSelect(rest.length ? rest.join(",") : undefined, "group", groupSample) ??
      (requested.length ? ["id"] : defaultGroupSelect);
    if (!select.includes("id")) select.unshift("id");

    // Per changed group: member id -> removed? (the last change wins).
    const changed = new Map<string, Map<string, boolean>>();
    if (cursor.m === "chg")
      for (const change of tenant.groupChanges) {
        if (change.seq <= cursor.s) continue;
        if (change.seq > cursor.u) break;
        const members = changed.get(change.groupId) ?? new Map<string, boolean>();
        if (change.memberId) members.set(change.memberId, change.removed === true);
        changed.set(change.groupId, members);
      }
    const ids = cursor.m === "full" ? [...tenant.groups.keys()].sort() : [...changed.keys()].sort();
    const page = deltaPageOf(ids, cursor, max, (id): Presented | null => {
      const group = tenant.groups.get(id);
      if (!group) return cursor.m === "chg" ? { id, "@removed": { reason: "changed" } } : null;
      const out = withoutUnset(pick(presentGroup(group), select));
      if (!withMembers) return out;
      const members =
        cursor.m === "full"
          ? [...group.memberIds].sort().map((m) => [m, false] as const)
          : [...(changed.get(id) ?? new Map<string, boolean>())].sort(([x], [y]) =>
              x < y ? -1 : 1,
            );
      out["members@delta"] = members.map(([memberId, removed]) => ({
        "@odata.type": "#microsoft.graph.user",
        id: memberId,
        ...(removed ? { "@removed": { reason: "deleted" } } : {}),
      }));
      return out;
    });
    const link = page.more
      ? {
          "@odata.nextLink": `${ctx.graphUrl}/v1.0/groups/delta?$skiptoken=${encodeToken({ ...cursor, a: page.last, n: cursor.n + 1 })}`,
        }
      : {
          "@odata.deltaLink": `${ctx.graphUrl}/v1.0/groups/delta?$deltatoken=${encodeToken({ s: cursor.u, sel: cursor.sel })}`,
        };
    return {
      "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#groups`,
      ...link,
      value: page.items,
    };
  });

  app.get<{ Params: { id: string } }>("/v1.0/groups/:id", async (request) => {
    const { tenant } = await authorize(request, permissions.groups);
    const select = parseSelect(q(request).$select, "group", groupSample) ?? defaultGroupSelect;
    return {
      "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#groups/$entity`,
      ...pick(presentGroup(findGroup(tenant, request.params.id)), select),
    };
  });

  for (const relation of ["members", "transitiveMembers"]) {
    const handler =
      (cast: boolean) => async (request: FastifyRequest<{ Params: { id: string } }>) => {
        const { tenant } = await authorize(request, permissions.members);
        const group = findGroup(tenant, request.params.id);
        return userList(
          request,
          tenant,
          relation === "members"
            ? [...group.memberIds].sort()
            : state.transitiveUserIds(tenant, group),
          `groups/${group.id}/${relation}${cast ? "/microsoft.graph.user" : ""}`,
          cast ? "users" : "directoryObjects",
          { "@odata.type": "#microsoft.graph.user" },
          { cast },
        );
      };
    app.get(`/v1.0/groups/:id/${relation}`, handler(false));
    app.get(`/v1.0/groups/:id/${relation}/microsoft.graph.user`, handler(true));
  }

  app.get("/v1.0/subscribedSkus", async (request) => {
    const { tenant } = await authorize(request, permissions.skus);
    const value = subscriptionsOf(tenant).map(({ sku, consumedUnits, enabledUnits }) => ({
      accountId: tenant.id,
      accountName: tenant.displayName,
      appliesTo: "User",
      capabilityStatus: "Enabled",
      consumedUnits,
      id: `${tenant.id}_${sku.skuId}`,
      skuId: sku.skuId,
      skuPartNumber: sku.skuPartNumber,
      subscriptionIds: [],
      prepaidUnits: { enabled: enabledUnits, suspended: 0, warning: 0, lockedOut: 0 },
      servicePlans: sku.servicePlans.map((p) => ({
        servicePlanId: p.servicePlanId,
        servicePlanName: p.servicePlanName,
        provisioningStatus: "Success",
        appliesTo: "User",
      })),
    }));
    return { "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#subscribedSkus`, value };
  });

  graphAdminRoutes(app, ctx, {
    authorize,
    parseFilter,
    presentUser: (user) => pick(presentUser(user), defaultUserSelect),
  });

  app.post("/v1.0/$batch", async (request, reply) => {
    const body = request.body as { requests?: unknown } | null;
    const requests = body?.requests;
    if (!Array.isArray(requests))
      throw new GraphError(400, "BadRequest", "Invalid batch payload format.");
    if (requests.length > 20)
      throw new GraphError(
        400,
        "BadRequest",
        "Invalid batch payload format: the number of requests in a batch must not exceed 20.",
      );
    type BatchResponse = {
      id: string;
      status: number;
      headers: Record<string, string>;
      body: unknown;
    };
    // `dependsOn`: a request runs once the requests it names (earlier in the batch) have answered;
    // if one of them failed, it is not run and answers 424 Failed Dependency.
    const seen = new Set<string>();
    const dependencies = requests.map((raw: unknown) => {
      const r = (raw ?? {}) as { id?: unknown; dependsOn?: unknown };
      const deps = r.dependsOn === undefined ? [] : r.dependsOn;
      if (!Array.isArray(deps) || deps.some((d) => typeof d !== "string" || !seen.has(d)))
        throw new GraphError(
          400,
          "BadRequest",
          "Invalid batch payload format: dependsOn must name requests that appear earlier in the batch.",
        );
      seen.add(String(r.id ?? ""));
      return deps as string[];
    });
    const answers = new Map<string, Promise<BatchResponse>>();
    const responses = await Promise.all(
      requests.map((raw: unknown, index: number) => {
        const deps = dependencies[index] ?? [];
        const answer = (async (): Promise<BatchResponse> => {
          const done = await Promise.all(deps.map((d) => answers.get(d)));
          const failed = done.find((d) => d && d.status >= 400);
          if (failed)
            return {
              id: String((raw as { id?: unknown } | null)?.id ?? ""),
              status: 424,
              headers: { "Content-Type": "application/json" },
              body: graphError(
                "FailedDependency",
                `The request depends on request '${failed.id}', which failed.`,
              ),
            };
          return runBatchRequest(raw);
        })();
        answers.set(String((raw as { id?: unknown } | null)?.id ?? ""), answer);
        return answer;
      }),
    );
    return reply.code(200).send({ responses });

    async function runBatchRequest(raw: unknown): Promise<BatchResponse> {
      const r = (raw ?? {}) as {
        id?: unknown;
        method?: unknown;
        url?: unknown;
        headers?: unknown;
        body?: unknown;
      };
      const id = String(r.id ?? "");
      const method = String(r.method ?? "GET").toUpperCase();
      const url = String(r.url ?? "");
      if (!id || !url || /^https?:/i.test(url) || /\$batch/i.test(url))
        return {
          id,
          status: 400,
          headers: { "Content-Type": "application/json" },
          body: graphError("BadRequest", "Invalid request in batch."),
        };
      const res = await app.inject({
        method: method as "GET",
        url: `/v1.0${url.startsWith("/") ? url : `/${url}`}`,
        headers: {
          ...((r.headers as Record<string, string> | undefined) ?? {}),
          ...(request.headers.authorization
            ? { authorization: request.headers.authorization }
            : {}),
        },
        ...(r.body !== undefined ? { payload: r.body as Record<string, unknown> } : {}),
      });
      const headers: Record<string, string> = { "Content-Type": "application/json" };
      const retryAfter = res.headers["retry-after"];
      if (retryAfter) headers["Retry-After"] = String(retryAfter);
      let parsed: unknown = null;
      try {
        parsed = res.body ? JSON.parse(res.body) : null;
      } catch {
        parsed = res.body;
      }
      return { id, status: res.statusCode, headers, body: parsed };
    }
  });
}
