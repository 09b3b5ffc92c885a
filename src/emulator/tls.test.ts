import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadOrCreateTls } from "./tls.ts";

const dir = mkdtempSync(join(tmpdir(), "emulator-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the emulator's CA", () => {
  it("signs a server certificate for 127.0.0.1 and localhost, and is kept across restarts", async () => {
    const first = await loadOrCreateTls(dir);
    const ca = new X509Certificate(first.caPem);
    const server = new X509Certificate(first.cert);
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkHost("localhost")).toBe("localhost");

    const second = await loadOrCreateTls(dir);
    expect(second.caPem).toBe(first.caPem);
    expect(second.cert).toBe(first.cert);

    // A new host renews the server certificate under the same CA.
    const third = await loadOrCreateTls(dir, ["emulator.test"]);
    expect(third.caPem).toBe(first.caPem);
    expect(new X509Certificate(third.cert).checkHost("emulator.test")).toBe("emulator.test");
  });
});
