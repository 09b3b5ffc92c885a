import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { EnterpriseAdminActor } from "../../authz/actor.ts";
import type { Ctx } from "../../context.ts";
import type { Db } from "../../db/client.ts";
import { enterpriseAdmins, enterprises, sessions } from "../../db/schema/index.ts";
import { hashToken, randomToken } from "../../lib/secrets.ts";

/**
 * Enterprise admin session tokens carry this prefix, so the per-request lookup goes straight to
 * the right query (portal tokens are base64url and never contain a dot).
 */
export const enterpriseAdminTokenPrefix = "ea.";

export function isEnterpriseAdminToken(token: string): boolean {
  return token.startsWith(enterpriseAdminTokenPrefix);
}

/** Built once per database as a prepared statement: it runs on every enterprise admin request. */
function prepareLookup(db: Db) {
  return db
    .select({
      admin: {
        id: enterpriseAdmins.id,
        name: enterpriseAdmins.name,
        upn: enterpriseAdmins.upn,
        roles: enterpriseAdmins.roles,
      },
      enterprise: {
        id: enterprises.id,
        name: enterprises.name,
        accessSipData: enterprises.accessSipData,
        resellerId: enterprises.resellerId,
        masterResellerId: enterprises.masterResellerId,
        tenantId: enterprises.tenantId,
      },
      csrfToken: sessions.csrfToken,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .innerJoin(enterpriseAdmins, eq(enterpriseAdmins.id, sessions.enterpriseAdminId))
    .innerJoin(enterprises, eq(enterprises.id, enterpriseAdmins.enterpriseId))
    .where(
      and(
        eq(sessions.tokenHash, sql.placeholder("tokenHash")),
        gt(sessions.expiresAt, sql.placeholder("now")),
        // A disabled enterprise's admins are signed out; they sign in again once it is enabled.
        inArray(enterprises.status, ["registered", "active"]),
      ),
    )
    .limit(1)
    .prepare("find_enterprise_admin_by_session");
}
const lookups = new WeakMap<Db, ReturnType<typeof prepareLookup>>();

/** The enterprise admin behind a session token hash, or null (unknown, expired, disabled). */
export async function findEnterpriseAdminBySession(
  db: Db,
  tokenHash: string,
  now: Date,
  clientAddress: string | null,
): Promise<(EnterpriseAdminActor & { lastSeenAt: Date }) | null> {
  let statement = lookups.get(db);
  if (!statement) {
    statement = prepareLookup(db);
    lookups.set(db, statement);
  }
  const [row] = await statement.execute({ tokenHash, now: now.toISOString() });
  if (!row?.enterprise.tenantId) return null;
  return {
    kind: "enterprise_admin",
    role: "enterprise_admin",
    enterpriseAdminId: row.admin.id,
    name: row.admin.name ?? row.admin.upn ?? "Enterprise admin",
    email: row.admin.upn ?? "",
    enterpriseId: row.enterprise.id,
    enterpriseName: row.enterprise.name,
    accessSipData: row.enterprise.accessSipData,
    resellerId: row.enterprise.resellerId,
    masterResellerId: row.enterprise.masterResellerId,
    tenantId: row.enterprise.tenantId,
    directoryRoles: row.admin.roles,
    mustChangePassword: false,
    session: { tokenHash, csrfToken: row.csrfToken },
    clientAddress,
    lastSeenAt: row.lastSeenAt,
  };
}

export interface NewSession {
  token: string;
  expiresAt: Date;
}

/** Opens a session for an enterprise admin, in the context's transaction. */
export async function openEnterpriseAdminSession(
  ctx: Ctx,
  input: { enterpriseAdminId: string; clientAddress: string | null; userAgent: string | null },
): Promise<NewSession> {
  const token = `${enterpriseAdminTokenPrefix}${randomToken()}`;
  const { now } = ctx;
  const expiresAt = new Date(now.getTime() + ctx.services.env.SESSION_TTL_HOURS * 3_600_000);
  await ctx.tx.insert(sessions).values({
    tokenHash: hashToken(token),
    enterpriseAdminId: input.enterpriseAdminId,
    csrfToken: randomToken(24),
    clientAddress: input.clientAddress,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
  });
  return { token, expiresAt };
}
