import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id, PageQuery } from "../../../shared/contracts/common.ts";
import {
  type DirectoryGroupList,
  DirectoryGroupQuery,
  UpdateSyncGroupsBody,
} from "../../../shared/contracts/enterprise-portal.ts";
import { UserListQuery } from "../../../shared/contracts/users.ts";
import { whoOf } from "../../authz/actor.ts";
import { authorize } from "../../authz/policy.ts";
import { inTransaction } from "../../context.ts";
import { requireAnyActor, requireEnterpriseAdmin } from "../../http/context.ts";
import { bindFlowToBrowser } from "../../http/session.ts";
import { requireMicrosoft } from "../../integrations/microsoft/port.ts";
import type { Services } from "../../services.ts";
import { listAuditEntries } from "../audit/index.ts";
import { getEnterprise, getEnterpriseRecord } from "../enterprises/index.ts";
import { listUsers, userSyncStatusOf } from "../users/index.ts";
import { setManagementConsent } from "./commands/management-consent.ts";
import { retryTeamsAdminRole } from "./commands/retry-teams-admin-role.ts";
import { startEnterpriseSignIn } from "./commands/sign-in-with-microsoft.ts";
import { requestUserSyncNow } from "./commands/sync-now.ts";
import { lookUpSyncGroups, updateSyncGroups } from "./commands/update-sync-groups.ts";
import { registeredTenantOf } from "./enterprise-portal.policy.ts";
import { overviewOf, syncGroupsOf } from "./enterprise-portal.queries.ts";

const EnterpriseParam = z.strictObject({ enterpriseId: Id });

/** Search for groups to choose: at most this many, then "narrow your search". */
const groupSearchLimit = 50;

/**
 * The enterprise portal (SPEC §3.3–3.4, §2.6): sign-in with Microsoft, the dashboard, management
 * consent, the groups to sync, the synced users and their sync. Routes under
 * `/enterprises/{enterpriseId}` serve both the enterprise's admins and its service provider;
 * scope first (404), then role (403), then management consent where the provider acts (403).
 */
