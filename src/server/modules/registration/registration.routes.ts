import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { VerifyEnterpriseInvitationBody } from "../../../shared/contracts/enterprises.ts";
import type { RegistrationFinishState } from "../../../shared/contracts/registration.ts";
import { bindFlowToBrowser, flowBindingOf, setSessionCookie } from "../../http/session.ts";
import type { Services } from "../../services.ts";
import {
  type AdminConsentRedirectHandler,
  findFinishingFlow,
  publicMicrosoftStep,
  type SignInRedirectHandler,
} from "../microsoft-flows/index.ts";
import {
  completeRegistrationConsent,
  finishRegistration,
} from "./commands/complete-registration-consent.ts";
import { completeRegistrationSignIn } from "./commands/complete-registration-sign-in.ts";
import { failurePage } from "./commands/registration-outcome.ts";
import { startRegistrationSignIn } from "./commands/start-registration-sign-in.ts";

/**
 * Registration of an enterprise through Microsoft (seed 3), the API part mounted under `/api/v1`:
 * "Sign in with Microsoft" on the Complete page.
 */
export function registrationRoutes(services: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/enterprise-invitations/sign-in",
      {
        schema: {
          body: VerifyEnterpriseInvitationBody,
          tags: ["enterprises"],
          summary:
            "Complete page: check the code again and start the Microsoft sign-in (returns the URL to open)",
        },
        config: publicMicrosoftStep,
      },
      async (request, reply) =>
        startRegistrationSignIn(services, request.body, {
          clientAddress: request.ip,
          browserBindingHash: bindFlowToBrowser(request, reply, services),
        }),
    );
    app.post(
      "/enterprise-invitations/finish",
      {
        schema: {
          tags: ["enterprises"],
          summary:
            "Finishing page: has Microsoft applied the admin consent yet? (polled by the browser that registers)",
        },
        // Polled every few seconds for up to five minutes by one browser.
        config: { public: true, rateLimit: { max: 60, timeWindow: "1 minute" } },
      },
      async (request, reply): Promise<RegistrationFinishState> => {
        const binding = flowBindingOf(request);
        const flow = binding
          ? await findFinishingFlow(services.db, "enterprise_registration", {
              browserBindingHash: binding,
            })
          : null;
        const outcome = await finishRegistration(
          services,
          flow,
          { actor: null, label: "Microsoft Global Administrator", clientAddress: request.ip },
          request.headers["user-agent"] ?? null,
        );
        reply.header("cache-control", "no-store");
        if ("pending" in outcome) return { status: "pending" };
        if (outcome.session) setSessionCookie(reply, services, outcome.session);
        return { status: "done", location: outcome.location };
      },
    );
  };
}

/** Who acts during Microsoft's rounds, before registration knows the person. */
const globalAdministrator = (clientAddress: string) => ({
  actor: null,
  label: "Microsoft Global Administrator",
  clientAddress,
});

/**
 * Registration's part of Microsoft's sign-in redirect (round 1; the route is microsoft-flows'):
 * its flows, and any state that finds no flow, end here.
 */
export const registrationSignInRedirect: SignInRedirectHandler = {
  foreignBrowserPage: (services) => failurePage(services, "state_invalid"),
  complete: async (services, flow, query, client) => ({
    location: await completeRegistrationSignIn(
      services,
      flow,
      query,
      globalAdministrator(client.clientAddress),
    ),
  }),
};

/**
 * Registration's part of Microsoft's admin consent redirect (round 2; the route is
 * microsoft-flows'): its flows, and any state that finds no flow, end here. A completed
 * registration also sets the enterprise admin's session cookie.
 */
export const registrationAdminConsentRedirect: AdminConsentRedirectHandler = {
  foreignBrowserPage: (services) => failurePage(services, "state_invalid"),
  complete: (services, flow, query, client) =>
    completeRegistrationConsent(
      services,
      flow,
      query,
      globalAdministrator(client.clientAddress),
      client.userAgent,
    ),
};
