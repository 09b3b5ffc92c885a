import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MailCapture, startMailCapture } from "./capture.ts";
import { inboxRoutes } from "./inbox.routes.ts";
import { createSmtpMailer } from "./mailer.ts";
import { activationMail } from "./templates.ts";

let dir: string;
let capture: MailCapture;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "teamgate-mail-"));
  capture = await startMailCapture({ port: 0, dir });
});
afterAll(async () => {
  await capture.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(to: string) {
  const mailer = createSmtpMailer(`smtp://127.0.0.1:${capture.port}`, "Teamgate <no-reply@test>");
  await mailer.send(
    activationMail({
      to,
      organizationName: "Northwind",
      invitedBy: "Operator",
      code: "ABCD-EFGH",
      url: "http://portal.test/activate?token=t0k3n",
      expiresAt: new Date("2030-01-01T00:00:00Z"),
    }),
  );
  mailer.close();
}

describe("development mail capture", () => {
  it("receives real SMTP deliveries with their text and HTML bodies", async () => {
    await send("Reseller@Example.com");
    const [mail] = capture.list();
    expect(mail).toMatchObject({
      to: ["reseller@example.com"],
      subject: expect.stringContaining("Northwind"),
    });
    expect(mail!.text).toContain("Invitation code: ABCD-EFGH");
    expect(mail!.html).toContain("http://portal.test/activate?token=t0k3n");
  });

  it("keeps what it captured across a restart", async () => {
    const again = await startMailCapture({ port: 0, dir });
    expect(again.list().map((m) => m.subject)).toEqual(capture.list().map((m) => m.subject));
    await again.close();
  });
});

describe("dev inbox", () => {
  it("lists messages, filters them by recipient, and opens links of a message outside its frame", async () => {
    await send("other@example.com");
    const app = Fastify();
    await app.register(inboxRoutes(capture));
    const page = await app.inject({ method: "GET", url: "/dev/mail" });
    expect(page.body).toContain("Activate your Teamgate account: Northwind");
    const json = await app.inject({
      method: "GET",
      url: "/dev/mail/messages.json?to=OTHER@example.com",
    });
    const items = json.json().items as { id: string; to: string[] }[];
    expect(items.map((m) => m.to)).toEqual([["other@example.com"]]);
    const html = await app.inject({ method: "GET", url: `/dev/mail/${items[0]!.id}/html` });
    // The body is shown in a frame: its links (Complete, reset password) must open the whole page.
    expect(html.body).toMatch(/<base target="_top">/);
    expect(html.headers["content-security-policy"]).toContain("default-src 'none'");
    await app.close();
  });
});
