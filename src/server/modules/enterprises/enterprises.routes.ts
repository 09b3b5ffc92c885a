import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id, IdParam } from "../../../shared/contracts/common.ts";
import {
  CreateEnterpriseBody,
  EnterpriseInvitationQuery,
  EnterpriseListQuery,
  UpdateEnterpriseBody,
  VerifyEnterpriseInvitationBody,
} from "../../../shared/contracts/enterprises.ts";
import { whoOf } from "../../authz/actor.ts";
import { authorize } from "../../authz/policy.ts";
import { inTransaction } from "../../context.ts";
import { created, requireActor } from "../../http/context.ts";
import type { Services } from "../../services.ts";
import { createEnterprise } from "./commands/create-enterprise.ts";
import { resendEnterpriseInvitation } from "./commands/resend-enterprise-invitation.ts";
import { setEnterpriseStatus } from "./commands/set-enterprise-status.ts";
import { updateEnterprise } from "./commands/update-enterprise.ts";
import {
  getInvitedEnterprise,
  verifyEnterpriseInvitation,
} from "./commands/verify-enterprise-invitation.ts";
import {
  presentEnterprise,
  presentInvitationCheck,
  presentInvitationInfo,
} from "./enterprises.presenter.ts";
import {
  enterpriseRecordOf,
  getEnterprise,
  getEnterpriseRecord,
  getReseller,
  listEnterprises,
} from "./enterprises.queries.ts";

const ResellerIdParam = z.strictObject({ resellerId: Id });

/** The public Complete page takes a secret (the code): strict per-address limits. */
const invitationPage = { public: true, rateLimit: { max: 20, timeWindow: "1 minute" } };

/**
 * Enterprises (SPEC §2.2, seed 3): the subtree list, "Add Enterprise", Edit, Disable/Enable,
 * Resend invitation, and the public Complete page API that checks the invitation code.
 */
export function enterprisesRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  return async (app) => {
    app.get(
      "/enterprises",
      {
        schema: {
          querystring: EnterpriseListQuery,
          tags: ["enterprises"],
          summary: "Enterprises of your subtree, newest first (search: name or admin e-mail)",
        },
      },
      async (request) => {
        const actor = requireActor(request);
        authorize(actor, "enterprise.read");
        const page = await listEnterprises(db, actor, request.query);
        return { ...page, items: page.items.map((r) => presentEnterprise(actor, r)) };
      },
    );

    app.post(
      "/resellers/:resellerId/enterprises",
      {
        schema: {
          params: ResellerIdParam,
          body: CreateEnterpriseBody,
          tags: ["enterprises"],
          summary:
            "Add Enterprise: create it and e-mail the invitation to its Global Administrator",
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const reseller = await getReseller(db, actor, request.params.resellerId);
        authorize(actor, "enterprise.manage");
        const enterprise = await inTransaction(services, whoOf(actor), (ctx) =>
          createEnterprise(ctx, actor, reseller, request.body),
        );
        return created(reply, presentEnterprise(actor, await enterpriseRecordOf(db, enterprise)));
      },
    );

    app.get(
      "/enterprises/:id",
      { schema: { params: IdParam, tags: ["enterprises"], summary: "One enterprise" } },
      async (request) => {
        const actor = requireActor(request);
        const record = await getEnterpriseRecord(db, actor, request.params.id);
        authorize(actor, "enterprise.read");
        return presentEnterprise(actor, record);
      },
    );

    app.patch(
      "/enterprises/:id",
      {
        schema: {
          params: IdParam,
          body: UpdateEnterpriseBody,
          tags: ["enterprises"],
          summary: "Edit an enterprise (the admin e-mail only while invited)",
        },
      },
      async (request) => {
        const actor = requireActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.id);
        authorize(actor, "enterprise.manage");
        await inTransaction(services, whoOf(actor), (ctx) =>
          updateEnterprise(ctx, actor, enterprise, request.body),
        );
        return presentEnterprise(actor, await enterpriseRecordOf(db, enterprise));
      },
    );

    for (const change of ["disable", "enable"] as const) {
      app.post(
        `/enterprises/:id/${change}`,
        {
          schema: {
            params: IdParam,
            tags: ["enterprises"],
            summary:
              change === "disable"
                ? "Disable an enterprise (its calls and registrations stop; data is kept)"
                : "Enable a disabled enterprise (restores its previous status)",
          },
        },
        async (request) => {
          const actor = requireActor(request);
          const enterprise = await getEnterprise(db, actor, request.params.id);
          authorize(actor, "enterprise.manage");
          await inTransaction(services, whoOf(actor), (ctx) =>
            setEnterpriseStatus(ctx, actor, enterprise, change),
          );
          return presentEnterprise(actor, await enterpriseRecordOf(db, enterprise));
        },
      );
    }

    app.post(
      "/enterprises/:id/resend-invitation",
      {
        schema: {
          params: IdParam,
          tags: ["enterprises"],
          summary: "Send a new invitation code (the previous one stops working)",
        },
      },
      async (request) => {
        const actor = requireActor(request);
        const enterprise = await getEnterprise(db, actor, request.params.id);
        authorize(actor, "enterprise.manage");
        await inTransaction(services, whoOf(actor), (ctx) =>
          resendEnterpriseInvitation(ctx, actor, enterprise),
        );
        return presentEnterprise(actor, await enterpriseRecordOf(db, enterprise));
      },
    );

    app.get(
      "/enterprise-invitations",
      {
        schema: {
          querystring: EnterpriseInvitationQuery,
          tags: ["enterprises"],
          summary: "Complete page: the enterprise an invitation link is for",
        },
        config: invitationPage,
      },
      async (request) =>
        presentInvitationInfo(await getInvitedEnterprise(services, request.query.token)),
    );

    app.post(
      "/enterprise-invitations/verify",
      {
        schema: {
          body: VerifyEnterpriseInvitationBody,
          tags: ["enterprises"],
          summary: "Complete page: check the invitation code before the Microsoft sign-in",
        },
        config: invitationPage,
      },
      async (request) =>
        presentInvitationCheck(await verifyEnterpriseInvitation(services, request.body)),
    );
  };
}
