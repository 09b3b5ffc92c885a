import { describe, expect, it } from "vitest";
import { createTestApp, testEnv } from "../../../../test/harness.ts";
import { dnsFromEnv } from "./config.ts";

describe("dnsFromEnv", () => {
  it("is off with the emulator adapter and no emulator", () => {
    expect(dnsFromEnv(testEnv())).toBeNull();
  });

  it("talks to the emulator at DNS_EMULATOR_URL", async () => {
    const dns = dnsFromEnv(testEnv({ DNS_EMULATOR_URL: "https://127.0.0.1:4431" }));
    expect(dns?.kind).toBe("emulator");
    await dns?.close();
  });

  it("updates the operator's server with DNS_ADAPTER=rfc2136", async () => {
    const dns = dnsFromEnv(
      testEnv({
        DNS_ADAPTER: "rfc2136",
        DNS_RFC2136_SERVER: "ns1.example.net",
        DNS_TSIG_KEY_NAME: "teamgate-update",
        DNS_TSIG_SECRET: Buffer.alloc(32, 1).toString("base64"),
      }),
    );
    expect(dns?.kind).toBe("rfc2136");
    await dns?.close();
  });
});

describe("the test harness", () => {
  it("gives a test app with the emulator a DNS on that emulator", async () => {
    const t = await createTestApp({ microsoft: true });
    try {
      await t.services.dns!.publishTxt("customer1.sbc.example.net", "MS=ms87654321");
      expect(t.emulator!.control.txtValues("customer1.sbc.example.net")).toEqual(["MS=ms87654321"]);
    } finally {
      await t.close();
    }
  });
});
