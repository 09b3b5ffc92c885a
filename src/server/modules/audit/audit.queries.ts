import { and, count, desc, eq, ilike, or, type SQL } from "drizzle-orm";
import type { AuditEntryView } from "../../../shared/contracts/audit.ts";
import type { Page, PageQuery } from "../../../shared/contracts/common.ts";
import type { Actor } from "../../authz/actor.ts";
import { subtreeFilter } from "../../authz/tenancy.ts";
import type { Db } from "../../db/client.ts";
import { events } from "../../db/schema/index.ts";
import { containsPattern } from "../../lib/sql.ts";

function subtreeOf(actor: Actor): SQL | undefined {
  return subtreeFilter(actor, events);
}

/**
 * The audit entries (the event log) of the actor's subtree, newest first; `q` matches action or target;
 * `enterpriseId` keeps one enterprise's entries (its activity feed).
 */
export async function listAuditEntries(
  db: Db,
  actor: Actor,
  query: PageQuery & { targetId?: string; enterpriseId?: string },
): Promise<Page<AuditEntryView>> {
  const where = and(
    subtreeOf(actor),
    query.enterpriseId ? eq(events.enterpriseId, query.enterpriseId) : undefined,
    query.targetId ? eq(events.subjectId, query.targetId) : undefined,
    query.q
      ? or(
          ilike(events.name, containsPattern(query.q)),
          ilike(events.subjectLabel, containsPattern(query.q)),
        )
      : undefined,
  );
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(events)
      .where(where)
      .orderBy(desc(events.at), desc(events.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ n: count() }).from(events).where(where),
  ]);
  return {
    items: rows.map((r) => {
      const { before = null, after = null, ...facts } = r.payload as Record<string, unknown>;
      return {
        id: String(r.id),
        at: r.at.toISOString(),
        actor: { id: r.actorAccountId, label: r.actorLabel },
        action: r.name,
        target: { type: r.subjectType, id: r.subjectId, label: r.subjectLabel },
        before,
        // A fact (no before/after) is shown as what it recorded.
        after: after ?? (Object.keys(facts).length > 0 ? facts : null),
        clientAddress: r.clientAddress,
      };
    }),
    total: total?.n ?? 0,
    page: query.page,
    pageSize: query.pageSize,
  };
}
