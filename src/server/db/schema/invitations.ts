import { index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * An invitation to activate an organization or to register an enterprise. The link token and the
 * human-typable code are stored only as hashes; a resend revokes the previous row. The state of the
 * e-mail it produced is kept here so a failed delivery is visible on the record that caused it.
 */
export const invitations = pgTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["organization_activation", "enterprise_registration"] }).notNull(),
    targetId: text("target_id").notNull(),
    email: text("email").notNull(),
    tokenHash: text("token_hash").notNull(),
    codeHash: text("code_hash").notNull(),
    failedAttempts: integer("failed_attempts").notNull().default(0),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    mailState: text("mail_state", { enum: ["queued", "sent", "failed"] })
      .notNull()
      .default("queued"),
    mailError: text("mail_error"),
    mailSentAt: timestamp("mail_sent_at", { withTimezone: true }),
    createdBy: text("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("invitations_token_key").on(t.tokenHash),
    index("invitations_target_idx").on(t.targetId, t.createdAt),
  ],
);
