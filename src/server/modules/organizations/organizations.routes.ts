import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id, IdParam, type Page } from "../../../shared/contracts/common.ts";
import {
  CreateMasterResellerBody,
  CreateResellerBody,
  OrganizationListQuery,
  type OrganizationView,
  UpdateMasterResellerBody,
  UpdateResellerBody,
} from "../../../shared/contracts/organizations.ts";
import { type PortalActor, whoOf } from "../../authz/actor.ts";
import { authorize, type Scoped, scopeTo } from "../../authz/policy.ts";
import { inTransaction } from "../../context.ts";
import { created, requireActor } from "../../http/context.ts";
import type { Services } from "../../services.ts";
import { activationRoutes } from "./activation.routes.ts";
import { adminsRoutes } from "./admins.routes.ts";
import { createMasterReseller } from "./commands/create-master-reseller.ts";
import { createReseller } from "./commands/create-reseller.ts";
import { resendActivation } from "./commands/resend-activation.ts";
import { setOrganizationStatus } from "./commands/set-organization-status.ts";
import { updateMasterReseller, updateReseller } from "./commands/update-organization.ts";
import {
  type ManagedKind,
  manageActionOf,
  type Organization,
  organizationPosition,
} from "./organizations.policy.ts";
import { presentOrganization } from "./organizations.presenter.ts";
import {
  describeOrganization,
  findOrganization,
  listOrganizations,
} from "./organizations.queries.ts";

const MasterParam = z.strictObject({ masterId: Id });

const tiers = {
  master_reseller: { path: "/master-resellers", what: "Master reseller", tag: "master resellers" },
  reseller: { path: "/resellers", what: "Reseller", tag: "resellers" },
} as const;

/**
 * Master resellers (operator only) and resellers ("Add Reseller", seed 2): list, create, view,
 * edit, disable/enable, resend the activation; plus the public activation routes and the Admins
 * pages. A foreign organization is 404, a wrong role 403 (SPEC §1).
 */
