/**
 * Digest algorithms at the PBX, with real Kamailio and sipp as the PBX: a PBX may challenge once
 * per algorithm, its preferred first (RFC 8760); the node answers the MD5 challenge of a PBX that
 * puts SHA-256 first, and reports a PBX offering only SHA-256 as failed with the reason (the
 * node's Kamailio 5.6 answers MD5 only). Runs only with KAMAILIO_TESTS=1.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHep } from "./hep/hep.ts";
import { RegisterOutcomes } from "./hep/register-outcomes.ts";
import { readSipSummary } from "./hep/sip-summary.ts";
import type { KamailioRpc } from "./kamailio/rpc.ts";
import {
  freePort,
  kamailioPresent,
  kamailioTestsWanted,
  startGatewayKamailio,
  until,
} from "./kamailio.test-support.ts";
import { findMessage, header, sippPresent, startSipp } from "./sipp.test-support.ts";
import type { Supervisor } from "./supervisor.ts";

const enabled = kamailioTestsWanted && kamailioPresent && sippPresent;
const REALM = "pbx.teamgate.test";
const PASSWORD = "pw-digest-1";

/** A registrar that challenges with the given algorithms, in order, and checks the answer. */
function registrarScenario(algorithms: string[]): string {
  const reply = (status: string, extra = "") => `<send><![CDATA[
SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
${extra}Content-Length: 0

]]></send>`;
  const challenges = algorithms
    .map(
      (algorithm, i) =>
        `WWW-Authenticate: Digest realm="${REALM}", nonce="[pid]n${i}[call_number]", algorithm=${algorithm}\n`,
    )
    .join("");
  const answered = algorithms.includes("MD5")
    ? `<recv request="REGISTER">
  <action><verifyauth assign_to="authvalid" username="alice" password="${PASSWORD}"/></action>
</recv>
<nop hide="true" test="authvalid" next="authok"/>
${reply("403 Forbidden")}
<nop next="end"/>
<label id="authok"/>
${reply("200 OK", "[last_Contact:];expires=300\n")}`
    : "";
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="registrar">
<recv request="REGISTER"/>
${reply("401 Unauthorized", challenges)}
${answered}
<label id="end"/>
</scenario>
`;
}

describe.skipIf(!enabled)(
  `digest algorithms at the PBX${enabled ? "" : " (skipped: set KAMAILIO_TESTS=1 with kamailio and sipp installed)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "teamgate-digest-"));
    const logs: string[] = [];
    let sbcProcess: Supervisor;
    let sbc: KamailioRpc;
    const outcomes = new RegisterOutcomes();
    const hepSocket = createSocket("udp4");

    const register = (device: string, pbxPort: number) =>
      sbc.regAdd({
        lUuid: device,
        lUsername: device,
        lDomain: "sbc.teamgate.test",
        rUsername: "alice",
        rDomain: `127.0.0.1:${pbxPort}`,
        realm: REALM,
        authUsername: "alice",
        authPassword: PASSWORD,
        authProxy: `sip:127.0.0.1:${pbxPort}`,
        expires: 300,
      });

    beforeAll(async () => {
      const hepPort = await freePort();
      // the agent's reading of the PBX's answers, from the SIP the node mirrors
      hepSocket.on("message", (packet) => {
        const decoded = decodeHep(packet);
        const sip = decoded && readSipSummary(Buffer.from(decoded.payload).toString());
        if (sip) outcomes.observe(sip, Date.now());
      });
      await new Promise<void>((done) => hepSocket.bind(hepPort, "127.0.0.1", done));
      ({ process: sbcProcess, rpc: sbc } = await startGatewayKamailio(
        dir,
        {
          sipPort: await freePort(),
          hepPort,
          registrations: { expectedCount: 4, timerInterval: 1, retryInterval: 60 },
        },
        (line) => logs.push(line),
      ));
    });

    afterAll(async () => {
      await sbcProcess?.stop();
      hepSocket.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("answers the MD5 challenge of a PBX that offers SHA-256 first", async () => {
      const pbxPort = await freePort();
      const pbx = startSipp({
        dir,
        name: "sha256-then-md5",
        scenario: registrarScenario(["SHA-256", "MD5"]),
        localPort: pbxPort,
        transport: "udp",
      });
      await register("dev_both", pbxPort);
      const run = await pbx.done;
      if (run.status !== 0) console.error(run.stderr, logs.slice(-40).join("\n"));
      // sipp checked the digest (a wrong one gets 403 and fails the registration)
      expect(run.status).toBe(0);
      const answered = run.received.filter((m) => /^REGISTER /.test(m))[1];
      expect(header(answered!, "Authorization")).toMatch(/algorithm=MD5/i);
      expect(header(answered!, "Authorization")).toMatch(/nonce="\d+n1\d+"/);
      const info = await until("uac registered", async () => {
        const found = await sbc.regInfo("dev_both");
        return found?.state === "registered" && found;
      });
      expect(info).toMatchObject({ state: "registered", rUsername: "alice" });
      await sbc.regRemove("dev_both");
    });

    it("reports a PBX offering only SHA-256 as failed, saying why", async () => {
      const pbxPort = await freePort();
      const pbx = startSipp({
        dir,
        name: "sha256-only",
        scenario: registrarScenario(["SHA-256", "SHA-512-256"]),
        localPort: pbxPort,
        transport: "udp",
      });
      await register("dev_sha", pbxPort);
      const run = await pbx.done;
      expect(run.status).toBe(0);
      expect(findMessage(run.received, /^REGISTER /)).toBeDefined();
      const info = await until("uac failed", async () => {
        const found = await sbc.regInfo("dev_sha");
        return found?.state === "failed" && found;
      });
      expect(info.state).toBe("failed");
      const outcome = await until("the 401 read from the mirror", async () =>
        outcomes.lastFor("dev_sha"),
      );
      expect(outcome).toMatchObject({
        code: 401,
        reason:
          "Unauthorized: the PBX offers only SHA-256, SHA-512-256 digest; this gateway answers MD5",
      });
      // the node is still serving: a PBX offering MD5 next registers
      await sbc.regRemove("dev_sha");
      expect(await sbc.coreUptime()).toBeGreaterThan(0);
    });
  },
);
