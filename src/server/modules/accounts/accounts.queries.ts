import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { PortalActor } from "../../authz/actor.ts";
import type { Db } from "../../db/client.ts";
import { accounts, organizations, sessions } from "../../db/schema/index.ts";

const parent = alias(organizations, "parent");

/** The session lookup runs on every request: built once per database as a prepared statement. */
function prepareActorBySession(db: Db) {
  return db
    .select({
      account: {
        id: accounts.id,
        name: accounts.name,
        email: accounts.email,
        username: accounts.username,
        mustChangePassword: accounts.mustChangePassword,
      },
      organization: {
        id: organizations.id,
        kind: organizations.kind,
        name: organizations.name,
        status: organizations.status,
        services: organizations.services,
        masterResellerId: organizations.masterResellerId,
      },
      parentStatus: parent.status,
      csrfToken: sessions.csrfToken,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .innerJoin(organizations, eq(organizations.id, accounts.organizationId))
    .leftJoin(parent, eq(parent.id, organizations.parentId))
    .where(
      and(
        eq(sessions.tokenHash, sql.placeholder("tokenHash")),
        gt(sessions.expiresAt, sql.placeholder("now")),
        isNull(accounts.deletedAt),
      ),
    )
    .limit(1)
    .prepare("find_actor_by_session");
}
const actorBySession = new WeakMap<Db, ReturnType<typeof prepareActorBySession>>();

/**
 * The actor behind a session token hash, or null when the session is unknown, expired, or its
 * account or organization (or the master reseller above it) is disabled or deleted.
 */
export async function findActorBySession(
  db: Db,
  tokenHash: string,
  now: Date,
  clientAddress: string | null,
): Promise<(PortalActor & { lastSeenAt: Date }) | null> {
  let statement = actorBySession.get(db);
  if (!statement) {
    statement = prepareActorBySession(db);
    actorBySession.set(db, statement);
  }
  const [row] = await statement.execute({ tokenHash, now: now.toISOString() });
  if (!row) return null;
  if (row.organization.status === "disabled" || row.parentStatus === "disabled") return null;
  return {
    ...actorOf(row.account, row.organization),
    session: { tokenHash, csrfToken: row.csrfToken },
    clientAddress,
    lastSeenAt: row.lastSeenAt,
  };
}

type AccountRow = typeof accounts.$inferSelect;
type OrganizationRow = typeof organizations.$inferSelect;

/** The actor an account of an organization is, before its session is attached. */
export function actorOf(
  account: Pick<AccountRow, "id" | "name" | "email" | "username" | "mustChangePassword">,
  organization: Pick<OrganizationRow, "id" | "kind" | "name" | "services" | "masterResellerId">,
): Omit<PortalActor, "session" | "clientAddress"> {
  return {
    kind: "portal",
    accountId: account.id,
    name: account.name,
    email: account.email,
    username: account.username,
    organizationId: organization.id,
    organizationName: organization.name,
    organizationServices: organization.services as ("PBX" | "TRUNK")[],
    role: organization.kind,
    masterResellerId:
      organization.kind === "master_reseller"
        ? organization.id
        : organization.kind === "reseller"
          ? organization.masterResellerId
          : null,
    resellerId: organization.kind === "reseller" ? organization.id : null,
    mustChangePassword: account.mustChangePassword,
  };
}

/** The live account whose e-mail or username is `login` (case-insensitive), with its organization. */
export async function findAccountByLogin(db: Db, login: string) {
  const value = login.trim().toLowerCase();
  const [row] = await db
    .select({ account: accounts, organization: organizations, parentStatus: parent.status })
    .from(accounts)
    .innerJoin(organizations, eq(organizations.id, accounts.organizationId))
    .leftJoin(parent, eq(parent.id, organizations.parentId))
    .where(
      and(
        isNull(accounts.deletedAt),
        value.includes("@")
          ? eq(accounts.email, value)
          : sql`lower(${accounts.username}) = ${value}`,
      ),
    )
    .limit(1);
  return row ?? null;
}
