import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEnv } from "../../test/harness.ts";
import { type RunningProcess, startProcess } from "./start.ts";

/**
 * Issue 7: whoever reads the dev inbox reads every reset link, so it is served on its own loopback
 * port (MAIL_INBOX_PORT), never on the portal's origin.
 */

let dir: string;
let running: RunningProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "teamgate-start-"));
  running = await startProcess(
    testEnv({
      NODE_ENV: "development",
      DATA_DIR: dir,
      PORT: "0",
      MAIL_CAPTURE_PORT: "0",
      MAIL_INBOX_PORT: "0",
    }),
    ["api", "mail"],
    { quiet: true },
  );
}, 120_000);
afterAll(async () => {
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the dev inbox", () => {
  it("is not on the portal's origin", async () => {
    await running.services.mailer.send({
      to: "victim@example.com",
      subject: "Reset your Teamgate password",
      text: "http://localhost/reset-password?token=secret-link",
      html: "<p>reset</p>",
    });
    for (const url of ["/dev/mail", "/dev/mail/messages.json?to=victim@example.com"]) {
      const res = await running.app!.inject({ method: "GET", url });
      // 404, or the portal's own page when the web app is built (its client-side "not found"):
      // never the inbox nor a message.
      expect([200, 404], url).toContain(res.statusCode);
      if (res.statusCode === 200) expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      expect(res.body, url).not.toContain("development inbox");
      expect(res.body, url).not.toContain("secret-link");
      expect(res.body, url).not.toContain("Reset your Teamgate password");
    }
  });

  it("is on its own origin, bound to loopback, and shows what was sent", async () => {
    expect(running.inbox!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await running.services.mailer.send({
      to: "someone@example.com",
      subject: "Reset your Teamgate password",
      text: "http://localhost/reset-password?token=abc",
      html: "<p>reset</p>",
    });
    const res = await fetch(`${running.inbox!.url}/dev/mail/messages.json?to=someone@example.com`);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { subject: string }[] };
    expect(items.map((m) => m.subject)).toContain("Reset your Teamgate password");
    const page = await fetch(`${running.inbox!.url}/dev/mail`);
    expect(await page.text()).toContain("development inbox");
  });
});

describe("DNS with the emulator role", () => {
  let emulatorDir: string;
  let withEmulator: RunningProcess;

  beforeAll(async () => {
    emulatorDir = mkdtempSync(join(tmpdir(), "teamgate-start-dns-"));
    withEmulator = await startProcess(
      testEnv({
        NODE_ENV: "development",
        DATA_DIR: emulatorDir,
        PORT: "0",
        EMULATOR_LOGIN_PORT: "0",
        EMULATOR_GRAPH_PORT: "0",
      }),
      ["emulator"],
      { quiet: true },
    );
  }, 120_000);
  afterAll(async () => {
    await withEmulator?.stop();
    rmSync(emulatorDir, { recursive: true, force: true });
  });

  it("publishes the TXT records to the emulator this process runs", async () => {
    const { dns } = withEmulator.services;
    expect(dns?.kind).toBe("emulator");
    await dns!.publishTxt("customer1.sbc.example.net", "MS=ms12345678");
    expect(withEmulator.emulator!.control.txtValues("customer1.sbc.example.net")).toEqual([
      "MS=ms12345678",
    ]);
    expect(withEmulator.services.env.DNS_EMULATOR_URL).toBe(withEmulator.emulator!.loginUrl);
  });

  it("has no DNS without an emulator", () => {
    expect(running.services.dns).toBeNull();
  });
});
