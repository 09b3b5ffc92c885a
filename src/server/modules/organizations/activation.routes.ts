import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  ActivateBody,
  type ActivationInfo,
  ActivationQuery,
} from "../../../shared/contracts/organizations.ts";
import { inTransaction } from "../../context.ts";
import type { Services } from "../../services.ts";
import { activateOrganization, checkActivation } from "./commands/activate-organization.ts";
import { getActivationInfo } from "./organizations.queries.ts";

/** Strict per-address limit: these public routes take a secret (link token and code). */
const credentialLimit = { rateLimit: { max: 20, timeWindow: "1 minute" } };

/** The public activation page of a master reseller or reseller (seed 2): no session needed. */
export function activationRoutes(services: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/activation",
      {
        schema: {
          querystring: ActivationQuery,
          tags: ["activation"],
          summary: "What an activation link is for (410 when unknown, used, replaced or expired)",
        },
        config: { ...credentialLimit, public: true },
      },
      async (request): Promise<ActivationInfo> => getActivationInfo(services, request.query.token),
    );
    app.post(
      "/activation",
      {
        schema: {
          body: ActivateBody,
          tags: ["activation"],
          summary: "Complete an activation: code, invited e-mail, username and password",
        },
        config: { ...credentialLimit, public: true },
      },
      async (request, reply) => {
        const activation = await checkActivation(services, request.body);
        const who = { actor: null, label: activation.invitation.email, clientAddress: request.ip };
        await inTransaction(services, who, (ctx) =>
          activateOrganization(ctx, activation, request.body),
        );
        return reply.code(204).send();
      },
    );
  };
}