export function enterprisePortalRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  return async (app) => {
    app.post(
      "/auth/microsoft/sign-in",
      {
        schema: {
          tags: ["enterprise portal"],
          summary: "Enterprise admins: start the sign-in with Microsoft (returns the URL to open)",
        },
        config: { public: true, rateLimit: { max: 20, timeWindow: "1 minute" } },
      },
      async (request, reply) =>
        startEnterpriseSignIn(services, bindFlowToBrowser(request, reply, services)),
    );

    app.get(
      "/enterprises/:enterpriseId/overview",
      {
        schema: {
          params: EnterpriseParam,
          tags: ["enterprise portal"],
          summary: "The enterprise dashboard: action items, consent, groups and user sync",
        },
      },
      async (request) => {
        const actor = requireAnyActor(request);
        const record = await getEnterpriseRecord(db, actor, request.params.enterpriseId);
        authorize(actor, "enterprise.overview");
        return overviewOf(db, actor, record);
      },
    );

    for (const [method, grant] of [
      ["PUT", true],
      ["DELETE", false],
    ] as const) {
      app.route({
        method,
        url: "/enterprises/:enterpriseId/management-consent",
        schema: {
          params: EnterpriseParam,
          tags: ["enterprise portal"],
          summary: grant
            ? "Grant consent: allow management by the service provider"
            : "Revoke management by the service provider",
        },
        handler: async (request) => {
          const actor = requireAnyActor(request);
          await getEnterprise(db, actor, request.params.enterpriseId);
          authorize(actor, "management_consent.manage");
          const admin = requireEnterpriseAdmin(request);
          return inTransaction(services, whoOf(admin), (ctx) =>
            setManagementConsent(ctx, admin, request.params.enterpriseId, grant),
          );
        },
      });
    }

    app.post(
      "/enterprises/:enterpriseId/teams-admin-role/retry",
      {
        schema: {
          params: EnterpriseParam,
          tags: ["enterprise portal"],
          summary: "Retry giving the platform the Teams Administrator role after it failed",
        },
      },
      async (request, reply) => {
        const actor = requireAnyActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.enterpriseId);
        authorize(actor, "microsoft_setup.retry");
        await inTransaction(services, whoOf(actor), (ctx) =>
          retryTeamsAdminRole(ctx, actor, enterprise),
        );
        return reply.code(202).send({ state: "pending" });
      },
    );

    app.get(
      "/enterprises/:enterpriseId/sync-groups",
      {
        schema: {
          params: EnterpriseParam,
          tags: ["enterprise portal"],
          summary: "The groups whose members are synced (none: all users)",
        },
      },
      async (request) => {
        const actor = requireAnyActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.enterpriseId);
        authorize(actor, "users.read");
        return syncGroupsOf(db, enterprise);
      },
    );

    app.put(
      "/enterprises/:enterpriseId/sync-groups",
      {
        schema: {
          params: EnterpriseParam,
          body: UpdateSyncGroupsBody,
          tags: ["enterprise portal"],
          summary: "Manage user groups: choose the groups to sync and start a sync",
        },
      },
      async (request) => {
        const actor = requireAnyActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.enterpriseId);
        authorize(actor, "users.sync");
        const groups = await lookUpSyncGroups(services, actor, enterprise, request.body);
        return inTransaction(services, whoOf(actor), (ctx) =>
          updateSyncGroups(ctx, actor, enterprise, groups),
        );
      },
    );

    app.get(
      "/enterprises/:enterpriseId/directory-groups",
      {
        schema: {
          params: EnterpriseParam,
          querystring: DirectoryGroupQuery,
          tags: ["enterprise portal"],
          summary: "Groups of the enterprise's Microsoft 365 tenant, live (search: name prefix)",
        },
      },
      async (request): Promise<DirectoryGroupList> => {
        const actor = requireAnyActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.enterpriseId);
        authorize(actor, "users.read");
        const tenantId = registeredTenantOf(enterprise);
        const { groups, more } = await requireMicrosoft(services.microsoft).searchGroups(tenantId, {
          ...(request.query.q ? { prefix: request.query.q } : {}),
          limit: groupSearchLimit,
        });
        return { items: groups, more };
      },
    );

    app.get(
      "/enterprises/:enterpriseId/users",
      {
        schema: {
          params: EnterpriseParam,
          querystring: UserListQuery,
          tags: ["enterprise portal"],
          summary: "Synced Microsoft 365 users (search: name, sign-in name, e-mail)",
        },
      },
      async (request) => {
        const actor = requireAnyActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.enterpriseId);
        authorize(actor, "users.read");
        const { q, ...rest } = request.query;
        return listUsers(db, enterprise.id, { ...rest, search: q });
      },
    );

    app.get(
      "/enterprises/:enterpriseId/user-sync",
      {
        schema: {
          params: EnterpriseParam,
          tags: ["enterprise portal"],
          summary: "Where the user sync stands: status, progress of a running sync, last run",
        },
      },
      async (request) => {
        const actor = requireAnyActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.enterpriseId);
        authorize(actor, "users.read");
        return userSyncStatusOf(db, enterprise.id);
      },
    );

    app.post(
      "/enterprises/:enterpriseId/user-sync",
      {
        schema: {
          params: EnterpriseParam,
          tags: ["enterprise portal"],
          summary: "Sync users now (a sync already queued or running absorbs this one)",
        },
      },
      async (request, reply) => {
        const actor = requireAnyActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.enterpriseId);
        authorize(actor, "users.sync");
        await inTransaction(services, whoOf(actor), (ctx) =>
          requestUserSyncNow(ctx, actor, enterprise),
        );
        return reply.code(202).send(await userSyncStatusOf(db, enterprise.id));
      },
    );

    app.get(
      "/enterprises/:enterpriseId/activity",
      {
        schema: {
          params: EnterpriseParam,
          querystring: PageQuery,
          tags: ["enterprise portal"],
          summary: "The enterprise's activity feed (its audit entries), newest first",
        },
      },
      async (request) => {
        const actor = requireAnyActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.enterpriseId);
        authorize(actor, "audit.read");
        return listAuditEntries(db, actor, { ...request.query, enterpriseId: enterprise.id });
      },
    );
  };
}
