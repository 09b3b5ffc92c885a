import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id } from "../../../shared/contracts/common.ts";
import {
  type AdminList,
  type AdminWithTemporaryPassword,
  CreateAdminBody,
} from "../../../shared/contracts/organizations.ts";
import { type PortalActor, whoOf } from "../../authz/actor.ts";
import { type Scoped, scopeTo } from "../../authz/policy.ts";
import { inTransaction } from "../../context.ts";
import { created, requireActor } from "../../http/context.ts";
import type { Services } from "../../services.ts";
import { createAdmin } from "./commands/create-admin.ts";
import { deleteAdmin } from "./commands/delete-admin.ts";
import { newTemporaryPassword, resetAdminPassword } from "./commands/reset-admin-password.ts";
import {
  authorizeAdminsOf,
  type Organization,
  organizationPosition,
} from "./organizations.policy.ts";
import { presentAdmin } from "./organizations.presenter.ts";
import { findOrganization, getAdmin, listAdmins } from "./organizations.queries.ts";

const OrgParam = z.strictObject({ orgId: Id });
const AdminParam = z.strictObject({
  orgId: Id,
  accountId: Id,
});

/**
 * The Admins page of every portal tier (SPEC §1): an organization's admins manage its admins, the
 * operator those of any organization; a foreign organization is 404, a parent's admins 403.
 */
export function adminsRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;

  const scoped = async (actor: PortalActor, orgId: string): Promise<Scoped<Organization>> =>
    scopeTo(actor, await findOrganization(db, actor, orgId), organizationPosition, "Organization");

  return async (app) => {
    app.get(
      "/organizations/:orgId/admins",
      { schema: { params: OrgParam, tags: ["admins"], summary: "The admins of an organization" } },
      async (request): Promise<AdminList> => {
        const actor = requireActor(request);
        const org = await scoped(actor, request.params.orgId);
        authorizeAdminsOf(actor, org);
        return {
          items: (await listAdmins(db, org.id)).map((a) => presentAdmin(actor, org, a)),
          // Whoever may list an organization's admins manages them, so may add one.
          abilities: ["admin.create"],
        };
      },
    );
    app.post(
      "/organizations/:orgId/admins",
      {
        schema: {
          params: OrgParam,
          body: CreateAdminBody,
          tags: ["admins"],
          summary: "Add an admin; its temporary password is shown once",
        },
      },
      async (request, reply): Promise<AdminWithTemporaryPassword> => {
        const actor = requireActor(request);
        const org = await scoped(actor, request.params.orgId);
        authorizeAdminsOf(actor, org);
        const temporary = await newTemporaryPassword();
        const result = await inTransaction(services, whoOf(actor), (ctx) =>
          createAdmin(ctx, org, request.body, temporary),
        );
        return created(reply, {
          admin: presentAdmin(actor, org, result.account),
          temporaryPassword: result.temporaryPassword,
        });
      },
    );
    app.post(
      "/organizations/:orgId/admins/:accountId/reset-password",
      {
        schema: {
          params: AdminParam,
          tags: ["admins"],
          summary: "Give an admin a new temporary password (shown once) and end its sessions",
        },
      },
      async (request): Promise<AdminWithTemporaryPassword> => {
        const actor = requireActor(request);
        const org = await scoped(actor, request.params.orgId);
        authorizeAdminsOf(actor, org);
        const target = await getAdmin(db, org.id, request.params.accountId);
        const temporary = await newTemporaryPassword();
        const account = await inTransaction(services, whoOf(actor), (ctx) =>
          resetAdminPassword(ctx, actor, org, target, temporary.passwordHash),
        );
        return { admin: presentAdmin(actor, org, account), temporaryPassword: temporary.password };
      },
    );
    app.delete(
      "/organizations/:orgId/admins/:accountId",
      {
        schema: {
          params: AdminParam,
          tags: ["admins"],
          summary: "Delete an admin (not yourself, not the first admin)",
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const org = await scoped(actor, request.params.orgId);
        authorizeAdminsOf(actor, org);
        const target = await getAdmin(db, org.id, request.params.accountId);
        await inTransaction(services, whoOf(actor), (ctx) => deleteAdmin(ctx, actor, org, target));
        return reply.code(204).send();
      },
    );
  };
}
