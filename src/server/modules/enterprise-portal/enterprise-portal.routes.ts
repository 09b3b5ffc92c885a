import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { PageQuery } from "../../../shared/contracts/common.ts";
import {
  type DirectoryGroupList,
  DirectoryGroupQuery,
  UpdateSyncGroupsBody,
} from "../../../shared/contracts/enterprise-portal.ts";
import type { Actor, EnterpriseAdminActor } from "../../authz/actor.ts";
import { enterpriseRoute } from "../../http/enterprise-route.ts";
import { bindFlowToBrowser } from "../../http/session.ts";
import { requireMicrosoft } from "../../integrations/microsoft/port.ts";
import { forbidden } from "../../lib/errors.ts";
import type { Services } from "../../services.ts";
import { listAuditEntries } from "../audit/index.ts";
import { registeredTenantOf } from "../enterprises/index.ts";
import {
  finishPermissionsConsent,
  startPermissionsConsent,
} from "./commands/grant-new-permissions.ts";
import { setManagementConsent } from "./commands/management-consent.ts";
import { retryTeamsAdminRole } from "./commands/retry-teams-admin-role.ts";
import { startEnterpriseSignIn } from "./commands/sign-in-with-microsoft.ts";
import { lookUpSyncGroups, updateSyncGroups } from "./commands/update-sync-groups.ts";
import { overviewOf, syncGroupsOf } from "./enterprise-portal.queries.ts";

/** Search for groups to choose: at most this many, then "narrow your search". */
const groupSearchLimit = 50;

/** Only enterprise admins hold `management_consent.manage`; the route has already checked it. */
function asEnterpriseAdmin(actor: Actor): EnterpriseAdminActor {
  if (actor.kind !== "enterprise_admin") throw forbidden("Only an enterprise admin may do this");
  return actor;
}

/**
 * The enterprise portal (SPEC §3.3–3.4): sign-in with Microsoft, the dashboard, management consent,
 * the groups to sync and the Microsoft set-up. Its routes under `/enterprises/{enterpriseId}` serve
 * both the enterprise's admins and its service provider, through `enterpriseRoute`.
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

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/overview", {
      summary: "The enterprise dashboard: action items, consent, groups and user sync",
      may: "enterprise.overview",
      handler: ({ actor, enterprise }) => overviewOf(db, actor, enterprise),
    });

    for (const [method, grant] of [
      ["PUT", true],
      ["DELETE", false],
    ] as const) {
      enterpriseRoute(app, services, method, "/enterprises/:enterpriseId/management-consent", {
        summary: grant
          ? "Grant consent: allow management by the service provider"
          : "Revoke management by the service provider",
        may: "management_consent.manage",
        handler: ({ actor, enterprise, transact }) =>
          transact((ctx) => setManagementConsent(ctx, asEnterpriseAdmin(actor), enterprise, grant)),
      });
    }

    enterpriseRoute(
      app,
      services,
      "POST",
      "/enterprises/:enterpriseId/microsoft-permissions/consent",
      {
        summary:
          "Grant the new permissions: start Microsoft's admin consent for the enterprise's tenant (returns the URL to open)",
        may: "microsoft_permissions.grant",
        handler: ({ actor, enterprise, reply }) =>
          startPermissionsConsent(
            services,
            actor,
            enterprise,
            bindFlowToBrowser(reply.request, reply, services),
          ),
      },
    );

    enterpriseRoute(
      app,
      services,
      "POST",
      "/enterprises/:enterpriseId/microsoft-permissions/consent/finish",
      {
        summary:
          "Grant the new permissions: has Microsoft applied the consent yet? (polled by the dashboard)",
        may: "microsoft_permissions.grant",
        handler: ({ actor, enterprise }) => finishPermissionsConsent(services, actor, enterprise),
      },
    );

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/teams-admin-role/retry", {
      summary: "Retry giving the platform the Teams Administrator role after it failed",
      may: "microsoft_setup.retry",
      status: 202,
      handler: async ({ enterprise, transact }) => {
        await transact((ctx) => retryTeamsAdminRole(ctx, enterprise));
        return { state: "pending" as const };
      },
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/sync-groups", {
      summary: "The groups whose members are synced (none: all users)",
      may: "users.read",
      handler: ({ enterprise }) => syncGroupsOf(db, enterprise),
    });

    enterpriseRoute(app, services, "PUT", "/enterprises/:enterpriseId/sync-groups", {
      summary: "Manage user groups: choose the groups to sync and start a sync",
      may: "users.sync",
      body: UpdateSyncGroupsBody,
      handler: async ({ actor, enterprise, body, transact }) => {
        const groups = await lookUpSyncGroups(services, enterprise, body);
        return transact((ctx) => updateSyncGroups(ctx, actor, enterprise, groups));
      },
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/directory-groups", {
      summary: "Groups of the enterprise's Microsoft 365 tenant, live (search: name prefix)",
      may: "users.read",
      querystring: DirectoryGroupQuery,
      handler: async ({ enterprise, query }): Promise<DirectoryGroupList> => {
        const tenantId = registeredTenantOf(enterprise);
        const { groups, more } = await requireMicrosoft(services.microsoft).searchGroups(tenantId, {
          ...(query.q ? { prefix: query.q } : {}),
          limit: groupSearchLimit,
        });
        return { items: groups, more };
      },
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/activity", {
      summary: "The enterprise's activity feed (its audit entries), newest first",
      may: "audit.read",
      querystring: PageQuery,
      handler: ({ actor, enterprise, query }) =>
        listAuditEntries(db, actor, { ...query, enterpriseId: enterprise.id }),
    });
  };
}
