import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { EmulatorContext } from "./context.ts";
import { GraphError } from "./errors.ts";
import type { GraphHelpers } from "./graph-admin.routes.ts";
import { type Group, type RoleName, roleTemplateIds, type Tenant, type User } from "./state.ts";

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

/** The groups a user belongs to, directly or through nested groups. */
function transitiveGroups(tenant: Tenant, user: User): Group[] {
  const found = new Map<string, Group>();
  const queue = [...tenant.groups.values()].filter((g) => g.memberIds.has(user.id));
  while (queue.length) {
    const group = queue.shift()!;
    if (found.has(group.id)) continue;
    found.set(group.id, group);
    for (const parent of tenant.groups.values())
      if (parent.memberGroupIds.has(group.id)) queue.push(parent);
  }
  return [...found.values()];
}

/**
 * `GET /me/memberOf` and `/me/transitiveMemberOf` (delegated only; `User.Read` suffices): the
 * signed-in user's groups and directory roles. As in Graph, objects the token may not read in full
 * come back with only `@odata.type` and `id` (a directory role needs `RoleManagement.Read.Directory`
 * or a `Directory.*` scope for its `roleTemplateId`), and an OData cast is an advanced query that
 * needs `ConsistencyLevel: eventual` and `$count=true`.
 */
export function graphMeRoutes(app: FastifyInstance, ctx: EmulatorContext, helpers: GraphHelpers) {
  const handler =
    (transitive: boolean) => async (request: FastifyRequest<{ Params: { cast?: string } }>) => {
      const caller = await helpers.authorize(request, {
        app: ["Directory.Read.All", "Directory.ReadWrite.All", "User.Read.All"],
        delegated: ["User.Read", "User.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"],
      });
      if (caller.isApp)
        throw new GraphError(
          400,
          "BadRequest",
          "/me request is only valid with delegated authentication flow.",
        );
      const query = request.query as Record<string, string | undefined>;
      const cast = request.params.cast;
      const count = query.$count === "true";
      const eventual = String(request.headers.consistencylevel ?? "").toLowerCase() === "eventual";
      if (cast !== undefined) {
        if (cast !== "microsoft.graph.directoryRole" && cast !== "microsoft.graph.group")
          throw new GraphError(
            400,
            "Request_BadRequest",
            `'${cast}' is not a valid type for this relationship.`,
          );
        if (!count || !eventual)
          throw new GraphError(
            400,
            "Request_UnsupportedQuery",
            "The specified OData cast requires advanced query capabilities: send the ConsistencyLevel header set to eventual and $count=true.",
          );
      }
      const user = caller.tenant.users.get(caller.claims.oid);
      if (!user)
        throw new GraphError(
          404,
          "Request_ResourceNotFound",
          `Resource '${caller.claims.oid}' does not exist.`,
        );
      const scopes = new Set(
        String(caller.claims.scp ?? "")
          .toLowerCase()
          .split(" "),
      );
      const readsRoles = roleReaders.some((s) => scopes.has(s));
      const readsGroups = groupReaders.some((s) => scopes.has(s));
      const select = query.$select?.split(",").map((f) => f.trim()) ?? [
        "id",
        "displayName",
        "roleTemplateId",
        "description",
      ];
      const shape = (type: string, full: Record<string, unknown> | null, id: string) => {
        const out: Record<string, unknown> = { "@odata.type": `#${type}`, id };
        for (const field of select) if (field !== "id") out[field] = full?.[field] ?? null;
        return out;
      };
      const roles = user.roles.map((role) => {
        const templateId = roleTemplateIds[role];
        const id = directoryRoleId(caller.tenant.id, templateId);
        return shape(
          "microsoft.graph.directoryRole",
          readsRoles
            ? { displayName: roleNames[role], roleTemplateId: templateId, description: null }
            : null,
          id,
        );
      });
      const groups = (
        transitive
          ? transitiveGroups(caller.tenant, user)
          : [...caller.tenant.groups.values()].filter((g) => g.memberIds.has(user.id))
      ).map((g) =>
        shape(
          "microsoft.graph.group",
          readsGroups ? { displayName: g.displayName, description: null } : null,
          g.id,
        ),
      );
      let all = [...groups, ...roles];
      if (cast) all = all.filter((o) => o["@odata.type"] === `#${cast}`);
      const top = Math.min(Math.max(Number(query.$top ?? 100) || 100, 1), 999);
      const skip = Number(query.$skiptoken ?? 0) || 0;
      const page = all.slice(skip, skip + top);
      const relation = transitive ? "transitiveMemberOf" : "memberOf";
      const next = new URLSearchParams();
      for (const k of ["$select", "$top", "$count"]) if (query[k]) next.set(k, query[k]!);
      next.set("$skiptoken", String(skip + top));
      return {
        "@odata.context": `${ctx.graphUrl}/v1.0/$metadata#directoryObjects`,
        ...(count ? { "@odata.count": all.length } : {}),
        value: page,
        ...(skip + top < all.length
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
    app.get(`/v1.0/me/${relation}`, handler(transitive));
    app.get(`/v1.0/me/${relation}/:cast`, handler(transitive));
  }
}
