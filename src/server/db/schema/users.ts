import {
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { enterprises } from "./enterprises.ts";

/**
 * The enterprise's Microsoft 365 users, synced from its tenant (SPEC §2.6): every user of the
 * tenant, or the transitive members of the chosen sync groups. A user who leaves the tenant or the
 * scope keeps its row with `removedAt` set (its PBX configuration, added later, is not lost).
 */
export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    /** The user's object id in the enterprise's tenant. */
    msObjectId: text("ms_object_id").notNull(),
    displayName: text("display_name").notNull(),
    userPrincipalName: text("user_principal_name").notNull(),
    mail: text("mail"),
    accountEnabled: boolean("account_enabled").notNull().default(true),
    /** An enabled Teams (TEAMS1) service plan. */
    teamsLicensed: boolean("teams_licensed").notNull().default(false),
    /** An enabled Teams Phone (MCOEV) service plan. */
    teamsPhoneLicensed: boolean("teams_phone_licensed").notNull().default(false),
    /** Set when the user left the tenant or the sync scope; null while present. */
    removedAt: timestamp("removed_at", { withTimezone: true }),
    /** The last sync run that saw the user (a full sync removes the rows it did not see). */
    lastSeenRunId: text("last_seen_run_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("users_enterprise_object_key").on(t.enterpriseId, t.msObjectId),
    // Listing by enterprise ordered by name; search (contains, case-insensitive) filters within
    // the enterprise's rows through it. No per-column search index: each costs every sync write.
    index("users_enterprise_name_idx").on(t.enterpriseId, t.displayName, t.id),
  ],
);

/** One row per enterprise: where its user sync stands (claimed by a conditional UPDATE). */
export const userSyncState = pgTable("user_sync_state", {
  enterpriseId: text("enterprise_id")
    .primaryKey()
    .references(() => enterprises.id, { onDelete: "cascade" }),
  status: text("status", { enum: ["idle", "queued", "running", "failed"] })
    .notNull()
    .default("idle"),
  /** The run holding the claim while `running`. */
  currentRunId: text("current_run_id"),
  /** Updated after every page of the running run; a claim older than 30 minutes may be taken over. */
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
  /** Graph's `@odata.deltaLink` for `/users/delta`, where the next delta round starts. */
  deltaLink: text("delta_link"),
  /** The sync scope the delta link belongs to: sorted group ids (empty = all users). */
  deltaScope: text("delta_scope").array(),
  lastFullSyncAt: timestamp("last_full_sync_at", { withTimezone: true }),
  lastSyncAt: timestamp("last_sync_at", { withTimezone: true }),
  lastError: text("last_error"),
  /** When the scheduler next syncs the enterprise. */
  nextDueAt: timestamp("next_due_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The history of user sync runs; the running one's counters are the progress. */
export const userSyncRuns = pgTable(
  "user_sync_runs",
  {
    id: text("id").primaryKey(),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    trigger: text("trigger", {
      enum: ["registration", "manual", "scheduled", "scope_changed"],
    }).notNull(),
    mode: text("mode", { enum: ["full", "delta"] }).notNull(),
    status: text("status", { enum: ["running", "succeeded", "failed"] })
      .notNull()
      .default("running"),
    seen: integer("seen").notNull().default(0),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    removed: integer("removed").notNull().default(0),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    error: text("error"),
  },
  (t) => [index("user_sync_runs_enterprise_idx").on(t.enterpriseId, t.startedAt)],
);

/**
 * Staging for the ids-only membership pass of a group-scoped delta run: the transitive members'
 * object ids, compared with `users` in SQL, then deleted. Never holds more than ids.
 */
export const userSyncMembers = pgTable(
  "user_sync_members",
  {
    runId: text("run_id")
      .notNull()
      .references(() => userSyncRuns.id, { onDelete: "cascade" }),
    msObjectId: text("ms_object_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.msObjectId] })],
);
