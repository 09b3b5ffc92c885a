/**
 * The rfc2136 adapter against a real authoritative server: Debian's BIND 9 (`named`), started by
 * this file on a free port of 127.0.0.1 with a zone and a TSIG key of its own, updated by the real
 * `nsupdate`. Without named or nsupdate the server tests are skipped on a developer machine and
 * fail in CI (`CI` set): install them with `apt-get install bind9 bind9-dnsutils`.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught } from "../../../../test/harness.ts";
import { findProgram, startNamed, type TestNamed } from "./named.test-support.ts";
import type { Dns } from "./port.ts";
import { createRfc2136Dns, type Rfc2136Config } from "./rfc2136.ts";

const namedPath = findProgram("named");
const nsupdatePath = findProgram("nsupdate");
const missing = [
  namedPath ? null : "named (bind9)",
  nsupdatePath ? null : "nsupdate (bind9-dnsutils)",
]
  .filter(Boolean)
  .join(" and ");
const inCi = Boolean(process.env.CI) && process.env.CI !== "false";

describe("the programs the rfc2136 tests need", () => {
  it.runIf(inCi)("are installed in CI (apt-get install bind9 bind9-dnsutils)", () => {
    expect(missing, `missing in CI: ${missing}`).toBe("");
  });
});

describe.skipIf(missing !== "")(
  `rfc2136 against a real BIND 9${missing ? ` (skipped: ${missing} not installed; apt-get install bind9 bind9-dnsutils)` : ""}`,
  () => {
    let named: TestNamed;
    let dns: Dns;
    let dnsWithZone: Dns;
    const config = (overrides: Partial<Rfc2136Config> = {}): Rfc2136Config => ({
      server: "127.0.0.1",
      port: named.port,
      tsig: named.tsig,
      timeoutMs: 5_000,
      nsupdatePath: nsupdatePath!,
      ...overrides,
    });

    beforeAll(async () => {
      named = await startNamed(namedPath!);
      dns = createRfc2136Dns(config());
      dnsWithZone = createRfc2136Dns(config({ zone: named.zone }));
    });
    afterAll(async () => {
      await dns?.close();
      await dnsWithZone?.close();
      await named?.stop();
    });

    it("publishes a TXT record that the server then answers, and reads it back", async () => {
      const name = `customer1.${named.zone}`;
      await dns.publishTxt(name, "MS=ms12345678");
      expect(await named.resolveTxt(name)).toEqual(["MS=ms12345678"]);
      expect(await dns.lookupTxt(name)).toEqual(["MS=ms12345678"]);
    });

    it("publishes the same record twice as one, beside another value", async () => {
      const name = `customer2.${named.zone}`;
      await dnsWithZone.publishTxt(name, "MS=ms11111111", { ttlSeconds: 60 });
      await dnsWithZone.publishTxt(name, "MS=ms11111111", { ttlSeconds: 60 });
      await dns.publishTxt(name, "MS=ms22222222");
      expect((await named.resolveTxt(name)).sort()).toEqual(["MS=ms11111111", "MS=ms22222222"]);
    });

    it("removes one value and leaves the others; removing it again is no error", async () => {
      const name = `customer3.${named.zone}`;
      await dns.publishTxt(name, "first");
      await dns.publishTxt(name, "second");
      await dns.removeTxt(name, "first");
      expect(await named.resolveTxt(name)).toEqual(["second"]);
      await dnsWithZone.removeTxt(name, "second");
      await dns.removeTxt(name, "second");
      expect(await named.resolveTxt(name)).toEqual([]);
      expect(await dns.lookupTxt(name)).toEqual([]);
    });

    it("publishes quotes, backslashes and semicolons exactly", async () => {
      const name = `_quoted.${named.zone}`;
      const value = 'a "quoted" \\ value; with spaces';
      await dns.publishTxt(name, value);
      expect(await named.resolveTxt(name)).toEqual([value]);
      await dns.removeTxt(name, value);
      expect(await named.resolveTxt(name)).toEqual([]);
    });

    it("refuses values and names that cannot be published, before asking the server", async () => {
      const name = `customer4.${named.zone}`;
      for (const value of ["two\nlines", "", "x".repeat(256), "caf\u00e9"]) {
        const error = await caught(dns.publishTxt(name, value));
        expect(error.code).toBe("dns_rejected");
        expect(error.message).toMatch(/TXT value .* cannot be published/);
      }
      for (const bad of [
        `bad name.${named.zone}`,
        `${named.zone}.`,
        "localhost",
        `${"a".repeat(64)}.${named.zone}`,
      ]) {
        expect((await caught(dns.publishTxt(bad, "v"))).code).toBe("dns_rejected");
      }
      expect(await named.resolveTxt(name)).toEqual([]);
    });

    it("is refused with a wrong TSIG secret, and nothing changes", async () => {
      const name = `customer5.${named.zone}`;
      await dns.publishTxt(name, "kept");
      const wrongSecret = Buffer.alloc(32, 7).toString("base64");
      const forged = createRfc2136Dns(config({ tsig: { ...named.tsig, secret: wrongSecret } }));
      const publish = await caught(forged.publishTxt(name, "forged"));
      expect(publish.code).toBe("dns_rejected");
      expect(publish.cause).toMatchObject({ code: "NOTAUTH(BADSIG)" });
      expect(JSON.stringify(publish.cause)).not.toContain(wrongSecret);
      expect((await caught(forged.removeTxt(name, "kept"))).code).toBe("dns_rejected");
      const otherKey = createRfc2136Dns(config({ tsig: { ...named.tsig, name: "someone-else" } }));
      expect((await caught(otherKey.publishTxt(name, "forged"))).cause).toMatchObject({
        code: "NOTAUTH(BADKEY)",
      });
      expect(await named.resolveTxt(name)).toEqual(["kept"]);
      await forged.close();
      await otherKey.close();
    });

    it("is refused for a name outside the zone, with or without DNS_RFC2136_ZONE", async () => {
      const outside = await caught(dnsWithZone.publishTxt("customer1.elsewhere.test", "v"));
      expect(outside.code).toBe("dns_rejected");
      expect(outside.cause).toMatchObject({ code: "NOTZONE" });
      const discovered = await caught(dns.publishTxt("customer1.elsewhere.test", "v"));
      expect(discovered.code).toBe("dns_rejected");
      expect(discovered.cause).toMatchObject({ code: "REFUSED" });
      const wrongZone = createRfc2136Dns(config({ zone: "elsewhere.test" }));
      expect((await caught(wrongZone.publishTxt("a.elsewhere.test", "v"))).code).toBe(
        "dns_rejected",
      );
      await wrongZone.close();
      expect((await caught(dns.lookupTxt("customer1.elsewhere.test"))).code).toBe("dns_rejected");
    });

    it("is unavailable while the server is stopped", async () => {
      const stopped = await startNamed(namedPath!);
      const down = createRfc2136Dns(
        config({ port: stopped.port, tsig: stopped.tsig, zone: stopped.zone, timeoutMs: 2_000 }),
      );
      await down.publishTxt(`up.${stopped.zone}`, "v");
      await stopped.stop();
      const publish = await caught(down.publishTxt(`down.${stopped.zone}`, "v"));
      expect(publish.code).toBe("dns_unavailable");
      expect((await caught(down.removeTxt(`up.${stopped.zone}`, "v"))).code).toBe(
        "dns_unavailable",
      );
      expect((await caught(down.lookupTxt(`up.${stopped.zone}`))).code).toBe("dns_unavailable");
      await down.close();
    });
  },
);

describe("what nsupdate is given", () => {
  let dir: string;
  let fakes = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "teamgate-fake-nsupdate-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in for nsupdate that records its argv, its input and its key file, then answers `reply`. */
  function fakeNsupdate(reply: string, exitCode: number): string {
    const path = join(dir, `nsupdate-${++fakes}`);
    writeFileSync(
      path,
      `#!/bin/sh
printf '%s\\n' "$@" > "${dir}/argv"
cat > "${dir}/stdin"
key=""; while [ $# -gt 0 ]; do [ "$1" = "-k" ] && key="$2"; shift; done
stat -c '%a' "$key" > "${dir}/key-mode"
stat -c '%a' "$(dirname "$key")" > "${dir}/key-dir-mode"
cp "$key" "${dir}/key"
printf '%s\\n' "${reply}" >&2
exit ${exitCode}
`,
    );
    chmodSync(path, 0o755);
    return path;
  }

  const secret = Buffer.alloc(32, 9).toString("base64");
  const base: Rfc2136Config = {
    server: "ns1.example.net",
    port: 5353,
    zone: "sbc.example.net",
    tsig: { name: "teamgate-update", algorithm: "hmac-sha512", secret },
    timeoutMs: 4_000,
  };

  it("passes the key in a private 0600 file, never on the command line, and removes it", async () => {
    const dns = createRfc2136Dns({ ...base, nsupdatePath: fakeNsupdate("", 0) });
    await dns.publishTxt("customer1.sbc.example.net", 'MS=ms1 "x"', { ttlSeconds: 600 });
    const argv = readFileSync(join(dir, "argv"), "utf8");
    expect(argv).not.toContain(secret);
    expect(argv.split("\n").slice(0, 4)).toEqual(["-v", "-t", "4", "-k"]);
    expect(readFileSync(join(dir, "key-mode"), "utf8").trim()).toBe("600");
    expect(readFileSync(join(dir, "key-dir-mode"), "utf8").trim()).toBe("700");
    expect(readFileSync(join(dir, "key"), "utf8")).toBe(
      `key "teamgate-update" {\n  algorithm hmac-sha512;\n  secret "${secret}";\n};\n`,
    );
    expect(readFileSync(join(dir, "stdin"), "utf8")).toBe(
      [
        "server ns1.example.net 5353",
        "zone sbc.example.net.",
        'update add customer1.sbc.example.net. 600 TXT "MS=ms1 \\"x\\""',
        "send",
        "",
      ].join("\n"),
    );
    const keyPath = argv.split("\n")[4]!;
    expect(() => readFileSync(keyPath)).toThrow();
    await dns.removeTxt("customer1.sbc.example.net", "MS=ms1");
    expect(readFileSync(join(dir, "stdin"), "utf8")).toContain(
      'update delete customer1.sbc.example.net. TXT "MS=ms1"',
    );
  });

  it("maps what nsupdate says to dns_rejected or dns_unavailable, the secret left out", async () => {
    const cases: [string, number, string, string][] = [
      ["update failed: REFUSED", 2, "dns_rejected", "REFUSED"],
      ["update failed: NOTZONE", 2, "dns_rejected", "NOTZONE"],
      [
        `; TSIG error with server: tsig indicates error ${secret}\nupdate failed: NOTAUTH(BADSIG)`,
        2,
        "dns_rejected",
        "NOTAUTH(BADSIG)",
      ],
      ["update failed: SERVFAIL", 2, "dns_unavailable", "SERVFAIL"],
      ["; Communication with 10.0.0.1#53 failed: timed out", 2, "dns_unavailable", "timed out"],
      [
        "; Communication with 10.0.0.1#53 failed: connection refused",
        2,
        "dns_unavailable",
        "connection refused",
      ],
      [
        "; Communication with 10.0.0.1#53 failed: REFUSED\ncould not reach any name server",
        1,
        "dns_rejected",
        "REFUSED",
      ],
      [
        "couldn't get address for 'ns1.example.net': not found\nsyntax error",
        1,
        "dns_unavailable",
        "couldn't get address for 'ns1.example.net': not found",
      ],
    ];
    for (const [reply, exitCode, expected, code] of cases) {
      const dns = createRfc2136Dns({ ...base, nsupdatePath: fakeNsupdate(reply, exitCode) });
      const error = await caught(dns.publishTxt("customer1.sbc.example.net", "v"));
      expect({ reply, code: error.code }).toEqual({ reply, code: expected });
      expect(error.cause).toMatchObject({ code });
      expect(JSON.stringify(error.cause)).not.toContain(secret);
      expect(error.message).not.toContain(secret);
    }
  });

  it("is dns_unavailable when nsupdate is not installed", async () => {
    const dns = createRfc2136Dns({ ...base, nsupdatePath: join(dir, "no-such-nsupdate") });
    const error = await caught(dns.publishTxt("customer1.sbc.example.net", "v"));
    expect(error.code).toBe("dns_unavailable");
    expect(error.cause).toMatchObject({ message: expect.stringContaining("bind9-dnsutils") });
  });

  it("refuses a configuration that could not be written safely", () => {
    expect(() => createRfc2136Dns({ ...base, server: "ns1\nupdate delete x" })).toThrow(/server/);
    expect(() => createRfc2136Dns({ ...base, tsig: { ...base.tsig, secret: 'abc";' } })).toThrow(
      /tsig.secret/,
    );
    expect(() => createRfc2136Dns({ ...base, zone: "a zone" })).toThrow(/zone/);
  });
});
