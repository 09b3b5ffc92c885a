import type { FastifyReply } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { type Action, needsManagementConsent } from "../../shared/permissions.ts";
import { type Actor, whoOf } from "../authz/actor.ts";
import { authorizeFor, authorizeSipData, type Scoped } from "../authz/policy.ts";
import { type Ctx, inTransaction } from "../context.ts";
import type { EnterpriseRow } from "../modules/enterprises/index.ts";
import { getEnterprise } from "../modules/enterprises/index.ts";
import type { Services } from "../services.ts";
import { requireAnyActor } from "./context.ts";

type App = Parameters<FastifyPluginAsyncZod>[0];
type Shape = z.ZodRawShape;
type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a route under `/enterprises/:enterpriseId` declares; the isolation test reads it back. */
export interface EnterpriseRouteDeclaration {
  /** The role permission the route needs (403 `forbidden` otherwise). */
  may: Action;
  /**
   * Whether a service provider needs the enterprise's management consent (403
   * `management_consent_required` otherwise); the permission decides (`needsManagementConsent`).
   */
  onBehalf: boolean;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** Set by `enterpriseRoute` on every route under `/enterprises/:enterpriseId`. */
    enterpriseRoute?: EnterpriseRouteDeclaration;
  }
}

/** What a handler receives: the enterprise is already scoped to the actor and authorized. */
export interface EnterpriseRequest<P extends Shape, B extends z.ZodType, Q extends z.ZodType> {
  actor: Actor;
  enterprise: Scoped<EnterpriseRow>;
  /** Path parameters beside `enterpriseId`. */
  params: z.output<z.ZodObject<P>>;
  body: z.output<B>;
  query: z.output<Q>;
  /** Runs `work` in one transaction whose events and jobs carry this actor. */
  transact<T>(work: (ctx: Ctx) => Promise<T>): Promise<T>;
  reply: FastifyReply;
}

export interface EnterpriseRouteOptions<
  P extends Shape,
  B extends z.ZodType,
  Q extends z.ZodType,
  R,
> {
  summary: string;
  tags?: string[];
  may: Action;
  params?: P;
  body?: B;
  querystring?: Q;
  /** The success status (200 unless said). */
  status?: 200 | 201 | 202;
  handler(request: EnterpriseRequest<P, B, Q>): Promise<R>;
}

/**
 * Declares a route on one enterprise, `/enterprises/:enterpriseId/…`, which serves both the
 * enterprise's admins and its service provider. Before the handler runs: signed in (401), the
 * enterprise visible to the actor (404, like an absent one), the role allows `may` (403), for
 * an action taken on the enterprise's behalf the provider holds management consent (403), and
 * for SIP data an enterprise admin's enterprise has Access SIP Data on (403).
 */
export function enterpriseRoute<
  P extends Shape = Record<never, never>,
  B extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  R = unknown,
>(
  app: App,
  services: Services,
  method: Method,
  url: `/enterprises/:enterpriseId${string}`,
  options: EnterpriseRouteOptions<P, B, Q, R>,
): void {
  const declaration = { may: options.may, onBehalf: needsManagementConsent(options.may) };
  const params = z.strictObject({ enterpriseId: Id, ...options.params });
  app.route({
    method,
    url,
    schema: {
      params,
      ...(options.body ? { body: options.body } : {}),
      ...(options.querystring ? { querystring: options.querystring } : {}),
      tags: options.tags ?? ["enterprise portal"],
      summary: options.summary,
    },
    config: { enterpriseRoute: declaration },
    handler: async (request, reply) => {
      const actor = requireAnyActor(request);
      const { enterpriseId, ...rest } = request.params as { enterpriseId: string };
      const enterprise = await getEnterprise(services.db, actor, enterpriseId);
      authorizeFor(actor, enterprise, options.may);
      authorizeSipData(actor, enterprise, options.may);
      const result = await options.handler({
        actor,
        enterprise,
        params: rest as z.output<z.ZodObject<P>>,
        body: request.body as z.output<B>,
        query: request.query as z.output<Q>,
        transact: (work) => inTransaction(services, whoOf(actor), work),
        reply,
      });
      if (options.status && !reply.sent) reply.code(options.status);
      return result;
    },
  });
}
