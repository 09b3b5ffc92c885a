import Fastify, { type FastifyInstance } from "fastify";
import { escapeHtml } from "../../lib/html.ts";
import type { MailCapture } from "./capture.ts";

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;color:#1a1b1e}header{background:#1c7ed6;color:#fff;padding:12px 24px}
main{padding:16px 24px}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:8px;border-bottom:1px solid #dee2e6}
a{color:#1c7ed6}iframe{width:100%;height:70vh;border:1px solid #dee2e6}pre{white-space:pre-wrap;background:#f8f9fa;padding:12px}</style>
</head><body><header><strong>Teamgate</strong> development inbox</header><main>${body}</main></body></html>`;
}

/** The message is shown in a frame; its links (Complete, reset password) must open the whole page. */
function withLinksOutsideFrame(html: string): string {
  const base = '<base target="_top">';
  for (const tag of [/<head[^>]*>/i, /<html[^>]*>/i]) {
    if (tag.test(html)) return html.replace(tag, (open) => `${open}${base}`);
  }
  return `${base}${html}`;
}

/**
 * The dev inbox: `/dev/mail` lists captured messages, `/dev/mail/:id` renders one (HTML in a
 * sandboxed frame, plus its text), `/dev/mail/messages.json` serves them to tests and scripts.
 */
export function inboxRoutes(capture: MailCapture) {
  return async (app: FastifyInstance) => {
    app.get("/dev/mail/messages.json", { schema: { hide: true } }, async (request) => {
      const to = (request.query as { to?: string }).to?.toLowerCase();
      return { items: capture.list().filter((m) => !to || m.to.includes(to)) };
    });
    app.get("/dev/mail", { schema: { hide: true } }, async (_request, reply) => {
      const rows = capture
        .list()
        .map(
          (m) =>
            `<tr><td>${escapeHtml(new Date(m.receivedAt).toLocaleString())}</td><td>${escapeHtml(m.to.join(", "))}</td><td><a href="/dev/mail/${escapeHtml(m.id)}">${escapeHtml(m.subject || "(no subject)")}</a></td></tr>`,
        )
        .join("");
      const body = rows
        ? `<h1>Inbox</h1><table><thead><tr><th scope="col">Received</th><th scope="col">To</th><th scope="col">Subject</th></tr></thead><tbody>${rows}</tbody></table>`
        : "<h1>Inbox</h1><p>No mail yet. Mail that Teamgate sends in development appears here.</p>";
      return reply.type("text/html").send(page("Inbox", body));
    });
    app.get("/dev/mail/:id/html", { schema: { hide: true } }, async (request, reply) => {
      const mail = capture.get((request.params as { id: string }).id);
      if (!mail?.html)
        return reply.code(404).send({ code: "not_found", message: "Message not found" });
      return reply
        .header(
          "content-security-policy",
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        )
        .type("text/html")
        .send(withLinksOutsideFrame(mail.html));
    });
    app.get("/dev/mail/:id", { schema: { hide: true } }, async (request, reply) => {
      const mail = capture.get((request.params as { id: string }).id);
      if (!mail)
        return reply
          .code(404)
          .type("text/html")
          .send(
            page(
              "Not found",
              '<p>Message not found. <a href="/dev/mail">Back to the inbox</a></p>',
            ),
          );
      const body = `<p><a href="/dev/mail">← Inbox</a></p><h1>${escapeHtml(mail.subject)}</h1>
<p><strong>From:</strong> ${escapeHtml(mail.from)}<br><strong>To:</strong> ${escapeHtml(mail.to.join(", "))}<br><strong>Received:</strong> ${escapeHtml(mail.receivedAt)}</p>
${mail.html ? `<iframe title="Message body" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" src="/dev/mail/${escapeHtml(mail.id)}/html"></iframe>` : ""}
<h2>Text</h2><pre>${escapeHtml(mail.text)}</pre>`;
      return reply.type("text/html").send(page(mail.subject, body));
    });
  };
}

export interface DevInbox {
  /** Base URL of the inbox origin (`http://127.0.0.1:<port>`); the inbox is at `/dev/mail`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the dev inbox on its own port bound to loopback, never on the portal's origin: whoever
 * reads the inbox can read every reset link, so only this machine may reach it.
 */
export async function startDevInbox(capture: MailCapture, port: number): Promise<DevInbox> {
  const app = Fastify();
  await app.register(inboxRoutes(capture));
  const host = "127.0.0.1";
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return { url: `http://${host}:${actualPort}`, close: () => app.close() };
}
