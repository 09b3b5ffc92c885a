import { z } from "zod";

/**
 * The catalogue of events: every change the platform records, by dotted name, with the schema of
 * its payload. An event is written in the transaction of its change (`ctx.emit`); the audit log,
 * the activity feeds and the consumers that follow the log by cursor read it. A payload that
 * describes a change carries `before` and `after` (the fields that changed, or a snapshot); a
 * payload that records a fact carries its fields. Secrets never appear: keys that look like one
 * are removed before the payload is checked.
 */

/** A record as it was or is: the fields an audit reader needs to see what changed. */
const snapshot = z.record(z.string(), z.unknown());
const status = z.object({ status: z.string() });
const invitationSent = z.object({ after: z.object({ email: z.string(), expiresAt: z.string() }) });
const statusChange = z.object({ before: status, after: status });
const rowChange = z.object({ before: snapshot, after: snapshot });
const created = z.object({ after: snapshot });
const nothing = z.object({});

/** What happens to an organization, the same for every kind. */
const organizationEventSchemas = {
  created,
  updated: rowChange,
  disabled: statusChange,
  enabled: statusChange,
  invitation_resent: invitationSent,
  activated: z.object({
    before: status,
    after: status.extend({
      firstAdmin: z.object({ id: z.string(), username: z.string(), email: z.string() }),
    }),
  }),
} as const;
type OrganizationEvents<K extends string> = {
  [E in keyof typeof organizationEventSchemas as `${K}.${E}`]: (typeof organizationEventSchemas)[E];
};

/** An organization kind's events, named `<kind>.<event>`. */
function organizationEvents<K extends "operator" | "master_reseller" | "reseller">(
  kind: K,
): OrganizationEvents<K> {
  return Object.fromEntries(
    Object.entries(organizationEventSchemas).map(([event, schema]) => [`${kind}.${event}`, schema]),
  ) as OrganizationEvents<K>;
}

/** A workflow run's transitions (`src/server/workflows/`): the subject is the run's subject. */
const workflowFact = z.object({ runId: z.string(), workflow: z.string() });
const stepFact = workflowFact.extend({ stepId: z.string(), attempt: z.number().int() });
const workflowEvents = {
  "workflow.started": workflowFact,
  "workflow.step_succeeded": stepFact,
  "workflow.step_waiting": stepFact.extend({ reason: z.string(), until: z.string() }),
  "workflow.step_failed": stepFact.extend({
    error: z.string(),
    correlationId: z.string().nullable(),
  }),
  "workflow.step_undone": stepFact,
  "workflow.succeeded": workflowFact,
  "workflow.failed": workflowFact.extend({ stepId: z.string() }),
  "workflow.retried": workflowFact.extend({ stepId: z.string() }),
  "workflow.undo_started": workflowFact,
  "workflow.undone": workflowFact,
  "workflow.check_requested": workflowFact,
  "workflow.drift_detected": workflowFact.extend({
    drift: z.array(z.object({ stepId: z.string(), differences: z.array(z.string()) })),
  }),
  "workflow.drift_cleared": workflowFact,
  "workflow.repair_started": workflowFact.extend({ stepIds: z.array(z.string()) }),
} as const;

