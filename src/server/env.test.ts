import { describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";

describe("parseEnv", () => {
  it("gives working defaults for the embedded development mode", () => {
    const parsed = parseEnv({});
    expect(parsed.ok && parsed.env).toMatchObject({
      PORT: 3000,
      DATA_DIR: "./data",
      INVITATION_TTL_DAYS: 7,
      NODE_ENV: "development",
    });
  });

  it("reports every problem at once", () => {
    const parsed = parseEnv({
      PORT: "http",
      DATABASE_URL: "mysql://x",
      NODE_ENV: "production",
      SMTP_URL: "mail.example.com",
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        "DATABASE_URL: Must be a postgres:// URL",
        "SMTP_URL: Must be an smtp:// or smtps:// URL",
        "APP_SECRET: Required in production",
        "PUBLIC_URL: Required in production",
      ]),
    );
  });

  it("never defaults a secret", () => {
    const parsed = parseEnv({});
    expect(parsed.ok && parsed.env.APP_SECRET).toBeUndefined();
  });
});
