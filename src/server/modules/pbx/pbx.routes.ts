import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  CreatePbxBody,
  PbxIdParam,
  PbxListQuery,
  type PbxListResponse,
  type PbxView,
  UpdatePbxBody,
} from "../../../shared/contracts/pbx.ts";
import { enterpriseRoute } from "../../http/enterprise-route.ts";
import type { Services } from "../../services.ts";
import { createPbx } from "./commands/create-pbx.ts";
import { deletePbx } from "./commands/delete-pbx.ts";
import { updatePbx } from "./commands/update-pbx.ts";
import { mayManagePbxes, pbxAbilities } from "./pbx.policy.ts";
import { presentPbx, presentPbxTypeChoice } from "./pbx.presenter.ts";
import { getPbx, listAssignablePbxTypes, listPbxes } from "./pbx.queries.ts";

/** An enterprise's PBX locations (SPEC §2.5): list, read, add, edit, delete. */
export function pbxRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  const tags = ["pbx locations"];
  return async (app) => {
    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/pbxes", {
      summary: "The enterprise's PBX locations, by name, and the types a new one may have",
      tags,
      may: "pbx.read",
      querystring: PbxListQuery,
      handler: async ({ actor, enterprise, query }): Promise<PbxListResponse> => {
        const [{ rows, total }, types] = await Promise.all([
          listPbxes(db, enterprise, query),
          listAssignablePbxTypes(db, enterprise),
        ]);
        const abilities = pbxAbilities(actor, enterprise);
        return {
          items: rows.map((r) => presentPbx(r.pbx, r.type, abilities)),
          total,
          page: query.page,
          pageSize: query.pageSize,
          canCreate: mayManagePbxes(actor, enterprise),
          pbxTypes: types.map(presentPbxTypeChoice),
        };
      },
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/pbxes/:pbxId", {
      summary: "One PBX location (the API client secret only as hasApiClientSecret)",
      tags,
      may: "pbx.read",
      params: PbxIdParam,
      handler: async ({ actor, enterprise, params }): Promise<PbxView> => {
        const { pbx, type } = await getPbx(db, enterprise, params.pbxId);
        return presentPbx(pbx, type, pbxAbilities(actor, enterprise));
      },
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/pbxes", {
      summary: "Add a PBX location (the type's defaults fill what the body leaves out)",
      tags,
      may: "pbx.manage",
      body: CreatePbxBody,
      status: 201,
      handler: async ({ actor, enterprise, body, transact }): Promise<PbxView> => {
        const { pbx, type } = await transact((ctx) => createPbx(ctx, enterprise, body));
        return presentPbx(pbx, type, pbxAbilities(actor, enterprise));
      },
    });

    enterpriseRoute(app, services, "PATCH", "/enterprises/:enterpriseId/pbxes/:pbxId", {
      summary: "Edit a PBX location (apiClientSecret: absent keeps it, null clears it)",
      tags,
      may: "pbx.manage",
      params: PbxIdParam,
      body: UpdatePbxBody,
      handler: async ({ actor, enterprise, params, body, transact }): Promise<PbxView> => {
        const { pbx, type } = await transact((ctx) =>
          updatePbx(ctx, enterprise, params.pbxId, body),
        );
        return presentPbx(pbx, type, pbxAbilities(actor, enterprise));
      },
    });

    enterpriseRoute(app, services, "DELETE", "/enterprises/:enterpriseId/pbxes/:pbxId", {
      summary: "Delete a PBX location (refused while users are configured with it)",
      tags,
      may: "pbx.manage",
      params: PbxIdParam,
      handler: async ({ enterprise, params, transact }) => {
        await transact((ctx) => deletePbx(ctx, enterprise, params.pbxId));
        return { id: params.pbxId, deleted: true };
      },
    });
  };
}
