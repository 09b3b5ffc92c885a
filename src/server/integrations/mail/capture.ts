import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** One captured message, as the dev inbox shows it. */
export interface CapturedMail {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
}

export interface MailCapture {
  port: number;
  list(): CapturedMail[];
  get(id: string): CapturedMail | undefined;
  clear(): void;
  close(): Promise<void>;
}

const maxKept = 500;

/**
 * A development SMTP server that keeps what it receives (newest first, bounded) and, when given a
 * directory, writes each message there so the inbox survives a restart. Never for production.
 */
export async function startMailCapture(options: {
  port: number;
  host?: string;
  dir?: string;
}): Promise<MailCapture> {
  const messages: CapturedMail[] = [];
  if (options.dir) {
    mkdirSync(options.dir, { recursive: true });
    for (const file of readdirSync(options.dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .reverse()
      .slice(0, maxKept)) {
      messages.push(JSON.parse(readFileSync(join(options.dir, file), "utf8")) as CapturedMail);
    }
  }
  let sequence = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    banner: "Teamgate development mail capture",
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const receivedAt = new Date();
          const mail: CapturedMail = {
            id: `${receivedAt.getTime().toString().padStart(14, "0")}-${(sequence++).toString().padStart(4, "0")}`,
            receivedAt: receivedAt.toISOString(),
            from: parsed.from?.text ?? session.envelope.mailFrom?.toString() ?? "",
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : null,
          };
          messages.unshift(mail);
          messages.length = Math.min(messages.length, maxKept);
          if (options.dir)
            writeFileSync(join(options.dir, `${mail.id}.json`), JSON.stringify(mail));
          callback();
        })
        .catch((e: Error) => callback(e));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    list: () => [...messages],
    get: (id) => messages.find((m) => m.id === id),
    clear: () => {
      messages.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
