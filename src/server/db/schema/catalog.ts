import { sql } from "drizzle-orm";
import { boolean, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** SBC regions: one carrier trunk FQDN each (SPEC §2.3). */
export const regions = pgTable(
  "regions",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    carrierFqdn: text("carrier_fqdn").notNull(),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("regions_name_key").on(sql`lower(${t.name})`),
    uniqueIndex("regions_carrier_fqdn_key").on(t.carrierFqdn),
  ],
);

/**
 * PBX types offered to resellers; exactly one may be the default (partial unique index). A type
 * carries the defaults of the PBX location form (SPEC §2.3) and whether the PBX has an API, which
 * decides whether a location may hold API credentials.
 */
export const pbxTypes = pgTable(
  "pbx_types",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    label: text("label").notNull(),
    isDefault: boolean("is_default").notNull().default(false),
    isDisabled: boolean("is_disabled").notNull().default(false),
    hostingType: text("hosting_type", { enum: ["hosted", "on_premises"] })
      .notNull()
      .default("hosted"),
    defaultDnsLookup: text("default_dns_lookup", { enum: ["A", "SRV", "NAPTR"] })
      .notNull()
      .default("A"),
    defaultTransport: text("default_transport", { enum: ["udp", "tcp", "tls"] })
      .notNull()
      .default("udp"),
    defaultVoicemailFeatureCode: text("default_voicemail_feature_code"),
    hasApi: boolean("has_api").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("pbx_types_name_key").on(sql`lower(${t.name})`),
    uniqueIndex("pbx_types_single_default").on(t.isDefault).where(sql`${t.isDefault}`),
  ],
);
