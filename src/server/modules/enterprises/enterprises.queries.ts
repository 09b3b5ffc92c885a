import {
  and,
  asc,
  count,
  desc,
  eq,
  fillPlaceholders,
  ilike,
  ne,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { alias, type PgColumn, type PgTable } from "drizzle-orm/pg-core";
import type { InvitationSummary } from "../../../shared/contracts/common.ts";
import {
  type EnterpriseListQuery,
  type EnterprisePage,
  enterpriseListCountCap,
} from "../../../shared/contracts/enterprises.ts";
import type { Actor, PortalActor } from "../../authz/actor.ts";
import { type Scoped, scopeTo } from "../../authz/policy.ts";
import { subtreeFilter } from "../../authz/tenancy.ts";
import type { Db } from "../../db/client.ts";
import {
  enterprisePbxTypes,
  enterpriseRegions,
  enterprises,
  organizationPbxTypes,
  organizationRegions,
  organizations,
  pbxTypes,
  regions,
} from "../../db/schema/index.ts";
import { notFound } from "../../lib/errors.ts";
import { containsPattern } from "../../lib/sql.ts";
import {
  currentInvitationOf,
  type InvitationJson,
  invitationSummaryOf,
} from "../invitations/index.ts";
import { enterprisePosition } from "./enterprises.policy.ts";

export type EnterpriseRow = typeof enterprises.$inferSelect;

/**
 * The enterprise columns the portal's enterprise view shows (`presentEnterprise`): the list reads
 * only these, so each of its rows is decoded and mapped with about half of the table's columns.
 */
const viewColumns = {
  id: enterprises.id,
  resellerId: enterprises.resellerId,
  name: enterprises.name,
  adminEmail: enterprises.adminEmail,
  userLimit: enterprises.userLimit,
  pbxMusicOnHold: enterprises.pbxMusicOnHold,
  accessSipData: enterprises.accessSipData,
  requestManagementConsent: enterprises.requestManagementConsent,
  billingReference: enterprises.billingReference,
  services: enterprises.services,
  status: enterprises.status,
  tenantName: enterprises.tenantName,
  managementConsentGrantedAt: enterprises.managementConsentGrantedAt,
  createdAt: enterprises.createdAt,
  updatedAt: enterprises.updatedAt,
};
export type EnterpriseViewRow = Pick<EnterpriseRow, keyof typeof viewColumns>;

/** An enterprise (the whole row, or the view's columns) with what its view shows beside them. */
export interface EnterpriseRecord<Row extends EnterpriseViewRow = EnterpriseRow> {
  enterprise: Row;
  resellerName: string;
  regionIds: string[];
  pbxTypeIds: string[];
  invitation: InvitationSummary | null;
}

/** The enterprises of the actor's subtree, served by `enterprises_{reseller,master_reseller}_idx`. */
function subtreeOf(actor: Actor): SQL | undefined {
  return subtreeFilter(actor, {
    masterResellerId: enterprises.masterResellerId,
    resellerId: enterprises.resellerId,
    enterpriseId: enterprises.id,
  });
}

/** The enterprise if the actor may see it, else null; `lock` takes a row lock (inside a transaction). */
export async function findEnterprise(
  db: Db,
  actor: Actor,
  id: string,
  options: { lock?: boolean } = {},
): Promise<EnterpriseRow | null> {
  const query = db
    .select()
    .from(enterprises)
    .where(and(eq(enterprises.id, id), subtreeOf(actor)));
  const [row] = options.lock ? await query.for("update") : await query;
  return row ?? null;
}

/** The enterprise proven visible to the actor, or 404. */
export async function getEnterprise(
  db: Db,
  actor: Actor,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Scoped<EnterpriseRow>> {
  return scopeTo(
    actor,
    await findEnterprise(db, actor, id, options),
    enterprisePosition,
    "Enterprise",
  );
}

/** The ids a link table holds for the enterprise of the current row, in `order`, as an array. */
function linkedIds(table: PgTable, enterpriseId: PgColumn, linkedId: PgColumn, order = linkedId) {
  return sql<
    string[]
  >`array(select ${linkedId} from ${table} where ${enterpriseId} = ${enterprises.id} order by ${order}, ${linkedId})`;
}

/**
 * What an enterprise's view needs beside its own columns: its reseller's name, and its region and
 * PBX type ids (correlated subqueries on the link tables' primary keys, evaluated only for the
 * rows returned, so a page costs one query instead of three), and its current invitation.
 */
const relatedColumns = {
  resellerName: organizations.name,
  // In the enterprise's order: the primary region first.
  regionIds: linkedIds(
    enterpriseRegions,
    enterpriseRegions.enterpriseId,
    enterpriseRegions.regionId,
    enterpriseRegions.position,
  ),
  pbxTypeIds: linkedIds(
    enterprisePbxTypes,
    enterprisePbxTypes.enterpriseId,
    enterprisePbxTypes.pbxTypeId,
  ),
  invitation: currentInvitationOf(enterprises.id),
};

function toRecord<Row extends EnterpriseViewRow>(row: {
  enterprise: Row;
  resellerName: string;
  regionIds: string[];
  pbxTypeIds: string[];
  invitation: InvitationJson | null;
}): EnterpriseRecord<Row> {
  return {
    enterprise: row.enterprise,
    resellerName: row.resellerName,
    regionIds: row.regionIds,
    pbxTypeIds: row.pbxTypeIds,
    invitation: invitationSummaryOf(row.invitation),
  };
}

/** The enterprise with its reseller's name, regions, PBX types and invitation, or 404. */
export async function getEnterpriseRecord(
  db: Db,
  actor: Actor,
  id: string,
): Promise<Scoped<EnterpriseRecord>> {
  const [row] = await db
    .select({ enterprise: enterprises, ...relatedColumns })
    .from(enterprises)
    .innerJoin(organizations, eq(organizations.id, enterprises.resellerId))
    .where(and(eq(enterprises.id, id), subtreeOf(actor)));
  const scoped = scopeTo(actor, row, (r) => enterprisePosition(r.enterprise), "Enterprise");
  return toRecord(scoped) as Scoped<EnterpriseRecord>;
}

/**
 * The current record of an enterprise already scoped to the actor (e.g. after a command changed
 * it): no second subtree check, since an enterprise never moves in the tree.
 */
export async function enterpriseRecordOf(
  db: Db,
  enterprise: Scoped<{ id: string }>,
): Promise<Scoped<EnterpriseRecord>> {
  const [row] = await db
    .select({ enterprise: enterprises, ...relatedColumns })
    .from(enterprises)
    .innerJoin(organizations, eq(organizations.id, enterprises.resellerId))
    .where(eq(enterprises.id, enterprise.id));
  if (!row) throw notFound("Enterprise");
  return toRecord(row) as Scoped<EnterpriseRecord>;
}

type ListShape = {
  scope: "all" | "master" | "reseller";
  hasStatus: boolean;
  hasQuery: boolean;
  /** First page, rows after (older than) the cursor's row, or rows before (newer than) it. */
  from: "start" | "after" | "before";
  /** Rows to fetch: the page size and one more. */
  limit: number;
};

/**
 * A LIMIT written into the statement rather than bound: with a bound LIMIT PostgreSQL's generic
 * plan guesses a tenth of the table, so it re-plans the prepared statement on every execution
 * (planning cost more than running it); with a literal it keeps the generic plan.
 */
const literalLimit = (n: number) => sql.raw(String(Math.trunc(n))) as unknown as number;

const cursorRow = alias(enterprises, "cursor_row");

/**
 * The page and capped-count statements of one shape of list query, with placeholders for the
 * values. Keyset paging (ADR 0011): the page is the first `limit` rows of the subtree index
 * (subtree column, created_at, id) past the cursor's row, whose created_at is looked up by its
 * primary key, so a page costs the same at any depth; the count stops at the cap.
 */
function buildList(db: Db, shape: ListShape) {
  const orgId = sql.placeholder("orgId");
  const pattern = sql.placeholder("pattern");
  const cursorId = sql.placeholder("cursorId");
  const matches = and(
    shape.scope === "master" ? eq(enterprises.masterResellerId, orgId) : undefined,
    shape.scope === "reseller" ? eq(enterprises.resellerId, orgId) : undefined,
    shape.hasStatus ? eq(enterprises.status, sql.placeholder("status")) : undefined,
    shape.hasQuery
      ? or(ilike(enterprises.name, pattern), ilike(enterprises.adminEmail, pattern))
      : undefined,
  );
  // A row comparison with the cursor row's created_at as an init plan: an index condition on
  // (created_at, id), so no row before the page is read.
  const cursorCreatedAt = sql`(${db
    .select({ createdAt: cursorRow.createdAt })
    .from(cursorRow)
    .where(eq(cursorRow.id, cursorId))})`;
  const pastCursor =
    shape.from === "after"
      ? sql`(${enterprises.createdAt}, ${enterprises.id}) < (${cursorCreatedAt}, ${cursorId})`
      : shape.from === "before"
        ? sql`(${enterprises.createdAt}, ${enterprises.id}) > (${cursorCreatedAt}, ${cursorId})`
        : undefined;
  const order =
    shape.from === "before"
      ? [asc(enterprises.createdAt), asc(enterprises.id)]
      : [desc(enterprises.createdAt), desc(enterprises.id)];
  const capped = db
    .select({ one: sql`1` })
    .from(enterprises)
    .where(matches)
    .limit(literalLimit(enterpriseListCountCap + 1))
    .as("capped");
  const total = db.select({ n: count() }).from(capped);
  return {
    // The capped count rides along as an init plan (evaluated once): one round trip a page.
    page: db
      .select({
        enterprise: viewColumns,
        ...relatedColumns,
        total: sql<number>`${total}`.mapWith(Number),
      })
      .from(enterprises)
      .innerJoin(organizations, eq(organizations.id, enterprises.resellerId))
      .where(and(matches, pastCursor))
      .orderBy(...order)
      .limit(literalLimit(shape.limit)),
    total,
  };
}

/** The list's statements of one shape, prepared once per database: the list is the portal's busiest read. */
function prepareList(db: Db, shape: ListShape) {
  const key = `${shape.scope}_${shape.from}_${shape.limit}_${shape.hasStatus ? "s" : ""}${shape.hasQuery ? "q" : ""}`;
  const built = buildList(db, shape);
  return {
    page: built.page.prepare(`enterprise_page_${key}`),
    total: built.total.prepare(`enterprise_count_${key}`),
    sql: { page: built.page.toSQL(), total: built.total.toSQL() },
  };
}
const preparedLists = new WeakMap<Db, Map<string, ReturnType<typeof prepareList>>>();

function listStatements(db: Db, shape: ListShape) {
  let byShape = preparedLists.get(db);
  if (!byShape) {
    byShape = new Map();
    preparedLists.set(db, byShape);
  }
  const key = `${shape.scope}:${shape.from}:${shape.limit}:${shape.hasStatus}:${shape.hasQuery}`;
  let statements = byShape.get(key);
  if (!statements) {
    statements = prepareList(db, shape);
    byShape.set(key, statements);
  }
  return statements;
}

type ListActor = Pick<PortalActor, "role" | "organizationId">;

/** The shape of the actor's list query and the values of its placeholders. */
function listPlan(actor: ListActor, query: EnterpriseListQuery) {
  const from = !query.cursor ? "start" : query.cursor.startsWith("a.") ? "after" : "before";
  const shape: ListShape = {
    scope:
      actor.role === "operator" ? "all" : actor.role === "master_reseller" ? "master" : "reseller",
    hasStatus: Boolean(query.status),
    hasQuery: Boolean(query.q),
    from,
    // One row more than the page tells whether there is a page beyond it.
    limit: query.pageSize + 1,
  };
  const params = {
    orgId: actor.organizationId,
    status: query.status,
    pattern: query.q ? containsPattern(query.q) : undefined,
  };
  return {
    shape,
    pageParams: { ...params, cursorId: query.cursor?.slice(2) },
  };
}

/**
 * The SQL and parameters `listEnterprises` executes for this actor and query when the page has
 * rows (one statement: the page with its capped total): the benchmark runs exactly this through
 * pgbench to measure the SQL's own ceiling.
 */
export function enterpriseListSql(
  db: Db,
  actor: ListActor,
  query: EnterpriseListQuery,
): { sql: string; params: unknown[] }[] {
  const { shape, pageParams } = listPlan(actor, query);
  const { sql: statements } = listStatements(db, shape);
  return [
    { sql: statements.page.sql, params: fillPlaceholders(statements.page.params, pageParams) },
  ];
}

/**
 * One page of the actor's enterprises, newest first (ties broken by id), starting at the query's
 * cursor; `q` matches name or admin e-mail. One prepared statement whatever the page size or
 * depth: the page (with reseller name, region and PBX type ids and current invitation) and the
 * total, counted up to `enterpriseListCountCap`; a second only when the page is empty (the
 * total alone). Paging forward or back from any page visits every matching row exactly once.
 */
export async function listEnterprises(
  db: Db,
  actor: ListActor,
  query: EnterpriseListQuery,
): Promise<EnterprisePage<EnterpriseRecord<EnterpriseViewRow>>> {
  const { shape, pageParams } = listPlan(actor, query);
  const statements = listStatements(db, shape);
  const rows = await statements.page.execute(pageParams);
  const n = rows[0]?.total ?? (await statements.total.execute(pageParams))[0]?.n ?? 0;
  const hasMore = rows.length > query.pageSize;
  const shown = rows.slice(0, query.pageSize);
  if (shape.from === "before" && !hasMore) {
    // Back at the top: the first page, full, rather than what was left above the cursor.
    return listEnterprises(db, actor, { ...query, cursor: undefined });
  }
  if (shape.from === "before") shown.reverse();
  const first = shown[0]?.enterprise.id;
  const last = shown.at(-1)?.enterprise.id;
  return {
    items: shown.map(toRecord),
    total: Math.min(n, enterpriseListCountCap),
    isTotalCapped: n > enterpriseListCountCap,
    pageSize: query.pageSize,
    nextCursor: last && (shape.from === "before" || hasMore) ? `a.${last}` : null,
    // Past the last row (the cursor's row gone or no longer matching) there is no page to go
    // back to from here; the portal offers the first page instead.
    prevCursor: first && shape.from !== "start" ? `b.${first}` : null,
  };
}

export type ResellerRow = typeof organizations.$inferSelect & {
  /** Status of the master reseller above it (a disabled master blocks its resellers). */
  masterStatus: (typeof organizations.$inferSelect)["status"] | null;
};

const master = alias(organizations, "master");

/** The reseller if it lies in the actor's subtree, or 404 (an unknown or foreign id alike). */
export async function getReseller(
  db: Db,
  actor: PortalActor,
  resellerId: string,
): Promise<Scoped<ResellerRow>> {
  const inSubtree =
    actor.role === "operator"
      ? undefined
      : actor.role === "master_reseller"
        ? eq(organizations.masterResellerId, actor.organizationId)
        : eq(organizations.id, actor.organizationId);
  const [row] = await db
    .select({ organization: organizations, masterStatus: master.status })
    .from(organizations)
    .leftJoin(master, eq(master.id, organizations.masterResellerId))
    .where(and(eq(organizations.id, resellerId), eq(organizations.kind, "reseller"), inSubtree));
  const reseller = row ? { ...row.organization, masterStatus: row.masterStatus } : null;
  return scopeTo(
    actor,
    reseller,
    (r) => ({ organizationId: r.id, masterResellerId: r.masterResellerId, resellerId: r.id }),
    "Reseller",
  );
}

/** What a reseller may offer below it: services it sells, active entitled regions, enabled entitled PBX types. */
export async function findResellerEntitlements(db: Db, resellerId: string) {
  // Sequential on purpose: this runs inside transactions, which hold a single connection.
  const [reseller] = await db
    .select({ services: organizations.services })
    .from(organizations)
    .where(eq(organizations.id, resellerId));
  const regionRows = await db
    .select({ id: regions.id, status: regions.status })
    .from(organizationRegions)
    .innerJoin(regions, eq(regions.id, organizationRegions.regionId))
    .where(eq(organizationRegions.organizationId, resellerId));
  const pbxTypeRows = await db
    .select({ id: pbxTypes.id, isDisabled: pbxTypes.isDisabled })
    .from(organizationPbxTypes)
    .innerJoin(pbxTypes, eq(pbxTypes.id, organizationPbxTypes.pbxTypeId))
    .where(eq(organizationPbxTypes.organizationId, resellerId));
  return {
    services: new Set(reseller?.services ?? []),
    usableRegionIds: new Set(regionRows.filter((r) => r.status === "active").map((r) => r.id)),
    usablePbxTypeIds: new Set(pbxTypeRows.filter((r) => !r.isDisabled).map((r) => r.id)),
  };
}

/** True when another enterprise already uses this name (case-insensitively, platform-wide). */
export async function isEnterpriseNameTaken(
  db: Db,
  name: string,
  exceptId?: string,
): Promise<boolean> {
  const [row] = await db
    .select({ id: enterprises.id })
    .from(enterprises)
    .where(
      and(
        sql`lower(${enterprises.name}) = lower(${name})`,
        exceptId ? ne(enterprises.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  return Boolean(row);
}

/** The region (in the enterprise's order) and PBX type ids currently linked to an enterprise. */
export async function findEnterpriseLinks(db: Db, enterpriseId: string) {
  const regionRows = await db
    .select({ id: enterpriseRegions.regionId })
    .from(enterpriseRegions)
    .where(eq(enterpriseRegions.enterpriseId, enterpriseId))
    .orderBy(enterpriseRegions.position, enterpriseRegions.regionId);
  const pbxTypeRows = await db
    .select({ id: enterprisePbxTypes.pbxTypeId })
    .from(enterprisePbxTypes)
    .where(eq(enterprisePbxTypes.enterpriseId, enterpriseId))
    .orderBy(enterprisePbxTypes.pbxTypeId);
  return { regionIds: regionRows.map((r) => r.id), pbxTypeIds: pbxTypeRows.map((r) => r.id) };
}

/**
 * The enterprise an invitation was issued for, with its reseller's name. Used by the public
 * Complete page, where the invitation (proven by its link token) is the scope.
 */
export async function findInvitedEnterprise(db: Db, invitation: { targetId: string }) {
  const [row] = await db
    .select({ enterprise: enterprises, resellerName: organizations.name })
    .from(enterprises)
    .innerJoin(organizations, eq(organizations.id, enterprises.resellerId))
    .where(eq(enterprises.id, invitation.targetId));
  return row ?? null;
}
