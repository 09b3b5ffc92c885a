import { index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { enterprises } from "./enterprises.ts";
import { users } from "./users.ts";

/**
 * An enterprise's phone numbers (SPEC §2.7): E.164 (`+` and 8–15 digits). A number belongs to one
 * enterprise, so it is unique across the whole platform. A user configured for calling takes its
 * number (and a trunk user its forwarded DIDs) from here: `assigned` with `assignedUserId`.
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
    /** The user the number is assigned to. */
    assignedUserId: text("assigned_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("phone_numbers_number_key").on(t.number),
    index("phone_numbers_enterprise_number_idx").on(t.enterpriseId, t.number),
    index("phone_numbers_assigned_user_idx").on(t.assignedUserId),
  ],
);
