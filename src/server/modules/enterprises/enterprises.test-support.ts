import type { MemoryMailer } from "../../../../test/harness.ts";

/** Test support: the code and link token of the latest invitation e-mail sent to an address. */
export function lastInvitationMail(mailer: MemoryMailer, email: string) {
  const mail = mailer.to(email).at(-1);
  if (!mail) throw new Error(`no e-mail was sent to ${email}`);
  const code = /Invitation code: ([A-Z0-9-]+)/.exec(mail.text)?.[1];
  const token = /\/complete\?token=([^\s"&]+)/.exec(mail.text)?.[1];
  if (!code || !token) throw new Error(`the e-mail to ${email} has no code or Complete link`);
  return { mail, code, token: decodeURIComponent(token) };
}

/** Test support: a valid "Add Enterprise" body using the given entitlements. */
export function enterpriseBody(
  n: string | number,
  entitlements: { regionIds: string[]; pbxTypeIds: string[] },
) {
  return {
    name: `Acme ${n}`,
    adminEmail: `ga-${n}@acme.example.com`,
    userLimit: 50,
    pbxMusicOnHold: true,
    accessSipData: false,
    requestManagementConsent: true,
    billingReference: `PO-${n}`,
    regionIds: entitlements.regionIds,
    services: ["PBX", "TRUNK"],
    pbxTypeIds: entitlements.pbxTypeIds,
  };
}
