/** Audit actions of an enterprise, in words its admins and service provider read. */
const actionWords: Record<string, string> = {
  "enterprise.created": "Enterprise added",
  "enterprise.updated": "Enterprise details changed",
  "enterprise.disabled": "Enterprise disabled",
  "enterprise.enabled": "Enterprise enabled",
  "enterprise.invitation_resent": "Invitation resent",
  "enterprise.registration_started": "Registration started",
  "enterprise.registration_signed_in": "Signed in with Microsoft to register",
  "enterprise.registration_failed": "Registration failed",
  "enterprise.registered": "Registered with Microsoft 365",
  "enterprise.management_consent_granted": "Management consent granted",
  "enterprise.management_consent_revoked": "Management consent revoked",
  "enterprise.permissions_granted": "New Microsoft permissions granted",
  "enterprise.sync_groups_updated": "User groups changed",
  "enterprise.user_sync_requested": "User sync requested",
  "enterprise.direct_routing_requested": "Direct Routing set-up started",
  "enterprise.direct_routing_activated": "Direct Routing active",
  "enterprise.direct_routing_removal_requested": "Direct Routing removal started",
  "pbx.created": "PBX location added",
  "pbx.updated": "PBX location changed",
  "pbx.deleted": "PBX location deleted",
  "numbers.added": "Phone numbers added",
  "numbers.imported": "Phone numbers imported",
  "number.removed": "Phone number removed",
  "workflow.check_requested": "Check against the set-up requested",
  "workflow.drift_detected": "Tenant found changed since the set-up",
  "workflow.drift_cleared": "Tenant matches the set-up again",
  "workflow.repair_started": "Repair started",
  "enterprise_admin.signed_in": "Signed in to the enterprise portal",
  "enterprise_admin.sign_in_refused": "Sign-in to the enterprise portal refused",
};

/** "Management consent granted" for `enterprise.management_consent_granted`; a readable guess otherwise. */
export function actionInWords(action: string): string {
  const known = actionWords[action];
  if (known) return known;
  const words = (action.split(".").pop() ?? action).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "Name <e-mail>" split in two, for a narrow two-line display. */
export function splitActor(label: string): { name: string; email: string | null } {
  const match = /^(.*?)\s*<([^>]+)>$/.exec(label);
  return match
    ? { name: match[1] ?? label, email: match[2] ?? null }
    : { name: label, email: null };
}
