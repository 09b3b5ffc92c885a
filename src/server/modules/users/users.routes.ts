import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { UserListQuery } from "../../../shared/contracts/users.ts";
import { enterpriseRoute } from "../../http/enterprise-route.ts";
import type { Services } from "../../services.ts";
import { requestUserSyncNow } from "./commands/request-user-sync-now.ts";
import { listUsers, userSyncStatusOf } from "./users.queries.ts";

/** An enterprise's synced Microsoft 365 users and their sync (SPEC §2.6, §3.3). */
export function usersRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  return async (app) => {
    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/users", {
      summary: "Synced Microsoft 365 users (search: name, sign-in name, e-mail)",
      tags: ["users"],
      may: "users.read",
      querystring: UserListQuery,
      handler: ({ enterprise, query: { q, ...rest } }) =>
        listUsers(db, enterprise, { ...rest, search: q }),
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/user-sync", {
      summary: "Where the user sync stands: status, progress of a running sync, last run",
      tags: ["users"],
      may: "users.read",
      handler: ({ enterprise }) => userSyncStatusOf(db, enterprise),
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/user-sync", {
      summary: "Sync users now (a sync already queued or running absorbs this one)",
      tags: ["users"],
      may: "users.sync",
      status: 202,
      handler: async ({ enterprise, transact }) => {
        await transact((ctx) => requestUserSyncNow(ctx, enterprise));
        return userSyncStatusOf(db, enterprise);
      },
    });
  };
}