export function organizationsRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;

  /** The organization of this kind if the actor can see it, else 404. */
  const scoped = async (
    actor: PortalActor,
    kind: ManagedKind,
    id: string,
  ): Promise<Scoped<Organization>> =>
    scopeTo(
      actor,
      await findOrganization(db, actor, id, kind),
      organizationPosition,
      tiers[kind].what,
    );
  const view = async (actor: PortalActor, row: Organization): Promise<OrganizationView> =>
    presentOrganization(actor, await describeOrganization(db, row));

  return async (app) => {
    await app.register(activationRoutes(services));
    await app.register(adminsRoutes(services));

    app.get(
      "/master-resellers",
      {
        schema: {
          querystring: OrganizationListQuery,
          tags: ["master resellers"],
          summary: "Master resellers, newest first (operator)",
        },
      },
      async (request): Promise<Page<OrganizationView>> => {
        const actor = requireActor(request);
        authorize(actor, "master_reseller.manage");
        const page = await listOrganizations(db, actor, "master_reseller", request.query);
        return { ...page, items: page.items.map((o) => presentOrganization(actor, o)) };
      },
    );
    app.post(
      "/master-resellers",
      {
        schema: {
          body: CreateMasterResellerBody,
          tags: ["master resellers"],
          summary: "Add a master reseller and e-mail its activation invitation",
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        authorize(actor, "master_reseller.manage");
        return created(
          reply,
          await view(
            actor,
            await inTransaction(services, whoOf(actor), (ctx) =>
              createMasterReseller(ctx, actor, request.body),
            ),
          ),
        );
      },
    );

    app.get(
      "/resellers",
      {
        schema: {
          querystring: OrganizationListQuery,
          tags: ["resellers"],
          summary: "Resellers of your subtree with their enterprise counts, newest first",
        },
      },
      async (request): Promise<Page<OrganizationView>> => {
        const actor = requireActor(request);
        authorize(actor, "reseller.read");
        const page = await listOrganizations(db, actor, "reseller", request.query);
        return { ...page, items: page.items.map((o) => presentOrganization(actor, o)) };
      },
    );
    app.post(
      "/master-resellers/:masterId/resellers",
      {
        schema: {
          params: MasterParam,
          body: CreateResellerBody,
          tags: ["resellers"],
          summary: "Add Reseller: create a reseller and e-mail its activation invitation",
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const master = await scoped(actor, "master_reseller", request.params.masterId);
        authorize(actor, "reseller.manage");
        return created(
          reply,
          await view(
            actor,
            await inTransaction(services, whoOf(actor), (ctx) =>
              createReseller(ctx, actor, master, request.body),
            ),
          ),
        );
      },
    );

    for (const kind of ["master_reseller", "reseller"] as const) {
      const { path, tag, what } = tiers[kind];
      const readAction = kind === "master_reseller" ? "master_reseller.manage" : "reseller.read";
      const manageAction = manageActionOf(kind);

      app.get(
        `${path}/:id`,
        { schema: { params: IdParam, tags: [tag], summary: `One ${what.toLowerCase()}` } },
        async (request) => {
          const actor = requireActor(request);
          const org = await scoped(actor, kind, request.params.id);
          authorize(actor, readAction);
          return view(actor, org);
        },
      );

      app.post(
        `${path}/:id/disable`,
        {
          schema: {
            params: IdParam,
            tags: [tag],
            summary: `Disable a ${what.toLowerCase()}: its logins stop, its data is kept`,
          },
        },
        async (request) => {
          const actor = requireActor(request);
          const org = await scoped(actor, kind, request.params.id);
          authorize(actor, manageAction);
          return view(
            actor,
            await inTransaction(services, whoOf(actor), (ctx) =>
              setOrganizationStatus(ctx, org, "disable"),
            ),
          );
        },
      );
      app.post(
        `${path}/:id/enable`,
        {
          schema: {
            params: IdParam,
            tags: [tag],
            summary: `Enable a disabled ${what.toLowerCase()} again`,
          },
        },
        async (request) => {
          const actor = requireActor(request);
          const org = await scoped(actor, kind, request.params.id);
          authorize(actor, manageAction);
          return view(
            actor,
            await inTransaction(services, whoOf(actor), (ctx) =>
              setOrganizationStatus(ctx, org, "enable"),
            ),
          );
        },
      );
      app.post(
        `${path}/:id/resend-invitation`,
        {
          schema: {
            params: IdParam,
            tags: [tag],
            summary: "Send a new activation e-mail; the previous code stops working",
          },
        },
        async (request) => {
          const actor = requireActor(request);
          const org = await scoped(actor, kind, request.params.id);
          authorize(actor, manageAction);
          return view(
            actor,
            await inTransaction(services, whoOf(actor), (ctx) => resendActivation(ctx, actor, org)),
          );
        },
      );
    }

    app.patch(
      "/master-resellers/:id",
      {
        schema: {
          params: IdParam,
          body: UpdateMasterResellerBody,
          tags: ["master resellers"],
          summary: "Edit a master reseller",
        },
      },
      async (request) => {
        const actor = requireActor(request);
        const org = await scoped(actor, "master_reseller", request.params.id);
        authorize(actor, "master_reseller.manage");
        return view(
          actor,
          await inTransaction(services, whoOf(actor), (ctx) =>
            updateMasterReseller(ctx, org, request.body),
          ),
        );
      },
    );
    app.patch(
      "/resellers/:id",
      {
        schema: {
          params: IdParam,
          body: UpdateResellerBody,
          tags: ["resellers"],
          summary: "Edit a reseller",
        },
      },
      async (request) => {
        const actor = requireActor(request);
        const org = await scoped(actor, "reseller", request.params.id);
        authorize(actor, "reseller.manage");
        return view(
          actor,
          await inTransaction(services, whoOf(actor), (ctx) =>
            updateReseller(ctx, org, request.body),
          ),
        );
      },
    );
  };
}
