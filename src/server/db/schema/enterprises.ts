import { sql } from "drizzle-orm";
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
import { pbxTypes, regions } from "./catalog.ts";
import { organizations } from "./organizations.ts";

/** One customer = one Microsoft 365 tenant (SPEC §2.2). */
export const enterprises = pgTable(
  "enterprises",
  {
    id: text("id").primaryKey(),
    resellerId: text("reseller_id")
      .notNull()
      .references(() => organizations.id),
    masterResellerId: text("master_reseller_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    adminEmail: text("admin_email").notNull(),
    userLimit: integer("user_limit"),
    pbxMusicOnHold: boolean("pbx_music_on_hold").notNull().default(false),
    accessSipData: boolean("access_sip_data").notNull().default(false),
    requestManagementConsent: boolean("request_management_consent").notNull().default(false),
    billingReference: text("billing_reference"),
    services: text("services").array().notNull().default(sql`'{}'::text[]`),
    status: text("status", { enum: ["invited", "registered", "active", "disabled"] })
      .notNull()
      .default("invited"),
    /** Status to return to on Enable; set while disabled. */
    statusBeforeDisable: text("status_before_disable", {
      enum: ["invited", "registered", "active"],
    }),
    tenantId: text("tenant_id"),
    /** When the Global Administrator completed both Microsoft rounds (seed 3). */
    registeredAt: timestamp("registered_at", { withTimezone: true }),
    /** The tenant's display name as Microsoft reported it with an app-only token. */
    tenantName: text("tenant_name"),
    /** The application permissions (app roles) the tenant granted in round 2. */
    grantedPermissions: text("granted_permissions").array(),
    /**
     * Management consent (SPEC §3.4): when requested, the enterprise admin may allow its service
     * provider to act on its behalf. Granted while `managementConsentGrantedAt` is set.
     */
    managementConsentGrantedAt: timestamp("management_consent_granted_at", { withTimezone: true }),
    /** Who granted it (the enterprise admin's name and sign-in). */
    managementConsentGrantedBy: text("management_consent_granted_by"),
    /** When an enterprise admin saved the user groups to sync (none chosen = all users). */
    syncGroupsChosenAt: timestamp("sync_groups_chosen_at", { withTimezone: true }),
    /**
     * The first label of the enterprise's derived trunk FQDNs (`<label>.<carrier trunk FQDN>`),
     * allocated once by Direct Routing and never reused by another enterprise.
     */
    directRoutingLabel: text("direct_routing_label"),
    /**
     * The tenant's Teams music on hold (global calling policy) before Direct Routing turned it off
     * for the PBX's; restored when the PBX's music on hold is turned off or Direct Routing removed.
     */
    teamsMusicOnHoldBefore: text("teams_music_on_hold_before", {
      enum: ["Enabled", "Disabled", "UserOverride"],
    }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("enterprises_name_key").on(sql`lower(${t.name})`),
    uniqueIndex("enterprises_tenant_key").on(t.tenantId),
    uniqueIndex("enterprises_direct_routing_label_key").on(t.directRoutingLabel),
    index("enterprises_reseller_idx").on(t.resellerId, t.createdAt, t.id),
    index("enterprises_master_reseller_idx").on(t.masterResellerId, t.createdAt, t.id),
    index("enterprises_created_idx").on(t.createdAt, t.id),
  ],
);

export const enterpriseRegions = pgTable(
  "enterprise_regions",
  {
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    regionId: text("region_id")
      .notNull()
      .references(() => regions.id),
    /** The region's place in the enterprise's list: 0 is the primary, then the failover order. */
    position: integer("position").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.enterpriseId, t.regionId] })],
);

export const enterprisePbxTypes = pgTable(
  "enterprise_pbx_types",
  {
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    pbxTypeId: text("pbx_type_id")
      .notNull()
      .references(() => pbxTypes.id),
  },
  (t) => [primaryKey({ columns: [t.enterpriseId, t.pbxTypeId] })],
);

/** Microsoft users who administer an enterprise (first: the Global Administrator who registered it). */
export const enterpriseAdmins = pgTable(
  "enterprise_admins",
  {
    id: text("id").primaryKey(),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    /** The user's object id in the enterprise's tenant. */
    oid: text("oid").notNull(),
    upn: text("upn"),
    name: text("name"),
    /** Directory role template ids (`wids`) held at the last sign-in. */
    roles: text("roles").array().notNull().default(sql`'{}'::text[]`),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("enterprise_admins_enterprise_oid_key").on(t.enterpriseId, t.oid)],
);

/** The tenant's groups whose members are synced; none = every user of the tenant (SPEC §2.6). */
export const enterpriseSyncGroups = pgTable(
  "enterprise_sync_groups",
  {
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    /** The group's object id in the tenant. */
    groupId: text("group_id").notNull(),
    displayName: text("display_name").notNull(),
    addedAt: timestamp("added_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.enterpriseId, t.groupId] })],
);
