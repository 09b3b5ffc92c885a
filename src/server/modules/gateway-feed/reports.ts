import { sql } from "drizzle-orm";
import {
  type BatchAccepted,
  type CdrRecord,
  type ItemResults,
  type LeasesResponse,
  maxTraceMessagesPerLeg,
  type RegistrationReport,
  type SipTraceMessage,
} from "../../../shared/contracts/gateway.ts";
import type { GatewayNodeActor } from "../../authz/actor.ts";
import type { Db } from "../../db/client.ts";
import { maxRegistrationEventsPerDevice } from "../../db/schema/index.ts";
import { affectedRows } from "../../lib/sql.ts";

/*
 * What gateway nodes write (SPEC §5), each call one set-based statement (registration reports
 * add a second, the history's pruning), idempotent, and scoped to the node's region: a device of
 * another region is answered as absent (404 per item).
 */

type Rows<T> = { rows: T[] };
const rowsOf = <T>(result: unknown) => (result as Rows<T>).rows;

const textArray = (values: readonly string[]) => sql`${sql.param([...values])}::text[]`;

/**
 * Grants this node leases on free or expired registrable devices of its region (or renews its
 * own), at most `max`, only among `deviceIds` when given. One conditional UPDATE: rows another
 * node is leasing at the same instant are skipped (`SKIP LOCKED`) and the condition is checked
 * again on the locked row, so no device is ever held by two nodes.
 */
export async function acquireLeases(
  db: Db,
  node: GatewayNodeActor,
  input: { deviceIds?: string[] | undefined; max: number },
  now: Date,
  leaseSeconds: number,
): Promise<LeasesResponse> {
  const expires = new Date(now.getTime() + leaseSeconds * 1000);
  const free = sql`(d.lease_node_id IS NULL OR d.lease_expires_at < ${now} OR d.lease_node_id = ${node.nodeId})`;
  const result = await db.execute(sql`
    UPDATE devices SET lease_node_id = ${node.nodeId}, lease_expires_at = ${expires}
    WHERE id IN (
      SELECT d.id FROM devices d
      JOIN calling_users cu ON cu.user_id = d.user_id
      JOIN enterprises e ON e.id = cu.enterprise_id
      WHERE cu.region_id = ${node.regionId} AND cu.deleted_at IS NULL AND cu.disabled_at IS NULL
        AND cu.calling_enabled AND cu.service = 'pbx' AND e.status <> 'disabled'
        AND ${free}
        ${input.deviceIds ? sql`AND d.id = ANY(${textArray(input.deviceIds)})` : sql``}
      ORDER BY d.id
      LIMIT ${input.max}
      FOR UPDATE OF d SKIP LOCKED
    )
    AND (lease_node_id IS NULL OR lease_expires_at < ${now} OR lease_node_id = ${node.nodeId})
    RETURNING id, lease_expires_at`);
  const leases = rowsOf<{ id: string; lease_expires_at: Date | string }>(result).map((r) => ({
    deviceId: r.id,
    expiresAt: new Date(r.lease_expires_at).toISOString(),
  }));
  const granted = new Set(leases.map((l) => l.deviceId));
  return {
    leases: leases.sort((a, b) => a.deviceId.localeCompare(b.deviceId)),
    lost: (input.deviceIds ?? []).filter((id) => !granted.has(id)),
    leasePeriodSeconds: leaseSeconds,
  };
}

/**
 * Extends this node's leases. A lease another node took over, or on a device that is no longer
 * registrable in the region (user moved, disabled, deleted), is `lost`: stop registering it.
 */
