import { and, asc, desc, eq, ilike, or, type SQL, sql } from "drizzle-orm";
import { type CallListQuery, decodeCallCursor } from "../../../shared/contracts/calls.ts";
import type { Scoped } from "../../authz/policy.ts";
import type { Db } from "../../db/client.ts";
import { cdrs, gatewayNodes, regions, sipTraces, users } from "../../db/schema/index.ts";
import { notFound } from "../../lib/errors.ts";

/** A call record with what the list shows beside it. */
export type CallRow = typeof cdrs.$inferSelect & {
  /** `started_at` in microseconds since the epoch, as text: the cursor's exact position. */
  startedAtMicros: string;
  userName: string | null;
  regionName: string | null;
  nodeName: string | null;
  hasTrace: boolean;
};

export type SipTraceRow = typeof sipTraces.$inferSelect;

/** The columns of a `CallRow`: the record, its user's name while the user exists, and its trace. */
const callColumns = {
  id: cdrs.id,
  callId: cdrs.callId,
  leg: cdrs.leg,
  nodeId: cdrs.nodeId,
  regionId: cdrs.regionId,
  masterResellerId: cdrs.masterResellerId,
  resellerId: cdrs.resellerId,
  enterpriseId: cdrs.enterpriseId,
  userId: cdrs.userId,
  direction: cdrs.direction,
  caller: cdrs.caller,
  callee: cdrs.callee,
  startedAt: cdrs.startedAt,
  answeredAt: cdrs.answeredAt,
  endedAt: cdrs.endedAt,
  disposition: cdrs.disposition,
  sipCode: cdrs.sipCode,
  sipReason: cdrs.sipReason,
  hangupSide: cdrs.hangupSide,
  codec: cdrs.codec,
  durationSeconds: cdrs.durationSeconds,
  receivedAt: cdrs.receivedAt,
  startedAtMicros: sql<string>`(extract(epoch from ${cdrs.startedAt}) * 1000000)::bigint::text`,
  userName: users.displayName,
  regionName: regions.name,
  nodeName: gatewayNodes.name,
  // The trace's primary key starts with call_id: one index probe per row shown.
  hasTrace: sql<boolean>`exists (select 1 from ${sipTraces} where ${sipTraces.callId} = ${cdrs.callId} and ${sipTraces.nodeId} = ${cdrs.nodeId})`,
};

function selectCalls(db: Db) {
  return (
    db
      .select(callColumns)
      .from(cdrs)
      // The record keeps the user's id after the user is gone; the name only while it exists.
      .leftJoin(users, and(eq(users.id, cdrs.userId), eq(users.enterpriseId, cdrs.enterpriseId)))
      .leftJoin(regions, eq(regions.id, cdrs.regionId))
      .leftJoin(gatewayNodes, eq(gatewayNodes.id, cdrs.nodeId))
  );
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * One page of the enterprise's call records, newest first in (started_at, id) order, after the
 * cursor's row: keyset paging on `cdrs_enterprise_idx`, so rows starting at the same instant are
 * neither repeated nor skipped across pages. Fetches one row more than the page to tell whether
 * another page follows. Takes the enterprise already scoped to the actor.
 */
export async function listCalls(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  query: CallListQuery,
): Promise<{ rows: CallRow[]; hasMore: boolean }> {
  const cursor = query.cursor ? decodeCallCursor(query.cursor) : null;
  const search = query.q ? `%${likeLiteral(query.q)}%` : null;
  const conditions: (SQL | undefined)[] = [
    eq(cdrs.enterpriseId, enterprise.id),
    cursor
      ? sql`(${cdrs.startedAt}, ${cdrs.id}) < (timestamptz 'epoch' + ${cursor.startedAtMicros}::bigint * interval '1 microsecond', ${cursor.id}::bigint)`
      : undefined,
    query.from ? sql`${cdrs.startedAt} >= ${query.from.toISOString()}::timestamptz` : undefined,
    query.to ? sql`${cdrs.startedAt} < ${query.to.toISOString()}::timestamptz` : undefined,
    query.direction ? eq(cdrs.direction, query.direction) : undefined,
    query.disposition ? eq(cdrs.disposition, query.disposition) : undefined,
    query.userId ? eq(cdrs.userId, query.userId) : undefined,
    search ? or(ilike(cdrs.caller, search), ilike(cdrs.callee, search)) : undefined,
  ];
  const rows = await selectCalls(db)
    .where(and(...conditions))
    .orderBy(desc(cdrs.startedAt), desc(cdrs.id))
    .limit(query.pageSize + 1);
  return { rows: rows.slice(0, query.pageSize), hasMore: rows.length > query.pageSize };
}

/** The legs of one call of the enterprise, oldest first, or 404 (another enterprise's call too). */
export async function getCallLegs(
  db: Db,
  enterprise: Scoped<{ id: string }>,
  callId: string,
): Promise<CallRow[]> {
  const rows = await selectCalls(db)
    .where(and(eq(cdrs.enterpriseId, enterprise.id), eq(cdrs.callId, callId)))
    .orderBy(asc(cdrs.startedAt), asc(cdrs.id));
  if (rows.length === 0) throw notFound("Call");
  return rows;
}

/**
 * The SIP messages of a call, in time order (then leg, then seq). Traces carry no enterprise, so
 * only the messages of the nodes that recorded this enterprise's legs of the call are read: the
 * legs come from `getCallLegs`, already scoped.
 */
export async function listCallMessages(db: Db, legs: CallRow[]): Promise<SipTraceRow[]> {
  const [first] = legs;
  if (!first) return [];
  const nodeIds = [...new Set(legs.map((l) => l.nodeId))];
  return db
    .select()
    .from(sipTraces)
    .where(
      and(
        eq(sipTraces.callId, first.callId),
        or(...nodeIds.map((nodeId) => eq(sipTraces.nodeId, nodeId))),
      ),
    )
    .orderBy(asc(sipTraces.at), asc(sipTraces.leg), asc(sipTraces.seq));
}
