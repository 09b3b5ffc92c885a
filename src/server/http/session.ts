import type { FastifyReply } from "fastify";
import type { Actor } from "../authz/actor.ts";
import type { Db } from "../db/client.ts";
import { hashToken } from "../lib/secrets.ts";
import { findActorBySession } from "../modules/accounts/accounts.queries.ts";
import {
  findEnterpriseAdminBySession,
  isEnterpriseAdminToken,
} from "../modules/enterprise-portal/enterprise-admin-sessions.ts";
import type { Services } from "../services.ts";
import { sessionCookie } from "./context.ts";

/** Whoever a session cookie belongs to (portal account or enterprise admin), or null. */
export async function resolveSession(
  db: Db,
  token: string,
  now: Date,
  clientAddress: string | null,
): Promise<(Actor & { lastSeenAt: Date }) | null> {
  const tokenHash = hashToken(token);
  return isEnterpriseAdminToken(token)
    ? findEnterpriseAdminBySession(db, tokenHash, now, clientAddress)
    : findActorBySession(db, tokenHash, now, clientAddress);
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Secure behind https. */
export function setSessionCookie(
  reply: FastifyReply,
  services: Services,
  session: { token: string; expiresAt: Date },
): void {
  reply.setCookie(sessionCookie, session.token, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: services.publicUrl.startsWith("https://"),
    expires: session.expiresAt,
  });
}
