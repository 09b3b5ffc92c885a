import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { accountsRoutes } from "../modules/accounts/index.ts";
import { auditRoutes } from "../modules/audit/index.ts";
import { callingRoutes } from "../modules/calling/index.ts";
import { callsRoutes } from "../modules/calls/index.ts";
import { catalogRoutes } from "../modules/catalog/index.ts";
import { directRoutingRoutes } from "../modules/direct-routing/index.ts";
import {
  enterprisePortalRoutes,
  enterpriseSignInRedirect,
  permissionsConsentRedirect,
} from "../modules/enterprise-portal/index.ts";
import { enterprisesRoutes } from "../modules/enterprises/index.ts";
import { gatewayFeedRoutes, gatewayNodeRoutes } from "../modules/gateway-feed/index.ts";
import {
  adminConsentRedirectRoutes,
  signInRedirectRoutes,
} from "../modules/microsoft-flows/index.ts";
import { numbersRoutes } from "../modules/numbers/index.ts";
import { organizationsRoutes } from "../modules/organizations/index.ts";
import { pbxRoutes } from "../modules/pbx/index.ts";
import {
  registrationAdminConsentRedirect,
  registrationRoutes,
  registrationSignInRedirect,
} from "../modules/registration/index.ts";
import { usersRoutes } from "../modules/users/index.ts";
import type { Services } from "../services.ts";

/** Every API route plugin, mounted under `/api/v1`. The isolation test walks this list's routes. */
export function apiRoutes(services: Services): FastifyPluginAsyncZod[] {
  return [
    accountsRoutes(services),
    catalogRoutes(services),
    auditRoutes(services),
    enterprisesRoutes(services),
    enterprisePortalRoutes(services),
    directRoutingRoutes(services),
    organizationsRoutes(services),
    numbersRoutes(services),
    pbxRoutes(services),
    registrationRoutes(services),
    usersRoutes(services),
    callingRoutes(services),
    callsRoutes(services),
    gatewayNodeRoutes(services),
    // Authenticated by gateway node tokens, never by sessions (ADR 0019).
    gatewayFeedRoutes(services),
  ];
}

/**
 * Route plugins mounted at the root: their paths are configuration (Microsoft's redirect URIs).
 * One sign-in and one admin consent redirect URI serve every Microsoft flow; each flow's purpose
 * names the module that completes it, wired here so that microsoft-flows depends on none of them.
 */
export function rootRoutes(services: Services): FastifyPluginAsyncZod[] {
  return [
    signInRedirectRoutes(services, {
      byPurpose: {
        enterprise_registration: registrationSignInRedirect,
        enterprise_sign_in: enterpriseSignInRedirect,
      },
      // An unknown state ends on registration's failure page (state_invalid), as it always did.
      unknownState: registrationSignInRedirect,
    }),
    adminConsentRedirectRoutes(services, {
      byPurpose: {
        enterprise_registration: registrationAdminConsentRedirect,
        enterprise_permissions: permissionsConsentRedirect,
      },
      unknownState: registrationAdminConsentRedirect,
    }),
  ];
}
