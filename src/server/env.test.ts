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

  it("defaults DNS to the emulator adapter, off until an emulator is given", () => {
    const parsed = parseEnv({});
    expect(parsed.ok && parsed.env).toMatchObject({
      DNS_ADAPTER: "emulator",
      DNS_RFC2136_PORT: 53,
      DNS_TSIG_ALGORITHM: "hmac-sha256",
    });
    expect(parsed.ok && parsed.env.DNS_EMULATOR_URL).toBeUndefined();
    expect(parsed.ok && parsed.env.DNS_TSIG_SECRET).toBeUndefined();
    const emulator = parseEnv({
      DNS_EMULATOR_URL: "https://127.0.0.1:4431/",
      DNS_EMULATOR_CA_FILE: "./data/emulator/ca.pem",
    });
    expect(emulator.ok && emulator.env.DNS_EMULATOR_URL).toBe("https://127.0.0.1:4431");
  });

  const secret = Buffer.alloc(32, 3).toString("base64");

  it("reads the rfc2136 adapter's server, zone and TSIG key", () => {
    const parsed = parseEnv({
      DNS_ADAPTER: "rfc2136",
      DNS_RFC2136_SERVER: "ns1.example.net",
      DNS_RFC2136_PORT: "5353",
      DNS_RFC2136_ZONE: "sbc.example.net.",
      DNS_TSIG_KEY_NAME: "teamgate-update",
      DNS_TSIG_ALGORITHM: "hmac-sha512",
      DNS_TSIG_SECRET: secret,
    });
    expect(parsed.ok && parsed.env).toMatchObject({
      DNS_ADAPTER: "rfc2136",
      DNS_RFC2136_SERVER: "ns1.example.net",
      DNS_RFC2136_PORT: 5353,
      DNS_RFC2136_ZONE: "sbc.example.net",
      DNS_TSIG_KEY_NAME: "teamgate-update",
      DNS_TSIG_ALGORITHM: "hmac-sha512",
      DNS_TSIG_SECRET: secret,
    });
    const ipv6 = parseEnv({
      DNS_ADAPTER: "rfc2136",
      DNS_RFC2136_SERVER: "2001:db8::53",
      DNS_TSIG_KEY_NAME: "teamgate-update",
      DNS_TSIG_SECRET: secret,
    });
    expect(ipv6.ok).toBe(true);
  });

  it("requires the server and the whole TSIG key with rfc2136, one problem per variable", () => {
    const parsed = parseEnv({ DNS_ADAPTER: "rfc2136", DNS_EMULATOR_URL: "https://127.0.0.1:4431" });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      "DNS_RFC2136_SERVER: Required with DNS_ADAPTER=rfc2136",
      "DNS_TSIG_KEY_NAME: Required with DNS_ADAPTER=rfc2136",
      "DNS_TSIG_SECRET: Required with DNS_ADAPTER=rfc2136",
      "DNS_EMULATOR_URL: Only read with DNS_ADAPTER=emulator",
    ]);
  });

  it("refuses bad DNS values without repeating the secret", () => {
    const badSecret = "not base64 at all!";
    const parsed = parseEnv({
      DNS_ADAPTER: "route53",
      DNS_RFC2136_SERVER: "ns1 example.net",
      DNS_RFC2136_PORT: "0",
      DNS_RFC2136_ZONE: "bad zone",
      DNS_TSIG_KEY_NAME: "key\nname",
      DNS_TSIG_ALGORITHM: "hmac-sha3",
      DNS_TSIG_SECRET: badSecret,
      DNS_EMULATOR_URL: "http://127.0.0.1:4431",
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DNS_ADAPTER: /),
        "DNS_RFC2136_SERVER: Must be a host name or an IP address",
        expect.stringMatching(/^DNS_RFC2136_PORT: /),
        "DNS_RFC2136_ZONE: Must be a DNS name, e.g. sbc.example.net",
        "DNS_TSIG_KEY_NAME: Must be a DNS name, e.g. teamgate-update",
        expect.stringMatching(/^DNS_TSIG_ALGORITHM: /),
        "DNS_TSIG_SECRET: Must be base64, as tsig-keygen prints it",
        "DNS_EMULATOR_URL: Must be an https:// URL",
      ]),
    );
    expect(parsed.problems.join("\n")).not.toContain(badSecret);
  });

  it("reports rfc2136 settings given to the emulator adapter (a forgotten DNS_ADAPTER)", () => {
    const parsed = parseEnv({
      DNS_RFC2136_SERVER: "ns1.example.net",
      DNS_TSIG_KEY_NAME: "teamgate-update",
      DNS_TSIG_SECRET: secret,
      DNS_EMULATOR_CONTROL_TOKEN: "token",
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      "DNS_RFC2136_SERVER: Only read with DNS_ADAPTER=rfc2136",
      "DNS_TSIG_KEY_NAME: Only read with DNS_ADAPTER=rfc2136",
      "DNS_TSIG_SECRET: Only read with DNS_ADAPTER=rfc2136",
      "DNS_EMULATOR_CONTROL_TOKEN: Set together with DNS_EMULATOR_URL",
    ]);
  });
});
