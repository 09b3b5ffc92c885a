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

/** PBX types offered to resellers; exactly one may be the default (partial unique index). */
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
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("pbx_types_name_key").on(sql`lower(${t.name})`),
    uniqueIndex("pbx_types_single_default").on(t.isDefault).where(sql`${t.isDefault}`),
  ],
);
