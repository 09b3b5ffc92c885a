import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { accountsRoutes } from "../modules/accounts/index.ts";
import { auditRoutes } from "../modules/audit/index.ts";
import { catalogRoutes } from "../modules/catalog/index.ts";
import { enterprisePortalRoutes } from "../modules/enterprise-portal/index.ts";
import { enterprisesRoutes } from "../modules/enterprises/index.ts";
import { organizationsRoutes } from "../modules/organizations/index.ts";
import { microsoftCallbackRoutes, registrationRoutes } from "../modules/registration/index.ts";
import type { Services } from "../services.ts";

/** Every API route plugin, mounted under `/api/v1`. The isolation test walks this list's routes. */
export function apiRoutes(services: Services): FastifyPluginAsyncZod[] {
  return [
    accountsRoutes(services),
    catalogRoutes(services),
    auditRoutes(services),
    enterprisesRoutes(services),
    enterprisePortalRoutes(services),
    organizationsRoutes(services),
    registrationRoutes(services),
  ];
}

/** Route plugins mounted at the root: their paths are configuration (Microsoft's redirect URIs). */
export function rootRoutes(services: Services): FastifyPluginAsyncZod[] {
  return [microsoftCallbackRoutes(services)];
}
