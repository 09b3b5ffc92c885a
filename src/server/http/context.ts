import type { FastifyReply, FastifyRequest } from "fastify";
import type { Actor } from "../authz/actor.ts";
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
  }
}

export const sessionCookie = "tg_session";

/**
 * The signed-in actor or 401. An account that must change its password may only reach the routes
 * that let it do so (`allowPendingPasswordChange`).
 */
export function requireActor(
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

export function created<T>(reply: FastifyReply, body: T): T {
  reply.code(201);
  return body;
}
