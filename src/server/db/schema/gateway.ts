import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { regions } from "./catalog.ts";

/**
 * An SBC gateway node of a region (SPEC §5, ADR 0019): a third kind of actor, which reads its
 * region's desired state from the gateway feed and reports registrations, CDRs and traces. It
 * authenticates with a bearer token shown once to the operator; only its SHA-256 is kept.
 */
export const gatewayNodes = pgTable(
  "gateway_nodes",
  {
    id: text("id").primaryKey(),
    regionId: text("region_id")
      .notNull()
      .references(() => regions.id),
    name: text("name").notNull(),
    /** SHA-256 (hex) of the node's token `gw.<id>.<secret>`. */
    tokenHash: text("token_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** The node's last authenticated request (written at most every few seconds). */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
    /** Revoked: its token no longer opens anything; the name stays taken. */
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("gateway_nodes_region_name_key").on(t.regionId, sql`lower(${t.name})`),
    uniqueIndex("gateway_nodes_token_hash_key").on(t.tokenHash),
  ],
);

/**
 * One call record per call and leg (SPEC §2.7), posted in batches by the node that carried it.
 * The identity id keeps inserts at the end of the index; `(call_id, leg)` makes a retried batch
 * a no-op. The tree position (`master_reseller_id`, `reseller_id`, `enterprise_id`) is copied
 * from the enterprise so each tier lists its subtree with one equality, by `(started_at, id)`.
 */
export const cdrs = pgTable(
  "cdrs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    callId: text("call_id").notNull(),
    leg: text("leg").notNull(),
    nodeId: text("node_id")
      .notNull()
      .references(() => gatewayNodes.id),
    regionId: text("region_id")
      .notNull()
      .references(() => regions.id),
    /** Null when the call could not be attributed (screening refused it, say). */
    masterResellerId: text("master_reseller_id"),
    resellerId: text("reseller_id"),
    enterpriseId: text("enterprise_id"),
    /** The calling user; kept as a plain id so the record outlives the user. */
    userId: text("user_id"),
    direction: text("direction", { enum: ["inbound", "outbound"] }).notNull(),
    caller: text("caller").notNull(),
    callee: text("callee").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }).notNull(),
    disposition: text("disposition", {
      enum: ["answered", "busy", "no_answer", "cancelled", "failed"],
    }).notNull(),
    sipCode: integer("sip_code"),
    sipReason: text("sip_reason"),
    hangupSide: text("hangup_side", { enum: ["caller", "callee", "gateway"] }),
    codec: text("codec"),
    durationSeconds: integer("duration_seconds").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("cdrs_call_leg_key").on(t.callId, t.leg),
    index("cdrs_started_idx").on(t.startedAt, t.id),
    index("cdrs_enterprise_idx").on(t.enterpriseId, t.startedAt, t.id),
    index("cdrs_reseller_idx").on(t.resellerId, t.startedAt, t.id),
    index("cdrs_master_reseller_idx").on(t.masterResellerId, t.startedAt, t.id),
  ],
);

/**
 * The bounded SIP trace of a call (SPEC §2.7): its messages per leg, at most
 * `maxTraceMessagesPerLeg` of at most `maxTraceMessageBytes` each; `(call_id, leg, seq)` makes a
 * retried batch a no-op.
 */
export const sipTraces = pgTable(
  "sip_traces",
  {
    callId: text("call_id").notNull(),
    leg: text("leg").notNull(),
    seq: integer("seq").notNull(),
    nodeId: text("node_id")
      .notNull()
      .references(() => gatewayNodes.id),
    regionId: text("region_id")
      .notNull()
      .references(() => regions.id),
    at: timestamp("at", { withTimezone: true }).notNull(),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    source: text("source").notNull(),
    destination: text("destination").notNull(),
    message: text("message").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.callId, t.leg, t.seq] }),
    // Retention: the oldest traces go first.
    index("sip_traces_received_idx").on(t.receivedAt),
  ],
);
