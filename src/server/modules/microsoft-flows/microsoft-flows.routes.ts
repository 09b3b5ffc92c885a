import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
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

/** The browser a redirect came from. */
export interface RedirectClient {
  clientAddress: string;
  userAgent: string | null;
}

/** Where the browser goes next and, when someone signed in, the session to set. */
export interface SignInRedirectOutcome {
  location: string;
  session?: { token: string; expiresAt: Date };
}

/** What the module that started a flow does with Microsoft's sign-in redirect back. */
export interface SignInRedirectHandler {
  /** Where a browser other than the flow's own is sent (a forged link); the flow stays usable. */
  foreignBrowserPage(services: Services): string;
  /** Completes the flow its state found (null: the state is unknown). */
  complete(
    services: Services,
    flow: MicrosoftFlowRow | null,
    query: SignInRedirect,
    client: RedirectClient,
  ): Promise<SignInRedirectOutcome>;
}

export interface SignInRedirectHandlers {
  /** The handler of each flow purpose. */
  byPurpose: Record<MicrosoftFlowRow["purpose"], SignInRedirectHandler>;
  /** The handler of a state that finds no flow. */
  unknownState: SignInRedirectHandler;
}

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
  return async (app) => {
    app.get(
      services.env.MS_REDIRECT_PATH,
      {
        schema: {
          querystring: SignInRedirectQuery,
          tags: ["enterprises"],
          summary: "Microsoft sign-in redirect (round 1 of enterprise registration)",
        },
        config: publicMicrosoftStep,
      },
      async (request, reply) => {
        const flow = await findFlowByState(services.db, request.query.state ?? "");
        const handler = flow ? handlers.byPurpose[flow.purpose] : handlers.unknownState;
        // Another browser's state (a forged link): refused, and the real flow stays usable.
        if (flow && !isFlowBrowser(request, flow))
          return reply.redirect(handler.foreignBrowserPage(services), 302);
        const outcome = await handler.complete(services, flow, request.query, {
          clientAddress: request.ip,
          userAgent: request.headers["user-agent"] ?? null,
        });
        if (outcome.session) setSessionCookie(reply, services, outcome.session);
        return reply.redirect(outcome.location, 302);
      },
    );
  };
}