export const eventCatalogue = {
  "account.created": z.object({
    after: z.object({
      email: z.string(),
      username: z.string(),
      name: z.string().optional(),
      organizationId: z.string().optional(),
      role: z.string().optional(),
      mustChangePassword: z.boolean().optional(),
    }),
  }),
  "account.deleted": z.object({
    before: z.object({ name: z.string(), email: z.string(), username: z.string() }),
    after: z.object({ deletedAt: z.string() }),
  }),
  "account.locked": z.object({ after: z.object({ lockedForMinutes: z.number() }) }),
  "account.password_changed": nothing,
  "account.password_reset": nothing,
  "account.password_reset_requested": nothing,
  "account.password_reset_by_admin": z.object({
    before: z.object({ mustChangePassword: z.boolean(), lockedUntil: z.string().nullable() }),
    after: z.object({ mustChangePassword: z.boolean(), lockedUntil: z.null() }),
  }),

  ...organizationEvents("operator"),
  ...organizationEvents("master_reseller"),
  ...organizationEvents("reseller"),

  "enterprise.created": created,
  "enterprise.updated": rowChange,
  "enterprise.disabled": statusChange,
  "enterprise.enabled": statusChange,
  "enterprise.invitation_resent": invitationSent,
  "enterprise.registration_started": z.object({ after: z.object({ flowId: z.string() }) }),
  "enterprise.registration_signed_in": z.object({
    after: z.object({
      tenantId: z.string(),
      adminOid: z.string(),
      adminUpn: z.string().nullable(),
    }),
  }),
  "enterprise.registration_failed": z.object({
    after: z.object({
      reason: z.string(),
      round: z.string(),
      tenantId: z.string().nullable(),
      detail: z.string().optional(),
    }),
  }),
  "enterprise.registered": z.object({
    before: status,
    after: status.extend({
      tenantId: z.string(),
      tenantName: z.string(),
      grantedPermissions: z.array(z.string()),
      teamsAdminRole: z.object({ state: z.string(), error: z.string().nullish() }),
      admin: z.object({ oid: z.string().nullable(), upn: z.string().nullable() }),
    }),
  }),
  // Recorded before the role became a workflow (now `workflow.retried`); kept for the history.
  "enterprise.teams_admin_role_retried": z.object({
    before: z.object({ teamsAdminRole: z.string(), error: z.string().nullable() }),
    after: z.object({ teamsAdminRole: z.string() }),
  }),
  "enterprise.management_consent_granted": z.object({
    before: z.object({ managementConsent: z.string() }),
    after: z.object({ managementConsent: z.string() }),
  }),
  "enterprise.management_consent_revoked": z.object({
    before: z.object({ managementConsent: z.string() }),
    after: z.object({ managementConsent: z.string() }),
  }),
  /** The tenant's admin consent again granted what Teamgate's application lists now. */
  "enterprise.permissions_granted": z.object({
    before: z.object({ grantedPermissions: z.array(z.string()) }),
    after: z.object({ grantedPermissions: z.array(z.string()) }),
  }),
  "enterprise.sync_groups_updated": z.object({
    before: z.object({ groups: z.array(z.string()) }),
    after: z.object({ groups: z.array(z.string()) }),
  }),
  "enterprise.user_sync_requested": nothing,
  /** "Set up Direct Routing" pressed: the workflow started for these derived trunk FQDNs. */
  "enterprise.direct_routing_requested": z.object({ after: z.object({ runId: z.string() }) }),
  /** "Remove Direct Routing" pressed: its set-up is being undone, last step first. */
  "enterprise.direct_routing_removal_requested": z.object({
    after: z.object({ runId: z.string() }),
  }),
  /** The derived trunks carry calls: the voice route names them; the enterprise is active. */
  "enterprise.direct_routing_activated": z.object({
    before: status,
    after: status.extend({ fqdns: z.array(z.string()) }),
  }),

  "enterprise_admin.signed_in": z.object({
    after: z.object({ oid: z.string(), upn: z.string().nullable(), roles: z.array(z.string()) }),
  }),
  "enterprise_admin.sign_in_refused": z.object({
    after: z.object({ oid: z.string(), upn: z.string().nullable(), reason: z.string() }),
  }),

  ...workflowEvents,

  /** PBX locations (SPEC §2.5); the API client secret appears only as `hasApiClientSecret`. */
  "pbx.created": created,
  "pbx.updated": rowChange,
  "pbx.deleted": z.object({ before: snapshot }),
  /** Phone numbers (SPEC §2.7): a single number or a range, and a CSV import, by count and bounds. */
  "numbers.added": z.object({
    after: z.object({ count: z.number().int(), first: z.string(), last: z.string() }),
  }),
  "numbers.imported": z.object({
    after: z.object({ count: z.number().int(), first: z.string(), last: z.string() }),
  }),
  "number.removed": z.object({ before: snapshot }),
  /**
   * Users configured for calling (SPEC §2.6): the subject is the user; the SIP password never
   * appears (only that it changed). `teams_pushed` / `teams_push_failed` record what Microsoft did.
   */
  "user.calling_configured": created,
  "user.calling_updated": rowChange,
  "user.sip_password_changed": nothing,
  "user.calling_disabled": nothing,
  "user.calling_enabled": nothing,
  "user.disabled": nothing,
  "user.enabled": nothing,
  "user.calling_deleted": z.object({ before: snapshot, after: z.object({ soft: z.boolean() }) }),
  "user.calling_restored": nothing,
  "user.teams_push_requested": nothing,
  "user.teams_pushed": z.object({
    after: z.object({ number: z.string().nullable(), policyGranted: z.boolean() }),
  }),
  "user.teams_push_failed": z.object({ after: z.object({ error: z.string() }) }),
  "pbx_type.created": created,
  "pbx_type.updated": rowChange,
  "region.created": created,
  "region.updated": rowChange,
  /** SBC gateway nodes (ADR 0019): the subject is the node; its token never appears. */
  "gateway_node.created": z.object({
    after: z.object({ regionId: z.string(), name: z.string() }),
  }),
  "gateway_node.revoked": z.object({
    after: z.object({ regionId: z.string(), name: z.string() }),
  }),
} as const;

export type EventName = keyof typeof eventCatalogue;
export type EventPayload<N extends EventName> = z.input<(typeof eventCatalogue)[N]>;

export const eventNames = Object.keys(eventCatalogue) as EventName[];

export function isEventName(value: string): value is EventName {
  return Object.hasOwn(eventCatalogue, value);
}
