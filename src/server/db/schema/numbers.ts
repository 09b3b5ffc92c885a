import { index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { enterprises } from "./enterprises.ts";

/**
 * An enterprise's phone numbers (SPEC §2.7): E.164 (`+` and 8–15 digits). A number belongs to one
 * enterprise, so it is unique across the whole platform. `assignedUserId` has no foreign key yet:
 * users do not take numbers until the users issue adds the reference.
 */
export const phoneNumbers = pgTable(
  "phone_numbers",
  {
    id: text("id").primaryKey(),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    number: text("number").notNull(),
    capability: text("capability", { enum: ["voice"] })
      .notNull()
      .default("voice"),
    state: text("state", { enum: ["available", "assigned"] })
      .notNull()
      .default("available"),
    /** The user the number is assigned to (no foreign key until users take numbers). */
    assignedUserId: text("assigned_user_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("phone_numbers_number_key").on(t.number),
    index("phone_numbers_enterprise_number_idx").on(t.enterpriseId, t.number),
  ],
);
