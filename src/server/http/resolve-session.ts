import type { Actor } from "../authz/actor.ts";
import type { Db } from "../db/client.ts";
import { hashToken } from "../lib/secrets.ts";
import { findActorBySession } from "../modules/accounts/index.ts";
import {
  findEnterpriseAdminBySession,
  isEnterpriseAdminToken,
} from "../modules/enterprise-portal/index.ts";

/*
 * Separate from session.ts, the cookie helpers the modules' routes use: that file imports no module,
 * so a module's index → its routes → session.ts never leads back to a module's index (a cycle).
 * Only the request hook of app.ts resolves sessions.
 */

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
