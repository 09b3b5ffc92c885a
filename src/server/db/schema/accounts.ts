import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { enterpriseAdmins } from "./enterprises.ts";
import { organizations } from "./organizations.ts";

/**
 * Every login e-mail of every tier, lower-cased, once (SPEC §1). Accounts, organizations awaiting
 * activation and enterprise admin e-mails all claim their address here, so uniqueness is enforced
 * by one primary key rather than by checks that can race.
 */
export const emailClaims = pgTable("email_claims", {
  email: text("email").primaryKey(),
  ownerType: text("owner_type", { enum: ["account", "organization", "enterprise"] }).notNull(),
  ownerId: text("owner_id").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Portal accounts (operator, master reseller and reseller admins). */
export const accounts = pgTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    email: text("email").notNull(),
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(),
    isFirstAdmin: boolean("is_first_admin").notNull().default(false),
    mustChangePassword: boolean("must_change_password").notNull().default(false),
    failedLoginCount: integer("failed_login_count").notNull().default(0),
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A deleted account gives its e-mail back (its claim is released too).
    uniqueIndex("accounts_email_key").on(t.email).where(sql`${t.deletedAt} is null`),
    uniqueIndex("accounts_username_key").on(sql`lower(${t.username})`),
    index("accounts_organization_idx").on(t.organizationId),
  ],
);

/**
 * Server-side sessions; only a SHA-256 of the cookie value is stored. A session belongs either to
 * a portal account or to an enterprise admin signed in with Microsoft, never both.
 */
export const sessions = pgTable(
  "sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    accountId: text("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    enterpriseAdminId: text("enterprise_admin_id").references(() => enterpriseAdmins.id, {
      onDelete: "cascade",
    }),
    csrfToken: text("csrf_token").notNull(),
    clientAddress: text("client_address"),
    userAgent: text("user_agent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("sessions_account_idx").on(t.accountId),
    index("sessions_enterprise_admin_idx").on(t.enterpriseAdminId),
    index("sessions_expires_idx").on(t.expiresAt),
    check("sessions_one_owner", sql`num_nonnulls(${t.accountId}, ${t.enterpriseAdminId}) = 1`),
  ],
);

/** Single-use password-reset tokens (hashed), sent by e-mail. */
export const passwordResets = pgTable("password_resets", {
  id: text("id").primaryKey(),
  accountId: text("account_id")
    .notNull()
    .references(() => accounts.id, { onDelete: "cascade" }),
  tokenHash: text("token_hash").notNull().unique(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
