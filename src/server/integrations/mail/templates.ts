import { escapeHtml } from "../../lib/html.ts";
import type { MailMessage } from "./mailer.ts";

function layout(
  title: string,
  paragraphs: string[],
  button: { label: string; url: string },
  code?: string,
) {
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1a1b1e;max-width:560px;margin:auto;padding:24px">
<h1 style="font-size:20px">${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n")}
${code ? `<p>Invitation code:</p><p style="font-size:24px;font-weight:bold;letter-spacing:2px;font-family:monospace" data-testid="invitation-code">${escapeHtml(code)}</p>` : ""}
<p><a href="${escapeHtml(button.url)}" style="display:inline-block;background:#1c7ed6;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${escapeHtml(button.label)}</a></p>
<p style="color:#868e96;font-size:12px">If the button does not work, open ${escapeHtml(button.url)}</p>
</body></html>`;
  const text = [
    title,
    "",
    ...paragraphs,
    "",
    ...(code ? [`Invitation code: ${code}`, ""] : []),
    `${button.label}: ${button.url}`,
    "",
  ].join("\n");
  return { html, text };
}

/** The activation e-mail of a master reseller or reseller (seed 2). */
export function activationMail(input: {
  to: string;
  organizationName: string;
  invitedBy: string;
  code: string;
  url: string;
  expiresAt: Date;
}): MailMessage {
  const body = layout(
    `Activate ${input.organizationName} on Teamgate`,
    [
      `${input.invitedBy} has created a Teamgate account for ${input.organizationName}.`,
      "Copy the invitation code below, click Complete, and choose your username and password.",
      `The code expires on ${input.expiresAt.toUTCString()}.`,
    ],
    { label: "Complete", url: input.url },
    input.code,
  );
  return {
    to: input.to,
    subject: `Activate your Teamgate account: ${input.organizationName}`,
    ...body,
  };
}

/** The invitation to the enterprise's Microsoft Global Administrator (seed 3). */
export function enterpriseInvitationMail(input: {
  to: string;
  enterpriseName: string;
  resellerName: string;
  code: string;
  url: string;
  expiresAt: Date;
}): MailMessage {
  const body = layout(
    `Connect ${input.enterpriseName} to Microsoft Teams`,
    [
      `${input.resellerName} invites you, as Microsoft Global Administrator of ${input.enterpriseName}, to connect your Microsoft Teams to their phone service.`,
      "Copy the invitation code below and click Complete. You will sign in with your Microsoft account and grant the permissions Teamgate needs.",
      `The code expires on ${input.expiresAt.toUTCString()}.`,
    ],
    { label: "Complete", url: input.url },
    input.code,
  );
  return {
    to: input.to,
    subject: `Invitation: connect ${input.enterpriseName} to Microsoft Teams`,
    ...body,
  };
}

export function passwordResetMail(input: {
  to: string;
  name: string;
  url: string;
  expiresAt: Date;
}): MailMessage {
  const body = layout(
    "Reset your Teamgate password",
    [
      `Hello ${input.name}, someone asked to reset the password of your Teamgate account.`,
      `If it was you, choose a new password with the button below before ${input.expiresAt.toUTCString()}. If not, ignore this e-mail.`,
    ],
    { label: "Choose a new password", url: input.url },
  );
  return { to: input.to, subject: "Reset your Teamgate password", ...body };
}
