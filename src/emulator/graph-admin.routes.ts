import { randomBytes, randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { EmulatorContext } from "./context.ts";
import { GraphError } from "./errors.ts";
import {
  currentNumberAssignments,
  type Domain,
  hasTeamsPhone,
  isNumberAssignmentActive,
  type LicenseName,
  type NumberOperation,
  numberOperationStatus,
  type RoleAssignment,
  type RoleName,
  roleTemplateIds,
  type ServicePrincipal,
  subscriptionsOf,
  type Tenant,
  type User,
} from "./state.ts";
import type { GraphTokenClaims } from "./tokens.ts";

/**
 * Application permissions (app-only) and delegated scopes each administrative Graph call needs, as
 * Microsoft documents them: the least-privileged one first, then broader ones that include it.
 */
export const adminPermissions = {
  /** GET /domains, /domains/{id}, /domains/{id}/verificationDnsRecords */
  domains: {
    app: [
      "Domain.Read.All",
      "Domain.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
    delegated: [
      "Domain.Read.All",
      "Domain.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
  },
  /** POST /domains, POST /domains/{id}/verify */
  domainsWrite: {
    app: ["Domain.ReadWrite.All"],
    delegated: ["Domain.ReadWrite.All", "Directory.AccessAsUser.All"],
  },
  /** GET /servicePrincipals (with `$filter=appId eq '…'`), /servicePrincipals/{id} */
  servicePrincipals: {
    app: [
      "Application.Read.All",
      "Application.ReadWrite.OwnedBy",
      "Application.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
    delegated: [
      "Application.Read.All",
      "Application.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ],
  },
  /** GET /roleManagement/directory/roleAssignments */
  roleAssignments: {
    app: [
      "RoleManagement.Read.Directory",
      "RoleManagement.Read.All",
      "Directory.Read.All",
      "RoleManagement.ReadWrite.Directory",
      "Directory.ReadWrite.All",
    ],
    delegated: [
      "RoleManagement.Read.Directory",
      "RoleManagement.Read.All",
      "Directory.Read.All",
      "RoleManagement.ReadWrite.Directory",
      "Directory.ReadWrite.All",
    ],
  },
  /** POST /roleManagement/directory/roleAssignments */
  roleAssignmentsWrite: {
    app: ["RoleManagement.ReadWrite.Directory"],
    delegated: ["RoleManagement.ReadWrite.Directory"],
  },
  /** POST /users (https://learn.microsoft.com/graph/api/user-post-users) */
  usersCreate: {
    app: ["User.ReadWrite.All", "Directory.ReadWrite.All"],
    delegated: ["User.ReadWrite.All", "Directory.ReadWrite.All"],
  },
  /** DELETE /users/{id} (https://learn.microsoft.com/graph/api/user-delete): no broader permission. */
  usersDelete: {
    app: ["User.ReadWrite.All"],
    delegated: ["User.ReadWrite.All"],
  },
  /** POST /users/{id}/assignLicense (https://learn.microsoft.com/graph/api/user-assignlicense) */
  licenseAssignment: {
    app: ["LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"],
    delegated: ["LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"],
  },
  /**
   * POST /{v1.0,beta}/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber and
   * …/unassignNumber, GET …/operations/{id}, GET …/numberAssignments (reads also accept
   * TeamsTelephoneNumber.Read.All: see `teamsTelephoneNumbersRead`).
   */
  teamsTelephoneNumbers: {
    app: ["TeamsTelephoneNumber.ReadWrite.All"],
    delegated: ["TeamsTelephoneNumber.ReadWrite.All"],
  },
  /** GET …/telephoneNumberManagement/numberAssignments, GET …/operations/{id} */
  teamsTelephoneNumbersRead: {
    app: ["TeamsTelephoneNumber.Read.All", "TeamsTelephoneNumber.ReadWrite.All"],
    delegated: ["TeamsTelephoneNumber.Read.All", "TeamsTelephoneNumber.ReadWrite.All"],
  },
} as const;

/** What graphRoutes shares with the administrative routes. */
export interface GraphHelpers {
  authorize(
    request: FastifyRequest,
    need: { app: readonly string[]; delegated: readonly string[] },
  ): Promise<{ tenant: Tenant; claims: GraphTokenClaims; isApp: boolean }>;
  /** `$filter` subset (`eq`, `startswith`, `and`) over the named string properties. */
  parseFilter(
    value: string | undefined,
    strings: string[],
  ): ((o: Record<string, unknown>) => boolean) | null;
  /** A user with Graph's default properties (what a create or update returns). */
  presentUser(user: User): Record<string, unknown>;
}

/** How long an asynchronous telephone number operation runs before it completes. */
export const numberOperationMs = 500;

const domainPattern = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Built-in directory roles the emulator knows, by template id. */
const roleDefinitions: Record<string, RoleName | "user"> = {
  [roleTemplateIds.globalAdministrator]: "globalAdministrator",
  [roleTemplateIds.teamsAdministrator]: "teamsAdministrator",
  [roleTemplateIds.privilegedRoleAdministrator]: "privilegedRoleAdministrator",
  [roleTemplateIds.user]: "user",
};

function notFound(id: string): GraphError {
  return new GraphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/** Microsoft's role assignment ids look like base64url of the role and principal, with a suffix. */
function roleAssignmentId(): string {
  return `${randomBytes(32).toString("base64url").slice(0, 43)}-1`;
}

/** The deterministic id of an assignment that comes from a seeded user's role. */
function seededAssignmentId(roleDefinitionId: string, principalId: string): string {
  const bytes = Buffer.from(`${roleDefinitionId}${principalId}`.replace(/-/g, ""), "hex");
  return `${bytes.toString("base64url")}-1`;
}

/**
 * Administrative Graph routes: domains (add, DNS records, verify against published TXT records),
 * users (create, delete, assign licences), service principals, directory role assignments, groups
 * delta, and Teams telephone number assignment (v1.0 and beta, asynchronous).
 */
export function graphAdminRoutes(
  app: FastifyInstance,
  ctx: EmulatorContext,
  helpers: GraphHelpers,
): void {
  const { state } = ctx;
  const { authorize } = helpers;

  /**
   * A write: app-only callers need the application permission; a signed-in user also needs a
   * directory role that allows it (Global Administrator always does), as Microsoft requires.
   */
  async function authorizeWrite(
    request: FastifyRequest,
    need: { app: readonly string[]; delegated: readonly string[] },
    roles: RoleName[] = [],
  ) {
    const caller = await authorize(request, need);
    if (caller.isApp) return caller;
    const user = caller.tenant.users.get(caller.claims.oid);
    const allowed: RoleName[] = ["globalAdministrator", ...roles];
    if (!user?.roles.some((r) => allowed.includes(r)))
      throw new GraphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
    return caller;
  }
  const q = (request: FastifyRequest) => request.query as Record<string, string | undefined>;
  const metadata = (fragment: string) => `${ctx.graphUrl}/v1.0/$metadata#${fragment}`;

  // ---- Domains ------------------------------------------------------------------------------

  function presentDomain(tenant: Tenant, d: Domain) {
    const isRoot = ![...tenant.domains.keys()].some((k) => k !== d.id && d.id.endsWith(`.${k}`));
    return {
      authenticationType: d.authenticationType,
      availabilityStatus: null,
      id: d.id,
      isAdminManaged: true,
      isDefault: d.isDefault,
      isInitial: d.isInitial,
      isRoot,
      isVerified: d.isVerified,
      manufacturer: null,
      model: null,
      passwordNotificationWindowInDays: null,
      passwordValidityPeriodInDays: null,
      supportedServices: d.supportedServices,
      state: null,
    };
  }

  function findDomain(tenant: Tenant, id: string): Domain {
    const domain = tenant.domains.get(id.toLowerCase());
    if (!domain) throw notFound(id);
    return domain;
  }

  function refuseIfVerifiedElsewhere(tenant: Tenant, name: string): void {
    if (state.tenantWithVerifiedDomain(name, tenant.id))
      throw new GraphError(
        400,
        "Request_BadRequest",
        `Domain '${name}' is already verified in another tenant and cannot be added to this one.`,
      );
  }

  app.get("/v1.0/domains", async (request) => {
    const { tenant } = await authorize(request, adminPermissions.domains);
    const filter = helpers.parseFilter(q(request).$filter, ["id"]);
    const value = [...tenant.domains.values()]
      .map((d) => presentDomain(tenant, d))
      .filter((d) => !filter || filter(d));
    return { "@odata.context": metadata("domains"), value };
  });

  app.post("/v1.0/domains", async (request, reply) => {
    const { tenant } = await authorizeWrite(request, adminPermissions.domainsWrite);
    const body = (request.body ?? {}) as { id?: unknown };
    if (typeof body.id !== "string" || !body.id)
      throw new GraphError(400, "Request_BadRequest", "Required property 'id' is missing.");
    const name = body.id.trim().toLowerCase().replace(/\.$/, "");
    if (!domainPattern.test(name))
      throw new GraphError(
        400,
        "Request_BadRequest",
        `Invalid domain name '${body.id}': the domain name must be a fully qualified domain name.`,
      );
    if (name.endsWith(".onmicrosoft.com"))
      throw new GraphError(
        400,
        "Request_BadRequest",
        "Domains ending in onmicrosoft.com are reserved and cannot be added.",
      );
    if (tenant.domains.has(name))
      throw new GraphError(
        400,
        "Request_BadRequest",
        "A conflicting object with one or more of the specified property values is present in the directory.",
      );
    refuseIfVerifiedElsewhere(tenant, name);
    // As Microsoft: a subdomain of a root domain verified in this tenant is verified at once.
    const parentVerified = [...tenant.domains.values()].some(
      (d) => d.isVerified && !d.isInitial && name.endsWith(`.${d.id}`),
    );
    const domain: Domain = {
      id: name,
      isDefault: false,
      isInitial: false,
      isVerified: parentVerified,
      authenticationType: "Managed",
      supportedServices: [],
      verificationCode: state.newVerificationCode(),
    };
    tenant.domains.set(name, domain);
    return reply.code(201).send({
      "@odata.context": metadata("domains/$entity"),
      ...presentDomain(tenant, domain),
    });
  });

  app.get<{ Params: { id: string } }>("/v1.0/domains/:id", async (request) => {
    const { tenant } = await authorize(request, adminPermissions.domains);
    return {
      "@odata.context": metadata("domains/$entity"),
      ...presentDomain(tenant, findDomain(tenant, request.params.id)),
    };
  });

  app.get<{ Params: { id: string } }>(
    "/v1.0/domains/:id/verificationDnsRecords",
    async (request) => {
      const { tenant } = await authorize(request, adminPermissions.domains);
      const domain = findDomain(tenant, request.params.id);
      const code = domain.verificationCode;
      const value = code
        ? [
            {
              "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
              id: `aceff52c-06a5-447f-ac5f-${Buffer.from(code).toString("hex").slice(-12)}`,
              isOptional: false,
              label: domain.id,
              recordType: "Txt",
              supportedService: "Email",
              ttl: 3600,
              text: code,
            },
            {
              "@odata.type": "#microsoft.graph.domainDnsMxRecord",
              id: `5fbde38c-0865-497f-82b1-${Buffer.from(code).toString("hex").slice(-12)}`,
              isOptional: false,
              label: domain.id,
              recordType: "Mx",
              supportedService: "Email",
              ttl: 3600,
              mailExchange: `${code.slice(3)}.msv1.invalid`,
              preference: 32767,
            },
          ]
        : [];
      return {
        "@odata.context": metadata(`domains('${domain.id}')/verificationDnsRecords`),
        value,
      };
    },
  );

  app.post<{ Params: { id: string } }>("/v1.0/domains/:id/verify", async (request) => {
    const { tenant } = await authorizeWrite(request, adminPermissions.domainsWrite);
    const domain = findDomain(tenant, request.params.id);
    if (domain.isVerified)
      throw new GraphError(400, "Request_BadRequest", "Domain is already verified.");
    refuseIfVerifiedElsewhere(tenant, domain.id);
    if (!state.hasTxt(domain.id, domain.verificationCode))
      throw new GraphError(
        400,
        "Request_BadRequest",
        `Domain verification failed with the following error: Unable to verify domain: the DNS TXT record '${domain.verificationCode}' was not found for '${domain.id}'.`,
      );
    domain.isVerified = true;
    domain.supportedServices = ["Email", "OfficeCommunicationsOnline"];
    return { "@odata.context": metadata("domains/$entity"), ...presentDomain(tenant, domain) };
  });

  /**
   * DELETE /domains/{id} (https://learn.microsoft.com/graph/api/domain-delete): not the initial or
   * default domain, and not while users sign in with it (Graph offers `forceDelete` for that).
   */
  app.delete<{ Params: { id: string } }>("/v1.0/domains/:id", async (request, reply) => {
    const { tenant } = await authorizeWrite(request, adminPermissions.domainsWrite);
    const domain = findDomain(tenant, request.params.id);
    if (domain.isInitial || domain.isDefault)
      throw new GraphError(
        400,
        "Request_BadRequest",
        `The domain '${domain.id}' is the initial or default domain of the tenant and cannot be deleted.`,
      );
    if (
      [...tenant.users.values()].some((u) =>
        u.userPrincipalName.toLowerCase().endsWith(`@${domain.id}`),
      )
    )
      throw new GraphError(
        400,
        "Request_BadRequest",
        `The domain '${domain.id}' has objects referencing it (users) and cannot be deleted.`,
      );
    tenant.domains.delete(domain.id);
    return reply.code(204).send();
  });

  // ---- Users: create, delete, licences ------------------------------------------------------

  const invalidProperty = (property: string) =>
    new GraphError(
      400,
      "Request_BadRequest",
      `Invalid value specified for property '${property}' of resource 'User'.`,
    );

  function findUser(tenant: Tenant, idOrUpn: string): User {
    const key = idOrUpn.toLowerCase();
    const user =
      tenant.users.get(key) ??
      [...tenant.users.values()].find((u) => u.userPrincipalName.toLowerCase() === key);
    if (!user) throw notFound(idOrUpn);
    return user;
  }

  /** Entra's default password policy: 8 to 256 characters, three of the four kinds. */
  function isComplexPassword(password: string): boolean {
    const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password));
    return password.length >= 8 && password.length <= 256 && kinds.length >= 3;
  }

  app.post("/v1.0/users", async (request, reply) => {
    const { tenant } = await authorizeWrite(request, adminPermissions.usersCreate);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const profile = (body.passwordProfile ?? {}) as Record<string, unknown>;
    if (typeof body.accountEnabled !== "boolean") throw invalidProperty("accountEnabled");
    if (typeof body.displayName !== "string" || !body.displayName.trim())
      throw invalidProperty("displayName");
    if (
      typeof body.mailNickname !== "string" ||
      !/^[A-Za-z0-9'.\-_!#^~]{1,64}$/.test(body.mailNickname)
    )
      throw invalidProperty("mailNickname");
    if (typeof profile.password !== "string") throw invalidProperty("passwordProfile");
    const upn = typeof body.userPrincipalName === "string" ? body.userPrincipalName.trim() : "";
    const [local, domain, ...extra] = upn.split("@");
    if (!local || !domain || extra.length || !/^[A-Za-z0-9'.\-_!#^~]{1,64}$/.test(local))
      throw invalidProperty("userPrincipalName");
    if (!tenant.domains.get(domain.toLowerCase())?.isVerified)
      throw new GraphError(
        400,
        "Request_BadRequest",
        "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
      );
    const usageLocation = body.usageLocation ?? null;
    if (
      usageLocation !== null &&
      (typeof usageLocation !== "string" || !/^[A-Z]{2}$/.test(usageLocation))
    )
      throw invalidProperty("usageLocation");
    if (!isComplexPassword(profile.password))
      throw new GraphError(
        400,
        "Request_BadRequest",
        "The specified password does not comply with password complexity requirements. Please provide a different password.",
      );
    if (state.findUserByUpn(upn))
      throw new GraphError(
        400,
        "Request_BadRequest",
        "Another object with the same value for property userPrincipalName already exists.",
      );
    const { id } = state.addUser(tenant.id, {
      userPrincipalName: upn,
      displayName: body.displayName.trim(),
      password: profile.password,
      accountEnabled: body.accountEnabled,
      usageLocation,
    });
    return reply.code(201).send({
      "@odata.context": metadata("users/$entity"),
      ...helpers.presentUser(findUser(tenant, id)),
    });
  });

  app.delete<{ Params: { id: string } }>("/v1.0/users/:id", async (request, reply) => {
    const caller = await authorizeWrite(request, adminPermissions.usersDelete);
    const user = findUser(caller.tenant, request.params.id);
    // "In app-only scenarios, User.ReadWrite.All isn't enough to delete users with privileged
    // administrator roles" (user-delete).
    if (caller.isApp && user.roles.length > 0)
      throw new GraphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
    state.removeUser(caller.tenant.id, user.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>("/v1.0/users/:id/assignLicense", async (request) => {
    const { tenant } = await authorizeWrite(request, adminPermissions.licenseAssignment);
    const user = findUser(tenant, request.params.id);
    const body = (request.body ?? {}) as { addLicenses?: unknown; removeLicenses?: unknown };
    if (!Array.isArray(body.addLicenses))
      throw new GraphError(
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'addLicenses' of resource 'AssignLicense'.",
      );
    if (!Array.isArray(body.removeLicenses))
      throw new GraphError(
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'removeLicenses' of resource 'AssignLicense'.",
      );
    const subscriptions = subscriptionsOf(tenant);
    const subscriptionOf = (skuId: unknown) => {
      const found =
        typeof skuId === "string"
          ? subscriptions.find((s) => s.sku.skuId === skuId.toLowerCase())
          : undefined;
      if (!found)
        throw new GraphError(
          400,
          "Request_BadRequest",
          `License ${String(skuId)} does not correspond to a valid company License.`,
        );
      return found;
    };
    const adds = body.addLicenses.map((raw) => {
      const entry = (raw ?? {}) as { skuId?: unknown; disabledPlans?: unknown };
      const disabled = entry.disabledPlans ?? [];
      if (
        !Array.isArray(disabled) ||
        disabled.some((d) => typeof d !== "string" || !guidPattern.test(d))
      )
        throw new GraphError(
          400,
          "Request_BadRequest",
          "Invalid value specified for property 'disabledPlans' of resource 'AssignedLicense'.",
        );
      return {
        subscription: subscriptionOf(entry.skuId),
        disabledPlans: (disabled as string[]).map((d) => d.toLowerCase()),
      };
    });
    const removes = body.removeLicenses.map((skuId) => subscriptionOf(skuId));
    if (adds.length > 0 && !user.usageLocation)
      throw new GraphError(
        400,
        "Request_BadRequest",
        "License assignment cannot be done for user with invalid usage location.",
      );
    for (const r of removes)
      if (!user.licenses.includes(r.name))
        throw new GraphError(
          400,
          "Request_BadRequest",
          "User does not have a corresponding license.",
        );
    for (const { subscription } of adds)
      if (
        !user.licenses.includes(subscription.name) &&
        subscription.consumedUnits >= subscription.enabledUnits
      )
        throw new GraphError(
          400,
          "Request_BadRequest",
          `Subscription with SKU ${subscription.sku.skuId} does not have any available licenses.`,
        );
    const removed = new Set<LicenseName>(removes.map((r) => r.name));
    const licenses = user.licenses.filter((l) => !removed.has(l));
    // A licence added again replaces its disabled plans; other licences keep theirs.
    const replaced = new Set(
      adds.flatMap((a) => a.subscription.sku.servicePlans.map((p) => p.servicePlanId)),
    );
    let disabledPlans = user.disabledPlans.filter((p) => !replaced.has(p));
    for (const { subscription, disabledPlans: off } of adds) {
      if (!licenses.includes(subscription.name)) licenses.push(subscription.name);
      disabledPlans = [...disabledPlans, ...off];
    }
    state.updateUser(tenant.id, user.id, { licenses, disabledPlans });
    return { "@odata.context": metadata("users/$entity"), ...helpers.presentUser(user) };
  });

  // ---- Service principals -------------------------------------------------------------------

  /**
   * A new service principal reaches Graph's replicas after a delay (as it reaches the token
   * service): until then lists omit it and a role assignment naming it is refused.
   */
  function visibleServicePrincipals(tenant: Tenant): ServicePrincipal[] {
    const now = Date.now();
    return [...tenant.servicePrincipals.values()].filter((sp) => sp.visibleAt <= now);
  }

  function presentServicePrincipal(tenant: Tenant, sp: ServicePrincipal) {
    const registered = state.apps.get(sp.appId);
    return {
      id: sp.id,
      accountEnabled: true,
      appDisplayName: sp.displayName,
      appId: sp.appId,
      appOwnerOrganizationId: null,
      appRoleAssignmentRequired: false,
      appRoles: [],
      displayName: sp.displayName,
      replyUrls: registered?.redirectUris ?? [],
      servicePrincipalNames: [sp.appId],
      servicePrincipalType: "Application",
      signInAudience: "AzureADMultipleOrgs",
      tags: [],
      tenantId: tenant.id,
    };
  }

  app.get("/v1.0/servicePrincipals", async (request) => {
    const { tenant } = await authorize(request, adminPermissions.servicePrincipals);
    const filter = helpers.parseFilter(q(request).$filter, ["id", "appId", "displayName"]);
    const value = visibleServicePrincipals(tenant)
      .map((sp) => presentServicePrincipal(tenant, sp))
      .filter((sp) => !filter || filter(sp));
    return { "@odata.context": metadata("servicePrincipals"), value };
  });

  app.get<{ Params: { id: string } }>("/v1.0/servicePrincipals/:id", async (request) => {
    const { tenant } = await authorize(request, adminPermissions.servicePrincipals);
    const sp = visibleServicePrincipals(tenant).find(
      (s) => s.id === request.params.id.toLowerCase(),
    );
    if (!sp) throw notFound(request.params.id);
    return {
      "@odata.context": metadata("servicePrincipals/$entity"),
      ...presentServicePrincipal(tenant, sp),
    };
  });

  // ---- Directory role assignments -----------------------------------------------------------

  /** Explicit assignments, then those of seeded users' roles (as Microsoft lists them). */
  function allAssignments(tenant: Tenant): RoleAssignment[] {
    const seeded: RoleAssignment[] = [];
    for (const user of tenant.users.values())
      for (const role of user.roles) {
        const roleDefinitionId = roleTemplateIds[role];
        if (
          tenant.roleAssignments.some(
            (a) => a.principalId === user.id && a.roleDefinitionId === roleDefinitionId,
          )
        )
          continue;
        seeded.push({
          id: seededAssignmentId(roleDefinitionId, user.id),
          principalId: user.id,
          roleDefinitionId,
          directoryScopeId: "/",
        });
      }
    return [...tenant.roleAssignments, ...seeded];
  }

  const presentAssignment = (a: RoleAssignment) => ({
    id: a.id,
    principalId: a.principalId,
    roleDefinitionId: a.roleDefinitionId,
    directoryScopeId: a.directoryScopeId,
    appScopeId: null,
    condition: null,
  });

  app.get("/v1.0/roleManagement/directory/roleAssignments", async (request) => {
    const { tenant } = await authorize(request, adminPermissions.roleAssignments);
    const filter = helpers.parseFilter(q(request).$filter, [
      "id",
      "principalId",
      "roleDefinitionId",
      "directoryScopeId",
    ]);
    const value = allAssignments(tenant)
      .map(presentAssignment)
      .filter((a) => !filter || filter(a));
    return { "@odata.context": metadata("roleManagement/directory/roleAssignments"), value };
  });

  app.get<{ Params: { id: string } }>(
    "/v1.0/roleManagement/directory/roleAssignments/:id",
    async (request) => {
      const { tenant } = await authorize(request, adminPermissions.roleAssignments);
      const found = allAssignments(tenant).find((a) => a.id === request.params.id);
      if (!found) throw notFound(request.params.id);
      return {
        "@odata.context": metadata("roleManagement/directory/roleAssignments/$entity"),
        ...presentAssignment(found),
      };
    },
  );

  app.post("/v1.0/roleManagement/directory/roleAssignments", async (request, reply) => {
    const { tenant } = await authorizeWrite(request, adminPermissions.roleAssignmentsWrite, [
      "privilegedRoleAdministrator",
    ]);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const principalId = typeof body.principalId === "string" ? body.principalId.toLowerCase() : "";
    const roleDefinitionId =
      typeof body.roleDefinitionId === "string" ? body.roleDefinitionId.toLowerCase() : "";
    const directoryScopeId = body.directoryScopeId;
    if (!principalId || !roleDefinitionId || directoryScopeId === undefined)
      throw new GraphError(
        400,
        "Request_BadRequest",
        "The request is missing a required property: principalId, roleDefinitionId and directoryScopeId (or appScopeId) are required.",
      );
    if (directoryScopeId !== "/")
      throw new GraphError(
        400,
        "Request_BadRequest",
        `Invalid value specified for property 'directoryScopeId' of resource 'UnifiedRoleAssignment': '${String(directoryScopeId)}' is not supported by the emulator (use "/").`,
      );
    const role = guidPattern.test(roleDefinitionId) ? roleDefinitions[roleDefinitionId] : undefined;
    if (!role)
      throw new GraphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${roleDefinitionId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    const user = tenant.users.get(principalId);
    const sp = visibleServicePrincipals(tenant).find((s) => s.id === principalId);
    if (!user && !sp)
      throw new GraphError(
        400,
        "Request_BadRequest",
        `Invalid value specified for property 'principalId' of resource 'UnifiedRoleAssignment': the principal '${principalId}' does not exist in the directory.`,
      );
    if (
      allAssignments(tenant).some(
        (a) => a.principalId === principalId && a.roleDefinitionId === roleDefinitionId,
      )
    )
      throw new GraphError(
        400,
        "Request_BadRequest",
        "A conflicting object with one or more of the specified property values is present in the directory.",
      );
    const assignment: RoleAssignment = {
      id: roleAssignmentId(),
      principalId,
      roleDefinitionId,
      directoryScopeId: "/",
      effectiveAt: Date.now() + state.propagation.roleAssignmentMs,
    };
    tenant.roleAssignments.push(assignment);
    // A user who gets a role holds it from their next sign-in (`wids`).
    if (user && role !== "user" && !user.roles.includes(role)) user.roles.push(role);
    return reply.code(201).send({
      "@odata.context": metadata("roleManagement/directory/roleAssignments/$entity"),
      ...presentAssignment(assignment),
    });
  });

  // ---- Teams telephone numbers (v1.0 and beta, asynchronous) -------------------------------

  const numberTypes = ["directRouting", "callingPlan", "operatorConnect"];
  // Documented under /v1.0 and /beta alike; each version links to its own operations.
  for (const version of ["v1.0", "beta"]) {
    const numbersBase = `/${version}/admin/teams/telephoneNumberManagement`;
    const operationUrl = (id: string) => `${ctx.graphUrl}${numbersBase}/operations('${id}')`;

    /** A write's telephone number (E.164) and number type, or Microsoft's 400. */
    function parseNumberRequest(body: Record<string, unknown>, mandatory: string[]) {
      const { telephoneNumber, numberType } = body;
      if (mandatory.some((field) => typeof body[field] !== "string" || body[field] === ""))
        throw new GraphError(
          400,
          "BadRequest",
          `${mandatory.slice(0, -1).join(", ")} and ${mandatory.at(-1)} are mandatory parameters.`,
        );
      const digits = String(telephoneNumber).replace(/^\+/, "");
      // E.164: up to 15 digits, the country code never starting with 0.
      if (!/^[1-9]\d{3,14}$/.test(digits))
        throw new GraphError(
          400,
          "BadRequest",
          `The telephone number '${telephoneNumber}' is not a valid E.164 number.`,
        );
      const type = numberTypes.find((t) => t.toLowerCase() === String(numberType).toLowerCase());
      if (!type)
        throw new GraphError(
          400,
          "BadRequest",
          `Invalid numberType '${numberType}': expected directRouting, callingPlan or operatorConnect.`,
        );
      return { number: `+${digits}`, type };
    }

    app.post(`${numbersBase}/numberAssignments/assignNumber`, async (request, reply) => {
      const { tenant } = await authorizeWrite(request, adminPermissions.teamsTelephoneNumbers, [
        "teamsAdministrator",
      ]);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const { number, type } = parseNumberRequest(body, [
        "telephoneNumber",
        "assignmentTargetId",
        "numberType",
      ]);
      const assignmentTargetId = String(body.assignmentTargetId);
      const assignmentCategory =
        typeof body.assignmentCategory === "string" ? body.assignmentCategory : "primary";
      if (!["primary", "private", "alternate"].includes(assignmentCategory))
        throw new GraphError(
          400,
          "BadRequest",
          `Invalid assignmentCategory '${assignmentCategory}': expected primary, private or alternate.`,
        );
      const target = assignmentTargetId.toLowerCase();
      const user = tenant.users.get(target);
      currentNumberAssignments(tenant);
      const holder = tenant.numberAssignments.get(number);
      // Validation happens in the asynchronous order, as Microsoft's: the operation fails.
      const failure = !user
        ? `The user '${assignmentTargetId}' was not found.`
        : type === "directRouting" && !hasTeamsPhone(user)
          ? `The user '${user.userPrincipalName}' is not licensed for Teams Phone (MCOEV).`
          : holder && holder.assignmentTargetId !== target
            ? `The telephone number '${number}' is already assigned to another user.`
            : null;
      const op: NumberOperation = {
        id: Buffer.from(`Assignment|${randomUUID()}`).toString("base64url"),
        kind: "assignNumber",
        createdDateTime: new Date().toISOString(),
        completesAt: Date.now() + numberOperationMs,
        telephoneNumber: number,
        assignmentTargetId: target,
        numberType: type,
        assignmentCategory,
        status: failure ? "failed" : "succeeded",
        statusDetail: failure,
      };
      tenant.numberOperations.set(op.id, op);
      if (!failure) {
        // A user holds one primary number: the new one replaces any other.
        for (const [n, a] of tenant.numberAssignments)
          if (a.assignmentTargetId === target && a.assignmentCategory === assignmentCategory)
            tenant.numberAssignments.delete(n);
        tenant.numberAssignments.set(number, {
          telephoneNumber: number,
          assignmentTargetId: target,
          numberType: type,
          assignmentCategory,
          operationId: op.id,
        });
      }
      return reply.code(202).header("Location", operationUrl(op.id)).send();
    });

    // Unassigning is asynchronous too: the number stays with its user until the operation succeeds.
    app.post(`${numbersBase}/numberAssignments/unassignNumber`, async (request, reply) => {
      const { tenant } = await authorizeWrite(request, adminPermissions.teamsTelephoneNumbers, [
        "teamsAdministrator",
      ]);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const { number, type } = parseNumberRequest(body, ["telephoneNumber", "numberType"]);
      currentNumberAssignments(tenant);
      const holder = tenant.numberAssignments.get(number);
      const failure = !holder
        ? `The telephone number '${number}' is not assigned.`
        : holder.numberType !== type
          ? `The telephone number '${number}' is not a ${type} number.`
          : null;
      const op: NumberOperation = {
        id: Buffer.from(`Unassignment|${randomUUID()}`).toString("base64url"),
        kind: "unassignNumber",
        createdDateTime: new Date().toISOString(),
        completesAt: Date.now() + numberOperationMs,
        telephoneNumber: number,
        assignmentTargetId: holder?.assignmentTargetId ?? "",
        numberType: type,
        assignmentCategory: holder?.assignmentCategory ?? "primary",
        status: failure ? "failed" : "succeeded",
        statusDetail: failure,
      };
      tenant.numberOperations.set(op.id, op);
      if (holder && !failure) holder.removalOperationId ??= op.id;
      return reply.code(202).header("Location", operationUrl(op.id)).send();
    });

    const operation = async (request: FastifyRequest, id: string) => {
      const { tenant } = await authorize(request, adminPermissions.teamsTelephoneNumbersRead);
      const op = tenant.numberOperations.get(id);
      if (!op) throw notFound(id);
      const status = numberOperationStatus(op);
      return {
        "@odata.context": `${ctx.graphUrl}/${version}/$metadata#admin/teams/telephoneNumberManagement/operations/$entity`,
        "@odata.type": "#microsoft.graph.teamsAdministration.telephoneNumberLongRunningOperation",
        id: op.id,
        createdDateTime: op.createdDateTime,
        status,
        numbers: [
          {
            resourceLocation: operationUrl(op.id),
            status,
            statusDetail: status === "failed" ? op.statusDetail : null,
          },
        ],
      };
    };
    app.get<{ Params: { id: string } }>(`${numbersBase}/operations/:id`, (request) =>
      operation(request, request.params.id),
    );
    // OData key syntax, the Location Microsoft returns: …/telephoneNumberManagement/operations('<id>').
    app.get<{ Params: { key: string } }>(`${numbersBase}/:key`, async (request) => {
      const id = request.params.key.match(/^operations\('([^']+)'\)$/)?.[1];
      if (!id)
        throw new GraphError(
          400,
          "BadRequest",
          `Resource not found for the segment '${request.params.key}'.`,
        );
      return operation(request, id);
    });

    app.get(`${numbersBase}/numberAssignments`, async (request) => {
      const { tenant } = await authorize(request, adminPermissions.teamsTelephoneNumbersRead);
      const filter = helpers.parseFilter(q(request).$filter, [
        "telephoneNumber",
        "assignmentTargetId",
        "numberType",
        "assignmentStatus",
        "activationState",
      ]);
      const value = currentNumberAssignments(tenant)
        .map((a) => {
          const active = isNumberAssignmentActive(tenant, a);
          return {
            "@odata.type": "#microsoft.graph.teamsAdministration.numberAssignment",
            id: Buffer.from(`${tenant.id}|${a.telephoneNumber}`).toString("base64url"),
            telephoneNumber: a.telephoneNumber,
            operatorId: null,
            numberType: a.numberType,
            activationState: active ? "activated" : "assignmentPending",
            capabilities: ["userAssignment"],
            locationId: null,
            civicAddressId: null,
            networkSiteId: null,
            assignmentTargetId: a.assignmentTargetId,
            assignmentCategory: a.assignmentCategory,
            portInStatus: null,
            assignmentStatus: "userAssigned",
            isoCountryCode: null,
            city: null,
            numberSource: "online",
            supportedCustomerActions: [],
            reverseNumberLookupOptions: [],
          };
        })
        .filter((a) => !filter || filter(a));
      return {
        "@odata.context": `${ctx.graphUrl}/${version}/$metadata#admin/teams/telephoneNumberManagement/numberAssignments`,
        value,
      };
    });
  }
}
