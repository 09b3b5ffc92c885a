import { sql } from "drizzle-orm";
import { bigint, customType, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** PostgreSQL's 64-bit transaction id (epoch-extended: it never wraps), as a decimal string. */
const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => "xid8",
});

/**
 * The ordered, typed record of every change (ADR 0014): the audit log, the activity feeds and the
 * consumers that follow it by cursor (the gateway feed, webhooks) read it. Written in the
 * transaction of the change, so an event exists if and only if its change committed. The path
 * columns (master reseller, reseller, enterprise) of the subject let each tier read exactly its
 * subtree with an equality filter.
 */
export const events = pgTable(
  "events",
  {
    /** Identity, increasing in insertion order; with `txId`, the cursor order. */
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /**
     * The writing transaction: events are read in (txId, id) order, and only below the oldest
     * transaction still running, so a reader never skips one that commits late.
     */
    txId: xid8("tx_id").notNull().default(sql`pg_current_xact_id()`),
    /** A name of the catalogue (`src/shared/events.ts`), e.g. `enterprise.created`. */
    name: text("name").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actorAccountId: text("actor_account_id"),
    actorLabel: text("actor_label").notNull(),
    clientAddress: text("client_address"),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    subjectLabel: text("subject_label"),
    masterResellerId: text("master_reseller_id"),
    resellerId: text("reseller_id"),
    enterpriseId: text("enterprise_id"),
    /** The event's payload, valid against its catalogue schema, secrets removed. */
    payload: jsonb("payload").notNull(),
  },
  (t) => [
    index("events_cursor_idx").on(t.txId, t.id),
    index("events_at_idx").on(t.at),
    index("events_master_reseller_idx").on(t.masterResellerId, t.at),
    index("events_reseller_idx").on(t.resellerId, t.at),
    // The enterprise's activity feed and an enterprise admin's view of the log.
    index("events_enterprise_idx").on(t.enterpriseId, t.at),
    index("events_subject_idx").on(t.subjectId, t.at),
  ],
);
