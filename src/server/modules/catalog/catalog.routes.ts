import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  CreatePbxTypeBody,
  CreateRegionBody,
  UpdatePbxTypeBody,
  UpdateRegionBody,
} from "../../../shared/contracts/catalog.ts";
import { IdParam } from "../../../shared/contracts/common.ts";
import { whoOf } from "../../authz/actor.ts";
import { authorize } from "../../authz/policy.ts";
import { inTransaction } from "../../context.ts";
import { created, requireActor } from "../../http/context.ts";
import type { Services } from "../../services.ts";
import { presentPbxType, presentRegion } from "./catalog.presenter.ts";
import { listPbxTypesVisibleTo, listRegionsVisibleTo } from "./catalog.queries.ts";
import { createPbxType, updatePbxType } from "./commands/save-pbx-type.ts";
import { createRegion, updateRegion } from "./commands/save-region.ts";

/** The operator catalogue: SBC regions and PBX types (SPEC §2.3). Not tenant-scoped: wrong role is 403. */
export function catalogRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  return async (app) => {
    app.get(
      "/regions",
      {
        schema: { tags: ["catalog"], summary: "SBC regions you may offer (all for the operator)" },
      },
      async (request) => {
        const actor = requireActor(request);
        return { items: (await listRegionsVisibleTo(db, actor)).map(presentRegion) };
      },
    );
    app.post(
      "/regions",
      { schema: { body: CreateRegionBody, tags: ["catalog"], summary: "Add an SBC region" } },
      async (request, reply) => {
        const actor = requireActor(request);
        authorize(actor, "region.manage");
        return created(
          reply,
          presentRegion(
            await inTransaction(services, whoOf(actor), (ctx) => createRegion(ctx, request.body)),
          ),
        );
      },
    );
    app.patch(
      "/regions/:id",
      {
        schema: {
          params: IdParam,
          body: UpdateRegionBody,
          tags: ["catalog"],
          summary: "Edit an SBC region",
        },
      },
      async (request) => {
        const actor = requireActor(request);
        authorize(actor, "region.manage");
        return presentRegion(
          await inTransaction(services, whoOf(actor), (ctx) =>
            updateRegion(ctx, request.params.id, request.body),
          ),
        );
      },
    );

    app.get(
      "/pbx-types",
      { schema: { tags: ["catalog"], summary: "PBX types you may offer (all for the operator)" } },
      async (request) => {
        const actor = requireActor(request);
        return { items: (await listPbxTypesVisibleTo(db, actor)).map(presentPbxType) };
      },
    );
    app.post(
      "/pbx-types",
      { schema: { body: CreatePbxTypeBody, tags: ["catalog"], summary: "Add a PBX type" } },
      async (request, reply) => {
        const actor = requireActor(request);
        authorize(actor, "pbx_type.manage");
        return created(
          reply,
          presentPbxType(
            await inTransaction(services, whoOf(actor), (ctx) => createPbxType(ctx, request.body)),
          ),
        );
      },
    );
    app.patch(
      "/pbx-types/:id",
      {
        schema: {
          params: IdParam,
          body: UpdatePbxTypeBody,
          tags: ["catalog"],
          summary: "Edit a PBX type",
        },
      },
      async (request) => {
        const actor = requireActor(request);
        authorize(actor, "pbx_type.manage");
        return presentPbxType(
          await inTransaction(services, whoOf(actor), (ctx) =>
            updatePbxType(ctx, request.params.id, request.body),
          ),
        );
      },
    );
  };
}
