import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Actor } from "../../authz/actor.ts";
import { isFlowBrowser, setSessionCookie } from "../../http/session.ts";
import type { Services } from "../../services.ts";
import { findFlowByState, type MicrosoftFlowRow } from "./microsoft-flows.queries.ts";

/** Public, and each call reaches Microsoft: strict per-address limits. */
export const publicMicrosoftStep = { public: true, rateLimit: { max: 20, timeWindow: "1 minute" } };

const text = z.string().max(4096).optional();

const SignInRedirectQuery = z.object({
  code: text,
  state: text,
  error: text,
  error_subcode: text,
  error_description: text,
});

/** What Microsoft's sign-in redirect carries (`MS_REDIRECT_PATH`). */
export type SignInRedirect = z.infer<typeof SignInRedirectQuery>;

const AdminConsentRedirectQuery = z.object({
  admin_consent: text,
  tenant: text,
  state: text,
  error: text,
  error_subcode: text,
  error_description: text,
});

/**
 * What Microsoft's admin consent redirect carries (`MS_ADMIN_CONSENT_REDIRECT_PATH`): `tenant`
 * and `admin_consent` on success; `error` (and `admin_consent=True` too) otherwise.
 */
export type AdminConsentRedirect = z.infer<typeof AdminConsentRedirectQuery>;

/** The browser a redirect came from. */
export interface RedirectClient {
  clientAddress: string;
  userAgent: string | null;
  /** Whoever the browser's portal session belongs to, if it holds one. */
  actor: Actor | null;
}

/** Where the browser goes next and, when someone signed in, the session to set. */
export interface SignInRedirectOutcome {
  location: string;
  session?: { token: string; expiresAt: Date };
}

/** What the module that started a flow does with one of Microsoft's redirects back (`Q`: its query). */
export interface RedirectHandler<Q> {
  /** Where a browser other than the flow's own is sent (a forged link); the flow stays usable. */
  foreignBrowserPage(services: Services): string;
  /** Completes the flow its state found (null: the state is unknown). */
  complete(
    services: Services,
    flow: MicrosoftFlowRow | null,
    query: Q,
    client: RedirectClient,
  ): Promise<SignInRedirectOutcome>;
}

/** Which module completes the flows that come back through one redirect. */
export interface RedirectHandlers<Q> {
  /**
   * The handler of each flow purpose this redirect serves. A flow of another purpose (its state
   * sent to the wrong redirect) is treated as an unknown state.
   */
  byPurpose: Partial<Record<MicrosoftFlowRow["purpose"], RedirectHandler<Q>>>;
  /** The handler of a state that finds no flow. */
  unknownState: RedirectHandler<Q>;
}

export type SignInRedirectHandler = RedirectHandler<SignInRedirect>;
export type SignInRedirectHandlers = RedirectHandlers<SignInRedirect>;
export type AdminConsentRedirectHandler = RedirectHandler<AdminConsentRedirect>;
export type AdminConsentRedirectHandlers = RedirectHandlers<AdminConsentRedirect>;

/**
 * Microsoft's sign-in redirect (MS_REDIRECT_PATH), mounted at the root because its path is
 * configuration. One redirect URI serves every flow: the flow its `state` finds says whose it is,
 * and that module's handler (given by the route list, so this module depends on neither) completes
 * it. Every outcome is a 302 to a web page, with the session cookie when someone signed in.
 */
export function signInRedirectRoutes(
  services: Services,
  handlers: SignInRedirectHandlers,
): FastifyPluginAsyncZod {
  return redirectRoute(services, handlers, {
    path: services.env.MS_REDIRECT_PATH,
    querystring: SignInRedirectQuery,
    summary: "Microsoft sign-in redirect (registration round 1, enterprise portal sign-in)",
  });
}

/**
 * Microsoft's admin consent redirect (MS_ADMIN_CONSENT_REDIRECT_PATH), mounted at the root because
 * its path is configuration: registration's round 2 and a registered tenant's later consent come
 * back here, each completed by the handler of its flow's purpose, as `signInRedirectRoutes`.
 */
export function adminConsentRedirectRoutes(
  services: Services,
  handlers: AdminConsentRedirectHandlers,
): FastifyPluginAsyncZod {
  return redirectRoute(services, handlers, {
    path: services.env.MS_ADMIN_CONSENT_REDIRECT_PATH,
    querystring: AdminConsentRedirectQuery,
    summary: "Microsoft admin consent redirect (registration round 2, granting new permissions)",
  });
}

/** One of Microsoft's redirects back: the flow of its state, in its own browser, to its handler. */
function redirectRoute<Q extends { state?: string | undefined }>(
  services: Services,
  handlers: RedirectHandlers<Q>,
  route: { path: string; querystring: z.ZodType<Q>; summary: string },
): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      route.path,
      {
        schema: { querystring: route.querystring, tags: ["enterprises"], summary: route.summary },
        config: publicMicrosoftStep,
      },
      async (request, reply) => {
        const query = request.query as Q;
        const found = await findFlowByState(services.db, query.state ?? "");
        const own = found ? handlers.byPurpose[found.purpose] : undefined;
        const flow = own ? found : null;
        const handler = own ?? handlers.unknownState;
        // Another browser's state (a forged link): refused, and the real flow stays usable.
        if (flow && !isFlowBrowser(request, flow))
          return reply.redirect(handler.foreignBrowserPage(services), 302);
        const outcome = await handler.complete(services, flow, query, {
          clientAddress: request.ip,
          userAgent: request.headers["user-agent"] ?? null,
          actor: request.actor,
        });
        if (outcome.session) setSessionCookie(reply, services, outcome.session);
        return reply.redirect(outcome.location, 302);
      },
    );
  };
}
