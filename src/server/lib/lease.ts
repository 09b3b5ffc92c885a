import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.ts";
import { affectedRows } from "./sql.ts";

/**
 * A lease: one owner at a time holds a row (a user sync of one enterprise, a workflow run, a
 * device) without holding a transaction open, and shows it is alive by renewing a heartbeat. A
 * lease whose heartbeat is older than `staleAfterMs` is stale: its owner is presumed dead (a
 * crashed worker) and anyone may take it over; the old owner learns it at its next renewal, which
 * fails, and must stop. Each step is one conditional UPDATE, so of two owners racing for a lease
 * exactly one wins, on PostgreSQL as on PGlite. The lease lives in three columns of the leased
 * row, which must exist: its key, its owner (null when free) and its heartbeat (timestamptz).
 */
export interface Lease {
  /** The column that finds the leased row. */
  key: PgColumn;
  /** Who holds the lease: any id unique to the holder (a run id, a node id); null when free. */
  owner: PgColumn;
  /** When the owner last showed it is alive. */
  heartbeat: PgColumn;
  /** A heartbeat older than this is stale: the lease may be taken over. */
  staleAfterMs: number;
}

/** One holder of a lease at one instant. */
export interface LeaseHolder {
  key: string;
  owner: string;
  now: Date;
}

/** The instant before which a heartbeat is stale. */
export function staleBefore(lease: Lease, now: Date): Date {
  return new Date(now.getTime() - lease.staleAfterMs);
}

/** `SET` targets are bare column names (a qualified name is not allowed there). */
const target = (column: PgColumn) => sql.identifier(column.name);

/**
 * Takes the lease when it is free, stale or already this owner's, and starts its heartbeat. `set`
 * adds assignments made with the claim (e.g. `status = 'running'`). True when the caller holds it.
 */
export async function acquireLease(
  db: Db,
  lease: Lease,
  holder: LeaseHolder,
  set?: SQL,
): Promise<boolean> {
  const { key, owner, heartbeat } = lease;
  const result = await db.execute(sql`
    UPDATE ${key.table}
    SET ${target(owner)} = ${holder.owner}, ${target(heartbeat)} = ${holder.now}${set ? sql`, ${set}` : sql``}
    WHERE ${key} = ${holder.key}
      AND (${owner} IS NULL OR ${owner} = ${holder.owner} OR ${heartbeat} IS NULL
           OR ${heartbeat} < ${staleBefore(lease, holder.now)})`);
  return affectedRows(result) > 0;
}

/**
 * The renewal as one statement, to run alone (`renewLease`) or inside a larger one (a CTE that
 * writes a page and renews in the same statement): it touches the row only while the owner holds
 * the lease. A stale lease nobody took over is still its owner's and renews.
 */
export function renewal(lease: Lease, holder: LeaseHolder): SQL {
  const { key, owner, heartbeat } = lease;
  return sql`UPDATE ${key.table} SET ${target(heartbeat)} = ${holder.now}
    WHERE ${key} = ${holder.key} AND ${owner} = ${holder.owner}`;
}

/** Renews the heartbeat; false when the lease was taken over (the caller must stop). */
export async function renewLease(db: Db, lease: Lease, holder: LeaseHolder): Promise<boolean> {
  return affectedRows(await db.execute(renewal(lease, holder))) > 0;
}

/**
 * Gives the lease up, with `set` written in the same statement (the outcome of the work it
 * guarded). Only its owner can; false when the lease had been taken over (nothing is written).
 */
export async function releaseLease(
  db: Db,
  lease: Lease,
  holder: Omit<LeaseHolder, "now">,
  set?: SQL,
): Promise<boolean> {
  const { key, owner, heartbeat } = lease;
  const result = await db.execute(sql`
    UPDATE ${key.table}
    SET ${target(owner)} = NULL, ${target(heartbeat)} = NULL${set ? sql`, ${set}` : sql``}
    WHERE ${key} = ${holder.key} AND ${owner} = ${holder.owner}`);
  return affectedRows(result) > 0;
}
