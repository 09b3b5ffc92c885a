import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Every change by any actor. The path columns (master reseller, reseller, enterprise) of the
 * target let each tier read exactly its subtree with an equality filter.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actorAccountId: text("actor_account_id"),
    actorLabel: text("actor_label").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    targetLabel: text("target_label"),
    masterResellerId: text("master_reseller_id"),
    resellerId: text("reseller_id"),
    enterpriseId: text("enterprise_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    clientAddress: text("client_address"),
  },
  (t) => [
    index("audit_at_idx").on(t.at),
    index("audit_master_reseller_idx").on(t.masterResellerId, t.at),
    index("audit_reseller_idx").on(t.resellerId, t.at),
    // The enterprise's activity feed and an enterprise admin's view of the log.
    index("audit_enterprise_idx").on(t.enterpriseId, t.at),
    index("audit_target_idx").on(t.targetId, t.at),
  ],
);
