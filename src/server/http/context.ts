import type { FastifyReply, FastifyRequest } from "fastify";
import type { Actor, EnterpriseAdminActor, PortalActor } from "../authz/actor.ts";
import { AppError } from "../lib/errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Reachable without a session (sign-in, activation, invitation pages). */
    public?: boolean;
    /** Reachable by an account that must still change its password. */
    allowPendingPasswordChange?: boolean;
    /** A gateway route: a node's bearer token authenticates it, a session never does. */
    gatewayNode?: boolean;
  }
}

export const sessionCookie = "tg_session";

/**
 * Whoever is signed in (portal account or enterprise admin), or 401. An account that must change
 * its password may only reach the routes that let it do so (`allowPendingPasswordChange`).
 */
export function requireAnyActor(
  request: FastifyRequest,
  options: { allowPendingPasswordChange?: boolean } = {},
): Actor {
  const actor = request.actor;
  if (!actor) throw new AppError("unauthenticated", "Sign in to continue");
  if (actor.mustChangePassword && !options.allowPendingPasswordChange) {
    throw new AppError("password_change_required", "Change your password to continue");
  }
  return actor;
}

/** A signed-in portal account (operator, master reseller, reseller), else 401 / 403. */
export function requireActor(
  request: FastifyRequest,
  options: { allowPendingPasswordChange?: boolean } = {},
): PortalActor {
  const actor = requireAnyActor(request, options);
  if (actor.kind !== "portal") {
    throw new AppError("forbidden", "This is for service provider accounts only");
  }
  return actor;
}

/** A signed-in enterprise admin, else 401 / 403. */
export function requireEnterpriseAdmin(request: FastifyRequest): EnterpriseAdminActor {
  const actor = requireAnyActor(request);
  if (actor.kind !== "enterprise_admin") {
    throw new AppError("forbidden", "Only an enterprise admin may do this");
  }
  return actor;
}

export function created<T>(reply: FastifyReply, body: T): T {
  reply.code(201);
  return body;
}
