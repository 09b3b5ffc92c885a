import { and, count, desc, eq, ilike, or, type SQL } from "drizzle-orm";
import type { AuditEntryView } from "../../../shared/contracts/audit.ts";
import type { Page, PageQuery } from "../../../shared/contracts/common.ts";
import type { Actor } from "../../authz/actor.ts";
import type { Db } from "../../db/client.ts";
import { auditLog } from "../../db/schema/index.ts";
import { containsPattern } from "../../lib/sql.ts";

function subtreeOf(actor: Actor): SQL | undefined {
  switch (actor.role) {
    case "enterprise_admin":
      return eq(auditLog.enterpriseId, actor.enterpriseId);
    case "operator":
      return undefined;
    case "master_reseller":
      return eq(auditLog.masterResellerId, actor.organizationId);
    case "reseller":
      return eq(auditLog.resellerId, actor.organizationId);
  }
}

/**
 * The audit entries of the actor's subtree, newest first; `q` matches action or target;
 * `enterpriseId` keeps one enterprise's entries (its activity feed).
 */
export async function listAuditEntries(
  db: Db,
  actor: Actor,
  query: PageQuery & { targetId?: string; enterpriseId?: string },
): Promise<Page<AuditEntryView>> {
  const where = and(
    subtreeOf(actor),
    query.enterpriseId ? eq(auditLog.enterpriseId, query.enterpriseId) : undefined,
    query.targetId ? eq(auditLog.targetId, query.targetId) : undefined,
    query.q
      ? or(
          ilike(auditLog.action, containsPattern(query.q)),
          ilike(auditLog.targetLabel, containsPattern(query.q)),
        )
      : undefined,
  );
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(auditLog)
      .where(where)
      .orderBy(desc(auditLog.at), desc(auditLog.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ n: count() }).from(auditLog).where(where),
  ]);
  return {
    items: rows.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: { id: r.actorAccountId, label: r.actorLabel },
      action: r.action,
      target: { type: r.targetType, id: r.targetId, label: r.targetLabel },
      before: r.before,
      after: r.after,
      clientAddress: r.clientAddress,
    })),
    total: total?.n ?? 0,
    page: query.page,
    pageSize: query.pageSize,
  };
}