export async function renewLeases(
  db: Db,
  node: GatewayNodeActor,
  deviceIds: string[],
  now: Date,
  leaseSeconds: number,
): Promise<LeasesResponse> {
  const expires = new Date(now.getTime() + leaseSeconds * 1000);
  const result = deviceIds.length
    ? await db.execute(sql`
        UPDATE devices SET lease_expires_at = ${expires}
        WHERE id = ANY(${textArray(deviceIds)}) AND lease_node_id = ${node.nodeId}
          AND id IN (
            SELECT d.id FROM devices d
            JOIN calling_users cu ON cu.user_id = d.user_id
            JOIN enterprises e ON e.id = cu.enterprise_id
            WHERE cu.region_id = ${node.regionId} AND cu.deleted_at IS NULL
              AND cu.disabled_at IS NULL AND cu.calling_enabled AND cu.service = 'pbx'
              AND e.status <> 'disabled')
        RETURNING id, lease_expires_at`)
    : { rows: [] };
  const leases = rowsOf<{ id: string; lease_expires_at: Date | string }>(result).map((r) => ({
    deviceId: r.id,
    expiresAt: new Date(r.lease_expires_at).toISOString(),
  }));
  const renewed = new Set(leases.map((l) => l.deviceId));
  return {
    leases,
    lost: deviceIds.filter((id) => !renewed.has(id)),
    leasePeriodSeconds: leaseSeconds,
  };
}

/** Gives up this node's leases (other nodes may take them at once); others' are left alone. */
export async function releaseLeases(
  db: Db,
  node: GatewayNodeActor,
  deviceIds: string[],
  leaseSeconds: number,
): Promise<LeasesResponse> {
  const result = deviceIds.length
    ? await db.execute(sql`
        UPDATE devices SET lease_node_id = NULL, lease_expires_at = NULL
        WHERE id = ANY(${textArray(deviceIds)}) AND lease_node_id = ${node.nodeId}
        RETURNING id`)
    : { rows: [] };
  const released = new Set(rowsOf<{ id: string }>(result).map((r) => r.id));
  return {
    leases: [],
    lost: deviceIds.filter((id) => !released.has(id)),
    leasePeriodSeconds: leaseSeconds,
  };
}

/**
 * Applies registration reports: only from the node holding the device's lease (409 per item
 * otherwise), only for devices of its region (404), and a report older than the stored one is
 * acknowledged but changes nothing (a retried or reordered batch is harmless). Of several
 * reports on one device in a batch, the latest applies. Each applied report that changes the
 * state or SIP code (against the stored one, then the batch's previous one) adds a history row
 * in the same statement; a repeated state adds none. One transaction with the pruning.
 */
