import { type SQL, sql } from "drizzle-orm";
import type { EventName } from "../../shared/events.ts";
import type { Db } from "../db/client.ts";

/**
 * Where a reader of the event log stands: `<transaction id>.<event id>` of the last event it
 * consumed (or of the horizon it reached); `0.0` is the beginning. Opaque to consumers.
 */
export type EventCursor = string;
export const beginning: EventCursor = "0.0";

const cursorPattern = /^(\d{1,20})\.(\d{1,19})$/;

/** Whether a string is a cursor `readEvents` accepts. */
export function isEventCursor(value: string): boolean {
  return cursorPattern.test(value);
}

export interface EventFilter {
  names?: readonly EventName[];
  masterResellerId?: string;
  resellerId?: string;
  enterpriseId?: string;
}

export interface StoredEvent {
  id: number;
  /** Resume after this event. */
  cursor: EventCursor;
  name: EventName;
  at: Date;
  actor: { accountId: string | null; label: string };
  subject: { type: string; id: string; label: string | null };
  path: { masterResellerId: string | null; resellerId: string | null; enterpriseId: string | null };
  payload: Record<string, unknown>;
}

interface Row {
  id: string | number;
  tx_id: string;
  name: string;
  at: string | Date;
  actor_account_id: string | null;
  actor_label: string;
  subject_type: string;
  subject_id: string;
  subject_label: string | null;
  master_reseller_id: string | null;
  reseller_id: string | null;
  enterprise_id: string | null;
  payload: Record<string, unknown>;
  horizon: string;
}

/**
 * The next events after `after`, oldest first, at most `limit`, and the cursor to continue from.
 *
 * Identity values are taken when a row is inserted, not when its transaction commits, so a
 * reader that followed ids alone would skip an event whose transaction commits after a later
 * one's. Events are therefore read in (transaction id, event id) order and only from
 * transactions older than the oldest one still running (`pg_snapshot_xmin`): every such
 * transaction has ended, so nothing can appear later below that horizon. A reader never misses
 * or repeats an event; it lags by the longest transaction running at the time (ADR 0014).
 * When the page is not full the cursor moves up to the horizon, so a filtered reader does not
 * scan the same non-matching events again.
 */
export async function readEvents(
  db: Db,
  after: EventCursor,
  filter: EventFilter = {},
  limit = 500,
): Promise<{ events: StoredEvent[]; cursor: EventCursor }> {
  const match = cursorPattern.exec(after);
  if (!match) throw new Error(`Not an event cursor: ${after}`);
  const [, afterTx, afterId] = match;
  const conditions: SQL[] = [
    sql`(e.tx_id, e.id) > (${afterTx}::xid8, ${afterId}::bigint)`,
    sql`e.tx_id < h.horizon`,
  ];
  if (filter.names) conditions.push(sql`e.name = ANY(${sql.param([...filter.names])}::text[])`);
  if (filter.masterResellerId)
    conditions.push(sql`e.master_reseller_id = ${filter.masterResellerId}`);
  if (filter.resellerId) conditions.push(sql`e.reseller_id = ${filter.resellerId}`);
  if (filter.enterpriseId) conditions.push(sql`e.enterprise_id = ${filter.enterpriseId}`);
  // One statement, so the horizon and the rows come from the same snapshot.
  const result = (await db.execute(sql`
    WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon)
    SELECT e.id, e.tx_id::text AS tx_id, e.name, e.at, e.actor_account_id, e.actor_label,
           e.subject_type, e.subject_id, e.subject_label, e.master_reseller_id, e.reseller_id,
           e.enterprise_id, e.payload, h.horizon::text AS horizon
    FROM h LEFT JOIN LATERAL (
      SELECT * FROM events e WHERE ${sql.join(conditions, sql` AND `)}
      ORDER BY e.tx_id, e.id LIMIT ${limit}
    ) e ON true`)) as unknown as { rows: Row[] };
  const rows = result.rows.filter((r) => r.id !== null);
  const horizon = result.rows[0]?.horizon;
  const events = rows.map((r) => ({
    id: Number(r.id),
    cursor: `${r.tx_id}.${r.id}`,
    name: r.name as EventName,
    at: new Date(r.at),
    actor: { accountId: r.actor_account_id, label: r.actor_label },
    subject: { type: r.subject_type, id: r.subject_id, label: r.subject_label },
    path: {
      masterResellerId: r.master_reseller_id,
      resellerId: r.reseller_id,
      enterpriseId: r.enterprise_id,
    },
    payload: r.payload,
  }));
  const last = events.at(-1)?.cursor ?? after;
  // Everything below the horizon has been read: continue from it (event ids start at 1).
  const cursor = events.length < limit && horizon ? later(last, `${horizon}.0`) : last;
  return { events, cursor };
}

/** The later of two cursors. */
function later(a: EventCursor, b: EventCursor): EventCursor {
  const [aTx, aId] = a.split(".").map(BigInt) as [bigint, bigint];
  const [bTx, bId] = b.split(".").map(BigInt) as [bigint, bigint];
  return aTx > bTx || (aTx === bTx && aId >= bId) ? a : b;
}
