import { existsSync } from "node:fs";
import { join } from "node:path";
import { parse as parseQuery } from "node:querystring";
import cookie from "@fastify/cookie";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { eq } from "drizzle-orm";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { ApiErrorBody } from "../../shared/errors.ts";
import { sessions } from "../db/schema/index.ts";
import { AppError } from "../lib/errors.ts";
import type { Services } from "../services.ts";
import { sessionCookie } from "./context.ts";
import { installErrorHandler } from "./errors.ts";
import { resolveSession } from "./resolve-session.ts";
import { apiRoutes, rootRoutes } from "./routes.ts";

export interface AppOptions {
  /** Directory of the built web app; served with an SPA fallback when present. */
  webRoot?: string;
  /** Extra plugins mounted at the root (tests mount routes of their own). */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
  /** Called for every route as it is registered (the isolation test walks them). */
  onRoute?: (route: { method: string | string[]; url: string; config?: unknown }) => void;
  /** Turn off every rate limit (benchmarks and the input fuzz drive thousands of requests from one address). */
  rateLimit?: boolean;
  /** How long closing waits for open connections before cutting them (default 5 s). */
  closeGraceMs?: number;
}

const unsafeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const sessionTouchIntervalMs = 60_000;

/** Builds the HTTP application (API, OpenAPI docs, web app) for one process. */
export async function buildApp(
  services: Services,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    trustProxy: services.env.TRUST_PROXY,
    logController: new Fastify.LogController({
      disableRequestLogging:
        services.env.LOG_LEVEL !== "debug" && services.env.LOG_LEVEL !== "trace",
    }),
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: {
      // node:querystring decodes bytes that are not UTF-8 to U+FFFD, which every string schema
      // refuses with a field error (the default parser would keep them percent-encoded).
      querystringParser: (query: string) => parseQuery(query),
      // A SIP Call-ID in a path (`/calls/{callId}`) holds up to 200 characters, each of which
      // may be percent-encoded; the schemas bound every parameter's decoded length.
      maxParamLength: 600,
    },
    // A path that is not valid percent-encoded UTF-8, or a parameter too long for the router.
    frameworkErrors: (error, _request, reply) => {
      (reply as FastifyReply).code(400).send({
        code: "validation_failed",
        message: "The address is not valid",
        fields: {
          _:
            error.code === "FST_ERR_MAX_PARAM_LENGTH"
              ? "A path parameter is too long"
              : "The address contains characters that are not valid",
        },
      } satisfies ApiErrorBody);
    },
  }).withTypeProvider<ZodTypeProvider>();
  if (options.onRoute) app.addHook("onRoute", options.onRoute);
  // Closing waits for every connection to end. A request answered while closing (a gateway
  // node's long poll answers then) ends its connection, instead of leaving it open for the
  // keep-alive timeout (72 s); a connection still open after the grace is cut (one that never
  // sent a request holds Node's close for its headers timeout, 60 s and more).
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
    setTimeout(() => app.server.closeAllConnections(), options.closeGraceMs ?? 5_000).unref();
  });
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        frameSrc: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
  });
  await app.register(cookie);
  // Without the plugin, the routes' `rateLimit` configs are inert.
  if (options.rateLimit !== false) await app.register(rateLimit, { global: false });

  await app.register(swagger, {
    openapi: {
      info: { title: "Teamgate API", version: "1" },
      components: {
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: sessionCookie },
          // The SBC gateway nodes' routes (`/gateway/…`, ADR 0019).
          gatewayNode: { type: "http", scheme: "bearer" },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs", staticCSP: true });

  app.decorateRequest("actor", null);

  await app.register(
    async (api) => {
      // Resolve the session, then refuse unsafe methods without the session's CSRF token.
      // Runs before body validation, so an anonymous caller gets 401 whatever it sent.
      api.addHook("onRequest", async (request) => {
        const config = request.routeOptions.config;
        // The gateway routes authenticate nodes by bearer token, never by a session (ADR 0019).
        if (config.gatewayNode) return;
        const token = request.cookies[sessionCookie];
        const now = services.now();
        const found = token ? await resolveSession(services.db, token, now, request.ip) : null;
        if (!found) {
          if (!config.public && request.routeOptions.url)
            throw new AppError("unauthenticated", "Sign in to continue");
          return;
        }
        const { lastSeenAt, ...actor } = found;
        request.actor = actor;
        if (now.getTime() - lastSeenAt.getTime() > sessionTouchIntervalMs) {
          await services.db
            .update(sessions)
            .set({
              lastSeenAt: now,
              expiresAt: new Date(now.getTime() + services.env.SESSION_TTL_HOURS * 3_600_000),
            })
            .where(eq(sessions.tokenHash, actor.session.tokenHash));
        }
        // Public routes never act as the session's account, so they need no token.
        if (
          !config.public &&
          unsafeMethods.has(request.method) &&
          request.headers["x-csrf-token"] !== actor.session.csrfToken
        ) {
          throw new AppError(
            "csrf_failed",
            "The request is missing its security token; reload the page and try again",
          );
        }
        if (actor.mustChangePassword && !config.allowPendingPasswordChange && !config.public) {
          throw new AppError("password_change_required", "Change your password to continue");
        }
      });
      // A generous limit per session, whatever the address (the routes that take a secret have
      // their own per-address limits).
      if (options.rateLimit !== false) {
        const perSession = api.rateLimit({
          max: services.env.SESSION_RATE_LIMIT_PER_MINUTE,
          timeWindow: "1 minute",
          keyGenerator: (request) => `session:${request.actor?.session.tokenHash ?? request.ip}`,
        });
        api.addHook("onRequest", async function (request, reply) {
          if (request.actor) await perSession.call(this, request, reply);
        });
      }
      // Answers carry session data, CSRF tokens and temporary passwords: never stored by a cache.
      api.addHook("onSend", async (_request, reply) => {
        reply.header("cache-control", "no-store");
      });
      for (const plugin of apiRoutes(services)) await api.register(plugin);
    },
    { prefix: "/api/v1" },
  );

  // Microsoft's redirects back open sessions at the root: a response setting the session cookie
  // is never stored by a cache either.
  app.addHook("onSend", async (_request, reply) => {
    const setCookie = [reply.getHeader("set-cookie") ?? []].flat().map(String);
    if (setCookie.some((c) => c.startsWith(`${sessionCookie}=`)))
      reply.header("cache-control", "no-store");
  });
  for (const plugin of rootRoutes(services)) await app.register(plugin);

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));

  for (const plugin of options.plugins ?? []) await app.register(plugin);

  const hasWeb = Boolean(options.webRoot && existsSync(join(options.webRoot, "index.html")));
  if (hasWeb) await app.register(fastifyStatic, { root: options.webRoot!, wildcard: false });
  app.setNotFoundHandler((request, reply) => {
    if (hasWeb && request.method === "GET" && !request.url.startsWith("/api/")) {
      return reply.type("text/html").sendFile("index.html");
    }
    return reply.code(404).send({
      code: "not_found",
      message: `No route ${request.method} ${request.url.split("?")[0]}`,
    });
  });
  return app;
}
