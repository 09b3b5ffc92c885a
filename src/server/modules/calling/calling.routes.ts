import { and, eq } from "drizzle-orm";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  type CallingAbility,
  type CallingView,
  ChangeSipPasswordBody,
  ConfigureUserBody,
  type EnterpriseRegionChoice,
  type RegistrationHistory,
  RegistrationHistoryQuery,
} from "../../../shared/contracts/calling.ts";
import { Id } from "../../../shared/contracts/common.ts";
import type { UserSummary } from "../../../shared/contracts/users.ts";
import {
  maxUsersCsvBytes,
  UsersExportQuery,
  UsersImportQuery,
  type UsersImportView,
} from "../../../shared/contracts/users-csv.ts";
import type { Actor } from "../../authz/actor.ts";
import type { Scoped } from "../../authz/policy.ts";
import { userImports } from "../../db/schema/index.ts";
import { acceptCsvBodies, CsvBody } from "../../http/csv-body.ts";
import { enterpriseRoute } from "../../http/enterprise-route.ts";
import { notFound } from "../../lib/errors.ts";
import type { Services } from "../../services.ts";
import type { EnterpriseRow } from "../enterprises/index.ts";
import { presentUser } from "../users/index.ts";
import { callingAbilities, mayPushToTeams } from "./calling.policy.ts";
import { presentCalling, presentRegistrationEvent } from "./calling.presenter.ts";
import {
  enterpriseRegionsOf,
  findCalling,
  getUser,
  listRegistrationHistory,
} from "./calling.queries.ts";
import { configureUser } from "./commands/configure-user.ts";
import {
  changeSipPassword,
  deleteCalling,
  pushToTeams,
  restoreCalling,
  setCallingSwitch,
} from "./commands/manage-calling.ts";
import { exportUsersCsv } from "./import/export-users-csv.ts";
import { presentImport, startUsersImport } from "./import/users-import.ts";

/** One user with its calling configuration and what the actor may do with it. */
export interface UserDetail {
  user: UserSummary;
  calling: CallingView | null;
  abilities: CallingAbility[];
}

const UserIdParam = { userId: Id };

