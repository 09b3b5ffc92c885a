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

  it("defaults Microsoft to the public cloud and leaves the integration off without credentials", () => {
    const parsed = parseEnv({});
    expect(parsed.ok && parsed.env).toMatchObject({
      MS_LOGIN_BASE: "https://login.microsoftonline.com",
      MS_GRAPH_BASE: "https://graph.microsoft.com",
      MS_KNOWN_AUTHORITIES: [],
      MS_REDIRECT_PATH: "/api/v1/microsoft/callback",
      MS_ADMIN_CONSENT_REDIRECT_PATH: "/api/v1/microsoft/admin-consent/callback",
    });
  });

  it("points Microsoft at other bases by configuration", () => {
    const parsed = parseEnv({
      MS_CLIENT_ID: "app",
      MS_CLIENT_SECRET: "secret",
      MS_LOGIN_BASE: "https://127.0.0.1:44301/",
      MS_GRAPH_BASE: "https://127.0.0.1:44302",
      MS_KNOWN_AUTHORITIES: " 127.0.0.1:44301 , login.example.net",
    });
    expect(parsed.ok && parsed.env).toMatchObject({
      MS_LOGIN_BASE: "https://127.0.0.1:44301",
      MS_KNOWN_AUTHORITIES: ["127.0.0.1:44301", "login.example.net"],
    });
  });

  it("refuses plain-HTTP Microsoft bases and a client id without its secret", () => {
    const parsed = parseEnv({ MS_CLIENT_ID: "app", MS_GRAPH_BASE: "http://graph.example.net" });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual(
      expect.arrayContaining([
        "MS_GRAPH_BASE: Must be an https:// URL",
        expect.stringMatching(/^MS_CLIENT_SECRET: /),
      ]),
    );
  });
});
