import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { PageQuery, text } from "../../../shared/contracts/common.ts";
import { authorize } from "../../authz/policy.ts";
import { requireActor } from "../../http/context.ts";
import type { Services } from "../../services.ts";
import { listAuditEntries } from "./audit.queries.ts";

const AuditQuery = PageQuery.extend({
  targetId: text().max(64, "Must be at most 64 characters").optional(),
});

export function auditRoutes(services: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/audit",
      {
        schema: {
          querystring: AuditQuery,
          tags: ["audit"],
          summary: "The audit log of your subtree, newest first",
        },
      },
      async (request) => {
        const actor = requireActor(request);
        authorize(actor, "audit.read");
        return listAuditEntries(services.db, actor, request.query);
      },
    );
  };
}
