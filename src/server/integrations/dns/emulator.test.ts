/** The emulator adapter against a running Microsoft emulator, over HTTPS with its CA and token. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught } from "../../../../test/harness.ts";
import { type Emulator, startEmulator } from "../../../emulator/index.ts";
import { createEmulatorDns } from "./emulator.ts";
import type { Dns } from "./port.ts";

let emulator: Emulator;
let dns: Dns;
const controlToken = "emulator-dns-token";

beforeAll(async () => {
  emulator = await startEmulator({ controlToken });
  dns = createEmulatorDns({ controlUrl: emulator.loginUrl, controlToken, caPem: emulator.caPem });
});
afterAll(async () => {
  await dns.close();
  await emulator.stop();
});

describe("the emulator's DNS", () => {
  it("publishes where the emulator's domain verification looks, once, and removes", async () => {
    const name = "customer1.sbc.example.net";
    expect(dns.kind).toBe("emulator");
    await dns.publishTxt(name, 'MS=ms12345678 "quoted"');
    await dns.publishTxt(name, 'MS=ms12345678 "quoted"');
    await dns.publishTxt(name, "second");
    expect(emulator.control.txtValues(name)).toEqual(['MS=ms12345678 "quoted"', "second"]);
    expect(await dns.lookupTxt(name)).toEqual(['MS=ms12345678 "quoted"', "second"]);
    await dns.removeTxt(name, 'MS=ms12345678 "quoted"');
    await dns.removeTxt(name, 'MS=ms12345678 "quoted"');
    expect(await dns.lookupTxt(name)).toEqual(["second"]);
    expect(await dns.lookupTxt("nothing.sbc.example.net")).toEqual([]);
  });

  it("refuses what could not be published in DNS, before calling the emulator", async () => {
    expect((await caught(dns.publishTxt("customer1.sbc.example.net", "a\nb"))).code).toBe(
      "dns_rejected",
    );
    expect((await caught(dns.lookupTxt("no spaces.example.net"))).code).toBe("dns_rejected");
  });

  it("is rejected without the control token, unavailable when the emulator is gone", async () => {
    const tokenless = createEmulatorDns({ controlUrl: emulator.loginUrl, caPem: emulator.caPem });
    const refused = await caught(tokenless.publishTxt("a.sbc.example.net", "v"));
    expect(refused.code).toBe("dns_rejected");
    expect(refused.cause).toMatchObject({ status: 401, code: "unauthorized" });
    await tokenless.close();

    const untrusted = createEmulatorDns({ controlUrl: emulator.loginUrl, controlToken });
    expect((await caught(untrusted.lookupTxt("a.sbc.example.net"))).code).toBe("dns_unavailable");
    await untrusted.close();

    const gone = await startEmulator();
    const dnsOfGone = createEmulatorDns({ controlUrl: gone.loginUrl, caPem: gone.caPem });
    await dnsOfGone.publishTxt("a.sbc.example.net", "v");
    await gone.stop();
    const unavailable = await caught(dnsOfGone.lookupTxt("a.sbc.example.net"));
    expect(unavailable.code).toBe("dns_unavailable");
    await dnsOfGone.close();
  });
});
