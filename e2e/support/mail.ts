/** One message of the dev inbox (`/dev/mail/messages.json`), newest first. */
export interface InboxMessage {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
}

/** The captured messages sent to `to` (all when omitted), newest first; `baseUrl` is the inbox's. */
export async function listMail(baseUrl: string, to?: string): Promise<InboxMessage[]> {
  const query = to ? `?to=${encodeURIComponent(to.toLowerCase())}` : "";
  const response = await fetch(`${baseUrl}/dev/mail/messages.json${query}`);
  if (!response.ok) {
    throw new Error(
      `GET /dev/mail/messages.json answered ${response.status}: is the mail capture on?`,
    );
  }
  return ((await response.json()) as { items: InboxMessage[] }).items;
}

/**
 * Polls the dev inbox until a message to `to` arrives (optionally one matching `match`, or newer
 * than the message id `after`) and returns the newest such message; fails clearly on timeout.
 */
export async function waitForMail(
  baseUrl: string,
  to: string,
  options: { match?: (m: InboxMessage) => boolean; after?: string; timeoutMs?: number } = {},
): Promise<InboxMessage> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let seen: InboxMessage[] = [];
  for (;;) {
    seen = await listMail(baseUrl, to);
    const found = seen.find(
      (m) => (!options.after || m.id > options.after) && (!options.match || options.match(m)),
    );
    if (found) return found;
    if (Date.now() > deadline) {
      const subjects = seen.map((m) => `"${m.subject}"`).join(", ") || "none";
      throw new Error(
        `No matching e-mail to ${to} within ${timeoutMs / 1000} s (messages to it: ${subjects}). ` +
          `See ${baseUrl}/dev/mail.`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The invitation or activation code of a message ("Invitation code: XXXX-XXXX" in the text). */
export function invitationCode(message: InboxMessage): string {
  const match = /Invitation code:\s*([A-Z0-9]+(?:-[A-Z0-9]+)*)/i.exec(message.text);
  if (!match) throw new Error(`No invitation code in "${message.subject}":\n${message.text}`);
  return match[1]!;
}

/** The first http(s) link of a message's text body (the Complete / reset button's target). */
export function firstLink(message: InboxMessage): string {
  const match = /https?:\/\/[^\s<>"')]+/.exec(message.text);
  if (!match) throw new Error(`No link in "${message.subject}":\n${message.text}`);
  return match[0];
}
