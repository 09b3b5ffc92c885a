import type { MemoryMailer } from "../../../../test/harness.ts";

/** Test support: the code and link token of the latest activation e-mail sent to an address. */
export function lastActivationMail(mailer: MemoryMailer, email: string) {
  const mail = mailer.to(email).at(-1);
  if (!mail) throw new Error(`no e-mail was sent to ${email}`);
  const code = /Invitation code: ([A-Z0-9-]+)/.exec(mail.text)?.[1];
  const token = /\/activate\?token=([^\s"&]+)/.exec(mail.text)?.[1];
  if (!code || !token) throw new Error(`the e-mail to ${email} has no code or activation link`);
  return { mail, code, token: decodeURIComponent(token) };
}

let sequence = 0;
/** Test support: a fresh, unique suffix for names and e-mails. */
export const unique = () => `${Date.now().toString(36)}${(sequence++).toString(36)}`;

/** Test support: a valid "Add Reseller" body. */
export function resellerBody(n: string, overrides: Record<string, unknown> = {}) {
  return {
    name: `Reseller ${n}`,
    email: `reseller-${n}@partner.example.com`,
    services: ["TRUNK", "PBX"],
    billingReference: `BR-${n}`,
    ...overrides,
  };
}

/** Test support: a valid master reseller body. */
export function masterBody(n: string, overrides: Record<string, unknown> = {}) {
  return {
    companyName: `Partner ${n}`,
    adminName: `Pat Partner ${n}`,
    email: `master-${n}@partner.example.com`,
    ...overrides,
  };
}