export async function applyRegistrationReports(
  db: Db,
  node: GatewayNodeActor,
  reports: RegistrationReport[],
  now: Date,
): Promise<ItemResults> {
  if (reports.length === 0) return { items: [] };
  const input = JSON.stringify(
    reports.map((r, ord) => ({
      device_id: r.deviceId,
      state: r.state,
      code: r.code ?? null,
      reason: r.reason ?? null,
      at: r.at,
      ord,
    })),
  );
  return db.transaction(async (tx) => {
    const result = await tx.execute(sql`
    WITH input AS (
      -- A node's clock ahead of ours must not hold back later reports: never after now.
      SELECT device_id, state, code, reason, LEAST(at, ${now}::timestamptz) AS at, ord
      FROM jsonb_to_recordset(${input}::jsonb)
        AS x(device_id text, state text, code int, reason text, at timestamptz, ord int)
    ), latest AS (
      SELECT DISTINCT ON (device_id) * FROM input ORDER BY device_id, at DESC, ord DESC
    ), scoped AS (
      -- The stored state is what a history row compares against; the lock makes it the state
      -- this statement's UPDATE replaces, even when a retried batch of the node races it, and
      -- taking the locks in id order keeps two such batches from deadlocking.
      SELECT d.id, d.lease_node_id, d.enterprise_id, d.registration_state, d.registration_code,
        d.registration_reported_at
      FROM devices d
      JOIN calling_users cu ON cu.user_id = d.user_id
      WHERE d.id IN (SELECT device_id FROM latest) AND cu.region_id = ${node.regionId}
        AND cu.deleted_at IS NULL
      ORDER BY d.id
      FOR UPDATE OF d
    ), updated AS (
      UPDATE devices d SET
        registration_state = l.state,
        registration_code = CASE WHEN l.state = 'registered' THEN NULL ELSE l.code END,
        registration_reason = CASE WHEN l.state = 'registered' THEN NULL ELSE l.reason END,
        registration_reported_at = l.at,
        last_registered_at = CASE WHEN l.state = 'registered' THEN l.at ELSE d.last_registered_at END,
        updated_at = ${now}
      FROM latest l
      WHERE d.id = l.device_id AND d.lease_node_id = ${node.nodeId}
        AND d.id IN (SELECT id FROM scoped)
        AND (d.registration_reported_at IS NULL OR d.registration_reported_at <= l.at)
      RETURNING d.id
    ), steps AS (
      -- Every report of an updated device not older than the stored one, in the order it
      -- happened, beside the one before it (the stored state for the first).
      SELECT i.device_id, i.state, i.at, i.ord,
        CASE WHEN i.state = 'registered' THEN NULL ELSE i.code END AS code,
        CASE WHEN i.state = 'registered' THEN NULL ELSE i.reason END AS reason,
        s.enterprise_id,
        COALESCE(LAG(i.state) OVER w, s.registration_state) AS prev_state,
        CASE WHEN ROW_NUMBER() OVER w = 1 THEN s.registration_code
          ELSE LAG(CASE WHEN i.state = 'registered' THEN NULL ELSE i.code END) OVER w
        END AS prev_code
      FROM input i
      JOIN updated u ON u.id = i.device_id
      JOIN scoped s ON s.id = i.device_id
      WHERE s.registration_reported_at IS NULL OR s.registration_reported_at <= i.at
      WINDOW w AS (PARTITION BY i.device_id ORDER BY i.at, i.ord)
    ), logged AS (
      INSERT INTO device_registration_events (device_id, enterprise_id, state, code, reason,
        node_id, at)
      SELECT device_id, enterprise_id, state, code, reason, ${node.nodeId}, at
      FROM steps
      WHERE (state, code) IS DISTINCT FROM (prev_state, prev_code)
      ORDER BY at, ord
      RETURNING device_id
    )
    SELECT s.id, (s.lease_node_id IS NOT DISTINCT FROM ${node.nodeId}) AS mine,
      EXISTS (SELECT 1 FROM logged l WHERE l.device_id = s.id) AS logged
    FROM scoped s`);
    const rows = rowsOf<{ id: string; mine: boolean; logged: boolean }>(result);
    // Bounded history: a statement does not see its own inserts, so the pruning is a second one,
    // set-based over the devices that just got events. It ranks their rows newest first on the
    // (device_id, at, id) index and deletes past the cap, so each device keeps its newest
    // `maxRegistrationEventsPerDevice`.
    const logged = rows.filter((r) => r.logged).map((r) => r.id);
    if (logged.length)
      await tx.execute(sql`
      DELETE FROM device_registration_events e USING (
        SELECT id, ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY at DESC, id DESC) AS n
        FROM device_registration_events WHERE device_id = ANY(${textArray(logged)})
      ) r
      WHERE e.id = r.id AND r.n > ${maxRegistrationEventsPerDevice}`);
    const found = new Map(rows.map((r) => [r.id, r.mine]));
    return {
      items: reports.map((r) => {
        const mine = found.get(r.deviceId);
        return { deviceId: r.deviceId, status: mine === undefined ? 404 : mine ? 200 : 409 };
      }),
    };
  });
}

/**
 * Stores call records once per (callId, leg): a retried batch adds nothing. The record is
 * attributed to its enterprise (and that enterprise's tree position) only when the enterprise is
 * related to the node's region, and to its user only when the user is configured in it.
 */
