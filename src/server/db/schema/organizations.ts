import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { pbxTypes, regions } from "./catalog.ts";

/**
 * The portal tiers above the enterprise: the operator, master resellers and resellers. A tree
 * through `parent_id`; `master_reseller_id` is denormalised so subtree filters are one equality.
 */
export const organizations = pgTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["operator", "master_reseller", "reseller"] }).notNull(),
    parentId: text("parent_id").references((): AnyPgColumn => organizations.id),
    masterResellerId: text("master_reseller_id").references((): AnyPgColumn => organizations.id),
    name: text("name").notNull(),
    contactName: text("contact_name"),
    email: text("email").notNull(),
    status: text("status", { enum: ["invited", "active", "disabled"] })
      .notNull()
      .default("invited"),
    services: text("services").array().notNull().default(sql`'{}'::text[]`),
    billingReference: text("billing_reference"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("organizations_sibling_name_key").on(
      sql`coalesce(${t.parentId}, '')`,
      t.kind,
      sql`lower(${t.name})`,
    ),
    index("organizations_parent_idx").on(t.parentId, t.createdAt),
  ],
);

/** SBC regions an organization may offer below it (SPEC §2.1 entitlements). */
export const organizationRegions = pgTable(
  "organization_regions",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    regionId: text("region_id")
      .notNull()
      .references(() => regions.id),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.regionId] })],
);

/** PBX types an organization may offer below it. */
export const organizationPbxTypes = pgTable(
  "organization_pbx_types",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    pbxTypeId: text("pbx_type_id")
      .notNull()
      .references(() => pbxTypes.id),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.pbxTypeId] })],
);
