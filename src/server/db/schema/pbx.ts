import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { pbxTypes } from "./catalog.ts";
import { enterprises } from "./enterprises.ts";

/**
 * An enterprise's PBX locations (SPEC §2.5): the SIP template of one PBX domain that the gateway
 * registers the enterprise's users to. The location name is unique in the enterprise whatever its
 * case. The API client secret is sealed (`seal`), never stored or returned in clear.
 */
export const pbxes = pgTable(
  "pbxes",
  {
    id: text("id").primaryKey(),
    enterpriseId: text("enterprise_id")
      .notNull()
      .references(() => enterprises.id, { onDelete: "cascade" }),
    pbxTypeId: text("pbx_type_id")
      .notNull()
      .references(() => pbxTypes.id),
    locationName: text("location_name").notNull(),
    dnsLookup: text("dns_lookup", { enum: ["A", "SRV", "NAPTR"] }).notNull(),
    sipDomain: text("sip_domain").notNull(),
    /** `host[:port]`; null: the SIP domain is resolved as the lookup type says. */
    sipProxy: text("sip_proxy"),
    transport: text("transport", { enum: ["udp", "tcp", "tls"] }).notNull(),
    /** Seconds the gateway asks the PBX to keep a registration. */
    registrationExpiry: integer("registration_expiry").notNull().default(3600),
    /** Offered in this order. */
    codecs: text("codecs").array().notNull(),
    dtmfMode: text("dtmf_mode", { enum: ["rfc2833", "info", "inband"] }).notNull(),
    voicemailFeatureCode: text("voicemail_feature_code"),
    /** The users' default caller-name policy (SPEC §2.6); `callerName` only with `OTHER`. */
    callerNamePolicy: text("caller_name_policy", { enum: ["TRANSPARENT", "OTHER"] })
      .notNull()
      .default("TRANSPARENT"),
    callerName: text("caller_name"),
    /** The users' default caller ID on forwarded calls (SPEC §2.6). */
    forwardedCallerId: text("forwarded_caller_id", { enum: ["USER_CALLER_ID", "TRANSPARENT"] })
      .notNull()
      .default("USER_CALLER_ID"),
    apiTokenUrl: text("api_token_url"),
    apiClientId: text("api_client_id"),
    /** Sealed with the application secret; null when none was given. */
    apiClientSecret: text("api_client_secret"),
    apiMasqueradingLogin: text("api_masquerading_login"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("pbxes_enterprise_location_name_key").on(
      t.enterpriseId,
      sql`lower(${t.locationName})`,
    ),
    index("pbxes_pbx_type_idx").on(t.pbxTypeId),
  ],
);