export async function storeCdrs(
  db: Db,
  node: GatewayNodeActor,
  records: CdrRecord[],
): Promise<BatchAccepted> {
  if (records.length === 0) return { accepted: 0, duplicates: 0 };
  const input = JSON.stringify(
    records.map((r, ord) => ({
      ord,
      call_id: r.callId,
      leg: r.leg,
      enterprise_id: r.enterpriseId ?? null,
      user_id: r.userId ?? null,
      direction: r.direction,
      caller: r.caller,
      callee: r.callee,
      started_at: r.startedAt,
      answered_at: r.answeredAt ?? null,
      ended_at: r.endedAt,
      disposition: r.disposition,
      sip_code: r.sipCode ?? null,
      sip_reason: r.sipReason ?? null,
      hangup_side: r.hangupSide ?? null,
      codec: r.codec ?? null,
      duration_seconds: r.durationSeconds,
    })),
  );
  const result = await db.execute(sql`
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS x(
        ord int, call_id text, leg text, enterprise_id text, user_id text, direction text, caller text,
        callee text, started_at timestamptz, answered_at timestamptz, ended_at timestamptz,
        disposition text, sip_code int, sip_reason text, hangup_side text, codec text,
        duration_seconds int)
    ), rel AS (
      SELECT e.id, e.reseller_id, e.master_reseller_id FROM enterprises e
      WHERE e.id IN (SELECT enterprise_id FROM x)
        AND (EXISTS (SELECT 1 FROM enterprise_regions er
                     WHERE er.enterprise_id = e.id AND er.region_id = ${node.regionId})
          OR EXISTS (SELECT 1 FROM direct_routes dr
                     WHERE dr.enterprise_id = e.id AND dr.region_id = ${node.regionId}))
    )
    INSERT INTO cdrs (call_id, leg, node_id, region_id, master_reseller_id, reseller_id,
      enterprise_id, user_id, direction, caller, callee, started_at, answered_at, ended_at,
      disposition, sip_code, sip_reason, hangup_side, codec, duration_seconds)
    SELECT x.call_id, x.leg, ${node.nodeId}, ${node.regionId}, rel.master_reseller_id,
      rel.reseller_id, rel.id, cu.user_id, x.direction, x.caller, x.callee, x.started_at,
      x.answered_at, x.ended_at, x.disposition, x.sip_code, x.sip_reason, x.hangup_side, x.codec,
      x.duration_seconds
    FROM x
    LEFT JOIN rel ON rel.id = x.enterprise_id
    LEFT JOIN calling_users cu ON cu.user_id = x.user_id AND cu.enterprise_id = rel.id
    ORDER BY x.ord
    ON CONFLICT (call_id, leg) DO NOTHING`);
  const accepted = affectedRows(result);
  return { accepted, duplicates: records.length - accepted };
}

/**
 * Stores SIP trace messages once per (callId, leg, seq); messages past the per-leg cap are
 * dropped (counted, not stored), so a trace stays bounded whatever a node sends.
 */
export async function storeSipTraces(
  db: Db,
  node: GatewayNodeActor,
  messages: SipTraceMessage[],
): Promise<BatchAccepted> {
  const kept = messages.filter((m) => m.seq < maxTraceMessagesPerLeg);
  const dropped = messages.length - kept.length;
  if (kept.length === 0) return { accepted: 0, duplicates: 0, dropped };
  const input = JSON.stringify(
    kept.map((m) => ({
      call_id: m.callId,
      leg: m.leg,
      seq: m.seq,
      at: m.at,
      direction: m.direction,
      source: m.source,
      destination: m.destination,
      message: m.message,
    })),
  );
  const result = await db.execute(sql`
    INSERT INTO sip_traces (call_id, leg, seq, node_id, region_id, at, direction, source,
      destination, message)
    SELECT x.call_id, x.leg, x.seq, ${node.nodeId}, ${node.regionId}, x.at, x.direction, x.source,
      x.destination, x.message
    FROM jsonb_to_recordset(${input}::jsonb) AS x(call_id text, leg text, seq int,
      at timestamptz, direction text, source text, destination text, message text)
    ON CONFLICT (call_id, leg, seq) DO NOTHING`);
  const accepted = affectedRows(result);
  return { accepted, duplicates: kept.length - accepted, dropped };
}
