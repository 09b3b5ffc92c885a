import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { regions } from "./catalog.ts";
import { enterprises } from "./enterprises.ts";
import { gatewayNodes } from "./gateway.ts";
import { pbxes } from "./pbx.ts";
import { users } from "./users.ts";

/** Where a user's push to Microsoft stands (SPEC §2.6 "Teams provisioning"). */
export const teamsPushStates = [
  /** Queued: the converge job will read Teams and apply the difference. */
  "pending",
  /** Waiting for an enterprise admin: the provider changed it without management consent. */
  "waiting",
  /** Teams holds what the configuration says. */
  "done",
  /** Microsoft refused; `teamsError` says why, Retry queues it again. */
  "failed",
] as const;

/** What the gateway last reported of a device's registration to the PBX. */
export const registrationStates = ["unknown", "registered", "failed", "unregistered"] as const;

/**
 * A synced user configured for calling (SPEC §2.6), one row per user: a PBX user (a device the
 * gateway registers to the PBX as the SIP user) or a trunk user (DIDs towards the provider's
 * trunk). Its rows count against the enterprise's user limit until deleted for good; a soft-deleted
 * row (`deletedAt`) is restorable until an enterprise admin next signs in.
 */
export const callingUsers = pgTable(
  "calling_users",
  {
    userId: text("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    service: text("service", { enum: ["pbx", "trunk"] }).notNull(),
    /** The PBX location (a location in use cannot be deleted). */
    pbxId: text("pbx_id")
      .notNull()
      .references(() => pbxes.id),
    /** The SBC region whose gateway nodes carry the user's calls and registration. */
    regionId: text("region_id")
      .notNull()
      .references(() => regions.id),
    /** `ext@domain`; unique in the enterprise whatever its case, disabled users included. */
    sipUser: text("sip_user"),
    /** E.164 from the enterprise's inventory, shown in Teams (a trunk user's default DID). */
    phoneNumber: text("phone_number").notNull(),
    /** A trunk user's other DIDs (E.164), forwarded to the trunk as the default one. */
    forwardedDids: text("forwarded_dids").array().notNull().default(sql`'{}'::text[]`),
    teamsVoicemail: boolean("teams_voicemail").notNull().default(false),
    assignDialPlan: boolean("assign_dial_plan").notNull().default(true),
    callerNamePolicy: text("caller_name_policy", { enum: ["TRANSPARENT", "OTHER"] })
      .notNull()
      .default("TRANSPARENT"),
    callerName: text("caller_name"),
    forwardedCallerId: text("forwarded_caller_id", { enum: ["USER_CALLER_ID", "TRANSPARENT"] })
      .notNull()
      .default("USER_CALLER_ID"),
    tag: text("tag"),
    /** Calls flow; false keeps everything but takes the number off Teams and the device offline. */
    callingEnabled: boolean("calling_enabled").notNull().default(true),
    /** Disabled user: keeps number and extension, no calls; only a disabled user can be deleted. */
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    /** Soft-deleted by a provider without management consent; restorable until purged. */
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    teamsState: text("teams_state", { enum: teamsPushStates }).notNull().default("pending"),
    /** Microsoft's words when the last push failed. */
    teamsError: text("teams_error"),
    /** When the configuration last changed what Teams should hold. */
    teamsRequestedAt: timestamp("teams_requested_at", { withTimezone: true }),
    /** When Teams last held everything the configuration says. */
    teamsAppliedAt: timestamp("teams_applied_at", { withTimezone: true }),
    /** The number Teams holds for the user as last read (null: none) and since when. */
    teamsNumber: text("teams_number"),
    teamsNumberAssignedAt: timestamp("teams_number_assigned_at", { withTimezone: true }),
    /** Whether the user holds our voice routing policy, and since when. */
    teamsPolicyGranted: boolean("teams_policy_granted").notNull().default(false),
    teamsPolicyGrantedAt: timestamp("teams_policy_granted_at", { withTimezone: true }),
    teamsAttempts: integer("teams_attempts").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("calling_users_enterprise_sip_user_key").on(
      t.enterpriseId,
      sql`lower(${t.sipUser})`,
    ),
    uniqueIndex("calling_users_phone_number_key").on(t.phoneNumber),
    index("calling_users_pbx_idx").on(t.pbxId),
    index("calling_users_region_idx").on(t.regionId, t.enterpriseId),
    index("calling_users_enterprise_idx").on(t.enterpriseId, t.teamsState),
  ],
);

/**
 * A PBX user's device: the SIP account the gateway registers to the PBX for the user (SPEC §2.6).
 * The password is sealed and leaves the platform only on the gateway feed. One node of the
 * user's region holds the lease and registers it; its reports are the registration state.
 */
export const devices = pgTable(
  "devices",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => callingUsers.userId, { onDelete: "cascade" }),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    /** The digest user name (often the extension). */
    sipAuthId: text("sip_auth_id").notNull(),
    /** Sealed with the application secret. */
    sipPassword: text("sip_password").notNull(),
    registrationState: text("registration_state", { enum: registrationStates })
      .notNull()
      .default("unknown"),
    /** The PBX's final answer to the last failed REGISTER, and its reason phrase. */
    registrationCode: integer("registration_code"),
    registrationReason: text("registration_reason"),
    /** When the gateway last reported, and when a REGISTER last succeeded. */
    registrationReportedAt: timestamp("registration_reported_at", { withTimezone: true }),
    lastRegisteredAt: timestamp("last_registered_at", { withTimezone: true }),
    /** The gateway node registering the device, until `leaseExpiresAt`. */
    leaseNodeId: text("lease_node_id"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("devices_user_key").on(t.userId),
    index("devices_enterprise_idx").on(t.enterpriseId),
  ],
);

