import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { DirectRoutingView } from "../../../shared/contracts/direct-routing.ts";
import { enterpriseRoute } from "../../http/enterprise-route.ts";
import type { Services } from "../../services.ts";
import { removeDirectRouting } from "./commands/remove-direct-routing.ts";
import { checkDirectRouting, repairDirectRouting } from "./commands/repair-direct-routing.ts";
import { setUpDirectRouting } from "./commands/set-up-direct-routing.ts";
import { directRoutingViewOf } from "./direct-routing.presenter.ts";

/** Direct Routing of one enterprise (SPEC §3.5): its trunks and workflow, and the button. */
export function directRoutingRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  return async (app) => {
    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/direct-routing", {
      summary: "The derived trunks per SBC region and the set-up, step by step",
      tags: ["direct routing"],
      may: "enterprise.overview",
      handler: ({ actor, enterprise }): Promise<DirectRoutingView> =>
        directRoutingViewOf(db, actor, enterprise),
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/direct-routing", {
      summary: "Set up Direct Routing (or continue a failed set-up from its failed step)",
      tags: ["direct routing"],
      may: "direct_routing.manage",
      status: 202,
      handler: async ({ actor, enterprise, transact }): Promise<DirectRoutingView> => {
        await transact((ctx) => setUpDirectRouting(ctx, enterprise));
        return directRoutingViewOf(db, actor, enterprise);
      },
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/direct-routing/check", {
      summary: "Check now: read the tenant back against the finished set-up (drift)",
      tags: ["direct routing"],
      may: "direct_routing.manage",
      status: 202,
      handler: async ({ actor, enterprise, transact }): Promise<DirectRoutingView> => {
        await transact((ctx) => checkDirectRouting(ctx, enterprise));
        return directRoutingViewOf(db, actor, enterprise);
      },
    });

    enterpriseRoute(app, services, "POST", "/enterprises/:enterpriseId/direct-routing/repair", {
      summary: "Repair: run again the steps whose last check found the tenant changed",
      tags: ["direct routing"],
      may: "direct_routing.manage",
      status: 202,
      handler: async ({ actor, enterprise, transact }): Promise<DirectRoutingView> => {
        await transact((ctx) => repairDirectRouting(ctx, enterprise));
        return directRoutingViewOf(db, actor, enterprise);
      },
    });

    enterpriseRoute(app, services, "DELETE", "/enterprises/:enterpriseId/direct-routing", {
      summary: "Remove Direct Routing: undo the set-up, last step first (Teams calls stop)",
      tags: ["direct routing"],
      may: "direct_routing.manage",
      status: 202,
      handler: async ({ actor, enterprise, transact }): Promise<DirectRoutingView> => {
        await transact((ctx) => removeDirectRouting(ctx, enterprise));
        return directRoutingViewOf(db, actor, enterprise);
      },
    });
  };
}
