import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { regions } from "./catalog.ts";
import { enterprises } from "./enterprises.ts";

/** How far Microsoft has come with a derived trunk domain (SPEC §2.4). */
export const domainStates = ["pending", "added", "txt_published", "verified", "activated"] as const;

/**
 * An enterprise's derived trunk in one SBC region (SPEC §2.4): `<label>.<region's carrier trunk
 * FQDN>`, the domain Microsoft routes the tenant's calls to. Rows are written by the Direct
 * Routing workflow; `priority` 0 is the primary region, then the failover order of the voice route.
 */
export const directRoutes = pgTable(
  "direct_routes",
  {
    id: text("id").primaryKey(),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    regionId: text("region_id")
      .notNull()
      .references(() => regions.id),
    fqdn: text("fqdn").notNull(),
    priority: integer("priority").notNull(),
    domainState: text("domain_state", { enum: domainStates }).notNull().default("pending"),
    /** `active` once calls can be routed to it: the voice route names it. */
    status: text("status", { enum: ["provisioning", "active", "removing"] })
      .notNull()
      .default("provisioning"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("direct_routes_fqdn_key").on(sql`lower(${t.fqdn})`),
    uniqueIndex("direct_routes_enterprise_region_key").on(t.enterpriseId, t.regionId),
    index("direct_routes_region_idx").on(t.regionId),
  ],
);