/** How many registration events a device keeps; older ones are pruned as new ones arrive. */
export const maxRegistrationEventsPerDevice = 50;

/**
 * A device's registration history (SPEC §2.6, §5): one row each time a gateway report changed the
 * stored state or SIP code, written in the statement that applies the report. At most
 * `maxRegistrationEventsPerDevice` per device are kept; they go with the device. The identity id
 * orders events of the same instant.
 */
export const deviceRegistrationEvents = pgTable(
  "device_registration_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.id, { onDelete: "cascade" }),
    /** The device's enterprise, copied so every read filters on the tenant with one equality. */
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    state: text("state", { enum: registrationStates }).notNull(),
    /** A failure's SIP code and reason phrase (null once registered). */
    code: integer("code"),
    reason: text("reason"),
    /** The gateway node that reported it. */
    nodeId: text("node_id")
      .notNull()
      .references(() => gatewayNodes.id),
    /** When the node saw it (never after the time the report arrived). */
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("device_registration_events_device_idx").on(t.deviceId, t.at, t.id),
    index("device_registration_events_enterprise_idx").on(t.enterpriseId),
  ],
);

/**
 * A bulk upload of users (SPEC §2.6), once its whole file was validated: the job applies its rows
 * in set-based chunks, `applied` being the progress. The rows wait here (passwords sealed) until
 * the import ends, then are cleared.
 */
export const userImports = pgTable(
  "user_imports",
  {
    id: text("id").primaryKey(),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    service: text("service", { enum: ["pbx", "trunk"] }).notNull(),
    status: text("status", { enum: ["running", "succeeded", "failed"] })
      .notNull()
      .default("running"),
    /** Whether the uploader may act in the tenant: the users are pushed to Teams at once. */
    push: boolean("push").notNull(),
    total: integer("total").notNull(),
    applied: integer("applied").notNull().default(0),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    error: text("error"),
    /** The validated rows to apply (`ImportRow[]`); null once the import ended. */
    rows: jsonb("rows"),
    /** Who uploaded, as the audit log names them. */
    actorAccountId: text("actor_account_id"),
    actorLabel: text("actor_label").notNull(),
    clientAddress: text("client_address"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("user_imports_enterprise_idx").on(t.enterpriseId, t.startedAt)],
);
