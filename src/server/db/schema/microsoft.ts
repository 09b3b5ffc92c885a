import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { enterprises } from "./enterprises.ts";
import { invitations } from "./invitations.ts";

/**
 * One browser journey through Microsoft: registration (seed 3: sign-in, then admin consent), an
 * enterprise admin's portal sign-in, or a registered tenant's admin consent to the permissions
 * added since it registered (`enterprise_permissions`, admin consent only). Only the SHA-256 of
 * the `state` is stored; the PKCE verifier is sealed with APP_SECRET. A flow is single-use:
 * `usedAt` is set when it succeeds or fails, with `failure` naming why.
 */
export const microsoftFlows = pgTable(
  "microsoft_flows",
  {
    id: text("id").primaryKey(),
    purpose: text("purpose", {
      enum: ["enterprise_registration", "enterprise_sign_in", "enterprise_permissions"],
    }).notNull(),
    /**
     * The enterprise being registered or granting permissions; a portal sign-in learns its
     * enterprise from the tenant.
     */
    enterpriseId: text("enterprise_id").references(() => enterprises.id, { onDelete: "cascade" }),
    invitationId: text("invitation_id").references(() => invitations.id, { onDelete: "cascade" }),
    stateHash: text("state_hash").notNull(),
    /**
     * SHA-256 of the `tg_ms_flow` cookie of the browser that started the flow: Microsoft's
     * redirects are honoured only in that browser (no login CSRF with someone else's state).
     */
    browserBindingHash: text("browser_binding_hash"),
    /** The sign-in's nonce and sealed PKCE verifier; absent only from an admin consent alone. */
    nonce: text("nonce"),
    sealedCodeVerifier: text("sealed_code_verifier"),
    /** `finishing`: the admin consent came back, and Microsoft is still applying it. */
    round: text("round", { enum: ["sign_in", "admin_consent", "finishing"] })
      .notNull()
      .default("sign_in"),
    tenantId: text("tenant_id"),
    adminOid: text("admin_oid"),
    adminUpn: text("admin_upn"),
    adminName: text("admin_name"),
    adminRoles: text("admin_roles").array(),
    /**
     * Registration only: the Global Administrator's delegated Graph token from round 1 (sealed,
     * with its expiry), for the one directory write registration makes as that person. Cleared
     * when the flow ends.
     */
    sealedGraphToken: text("sealed_graph_token"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    failure: text("failure"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("microsoft_flows_state_key").on(t.stateHash),
    index("microsoft_flows_enterprise_idx").on(t.enterpriseId, t.createdAt),
    index("microsoft_flows_expires_idx").on(t.expiresAt),
    check(
      "microsoft_flows_sign_in_proof",
      sql`${t.purpose} = 'enterprise_permissions' OR (${t.nonce} IS NOT NULL AND ${t.sealedCodeVerifier} IS NOT NULL)`,
    ),
  ],
);