/** A user's calling configuration and its actions (SPEC §2.6). */
export function callingRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  const tags = ["calling"];

  async function detailOf(
    actor: Actor,
    enterprise: Scoped<EnterpriseRow>,
    userId: string,
  ): Promise<UserDetail> {
    const [user, calling] = await Promise.all([
      getUser(db, enterprise, userId),
      findCalling(db, enterprise, userId),
    ]);
    return {
      user: presentUser(user),
      calling: calling ? presentCalling(calling) : null,
      abilities: callingAbilities(actor, enterprise, calling?.calling ?? null, user),
    };
  }

  return async (app) => {
    acceptCsvBodies(app, maxUsersCsvBytes);

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/user-imports", {
      summary:
        "Upload users as text/csv (validated whole first: 400 with a per-row report and nothing applied; else applied by a job)",
      tags,
      may: "users.configure",
      querystring: UsersImportQuery,
      body: CsvBody,
      status: 202,
      handler: async ({ actor, enterprise, query, body, transact }): Promise<UsersImportView> =>
        presentImport(
          await transact((ctx) =>
            startUsersImport(ctx, enterprise, body, query, mayPushToTeams(actor, enterprise)),
          ),
        ),
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/user-imports/:importId", {
      summary: "Where an upload stands: rows applied of the total",
      tags,
      may: "users.read",
      params: { importId: Id },
      handler: async ({ enterprise, params }): Promise<UsersImportView> => {
        const [row] = await db
          .select()
          .from(userImports)
          .where(
            and(eq(userImports.enterpriseId, enterprise.id), eq(userImports.id, params.importId)),
          );
        if (!row) throw notFound("Import");
        return presentImport(row);
      },
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/users-export", {
      summary: "The configured users of a service as text/csv, in the upload's columns",
      tags,
      may: "users.read",
      querystring: UsersExportQuery,
      handler: async ({ enterprise, query, reply }) => {
        const csv = await exportUsersCsv(db, enterprise, query.service);
        reply
          .header("content-type", "text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="${query.service}-users.csv"`);
        return csv;
      },
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/regions", {
      summary:
        "The enterprise's SBC regions, primary first: the voice routes a user can be configured with",
      tags,
      may: "users.read",
      handler: async ({ enterprise }): Promise<{ items: EnterpriseRegionChoice[] }> => ({
        items: await enterpriseRegionsOf(db, enterprise),
      }),
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/users/:userId", {
      summary: "One user: licences, calling configuration, registration and Teams status",
      tags,
      may: "users.read",
      params: UserIdParam,
      handler: ({ actor, enterprise, params }) => detailOf(actor, enterprise, params.userId),
    });

    enterpriseRoute(
      app,
      services,
      "GET",
      "/enterprises/:enterpriseId/users/:userId/registration-history",
      {
        summary:
          "The user's PBX registration history, newest first (empty without a device; at most 50 kept)",
        tags,
        may: "users.read",
        params: UserIdParam,
        querystring: RegistrationHistoryQuery,
        handler: async ({ enterprise, params, query }): Promise<RegistrationHistory> => {
          await getUser(db, enterprise, params.userId);
          const rows = await listRegistrationHistory(db, enterprise, params.userId, query.limit);
          return { items: rows.map(presentRegistrationEvent) };
        },
      },
    );

    enterpriseRoute(app, services, "PUT", "/enterprises/:enterpriseId/users/:userId/calling", {
      summary:
        "Configure the user for calling (creates or replaces; sipPassword absent keeps the stored one)",
      tags,
      may: "users.configure",
      params: UserIdParam,
      body: ConfigureUserBody,
      handler: async ({ actor, enterprise, params, body, transact, reply }) => {
        const { created } = await transact((ctx) =>
          configureUser(ctx, enterprise, params.userId, body, {
            push: mayPushToTeams(actor, enterprise),
          }),
        );
        reply.code(created ? 201 : 200);
        return detailOf(actor, enterprise, params.userId);
      },
    });

    enterpriseRoute(
      app,
      services,
      "POST",
      "/enterprises/:enterpriseId/users/:userId/sip-password",
      {
        summary: "Change the device's SIP password (write-only)",
        tags,
        may: "users.configure",
        params: UserIdParam,
        body: ChangeSipPasswordBody,
        handler: async ({ actor, enterprise, params, body, transact }) => {
          await transact((ctx) => changeSipPassword(ctx, enterprise, params.userId, body));
          return detailOf(actor, enterprise, params.userId);
        },
      },
    );

    for (const [path, change, summary] of [
      ["disable-calling", "disable_calling", "Disable calling (keeps the configuration)"],
      ["enable-calling", "enable_calling", "Enable calling again"],
      ["disable", "disable", "Disable the user (keeps number and extension)"],
      ["enable", "enable", "Enable a disabled user"],
    ] as const) {
      enterpriseRoute(app, services, "POST", `/enterprises/:enterpriseId/users/:userId/${path}`, {
        summary,
        tags,
        may: "users.configure",
        params: UserIdParam,
        handler: async ({ actor, enterprise, params, transact }) => {
          await transact((ctx) =>
            setCallingSwitch(ctx, enterprise, params.userId, change, {
              push: mayPushToTeams(actor, enterprise),
            }),
          );
          return detailOf(actor, enterprise, params.userId);
        },
      });
    }

    enterpriseRoute(app, services, "DELETE", "/enterprises/:enterpriseId/users/:userId/calling", {
      summary:
        "Delete a disabled user's configuration (softly, restorable, for a provider without management consent)",
      tags,
      may: "users.configure",
      params: UserIdParam,
      handler: async ({ actor, enterprise, params, transact }) => {
        const { soft } = await transact((ctx) =>
          deleteCalling(ctx, enterprise, params.userId, {
            push: mayPushToTeams(actor, enterprise),
          }),
        );
        return { ...(await detailOf(actor, enterprise, params.userId)), soft };
      },
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/users/:userId/restore", {
      summary: "Restore a softly deleted user (before an enterprise admin next signs in)",
      tags,
      may: "users.configure",
      params: UserIdParam,
      handler: async ({ actor, enterprise, params, transact }) => {
        await transact((ctx) => restoreCalling(ctx, enterprise, params.userId));
        return detailOf(actor, enterprise, params.userId);
      },
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/users/:userId/teams-push", {
      summary: "Push the user to Teams now (Retry after a failure)",
      tags,
      may: "users.push",
      params: UserIdParam,
      status: 202,
      handler: async ({ actor, enterprise, params, transact }) => {
        await transact((ctx) => pushToTeams(ctx, enterprise, [params.userId]));
        return detailOf(actor, enterprise, params.userId);
      },
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/teams-push", {
      summary: "Push every user waiting for an enterprise admin, or failed, to Teams",
      tags,
      may: "users.push",
      body: z.strictObject({}).optional(),
      status: 202,
      handler: async ({ enterprise, transact }) => ({
        queued: await transact((ctx) => pushToTeams(ctx, enterprise, "waiting_or_failed")),
      }),
    });
  };
}
