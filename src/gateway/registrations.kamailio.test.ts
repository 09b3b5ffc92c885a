/**
 * Real Kamailio on loopback: the demo PBX (dev/pbx, a digest registrar) and a gateway node rendered
 * by render.ts and run by the supervisor; registrations are driven over JSON-RPC. Runs only with
 * KAMAILIO_TESTS=1 and `kamailio` on PATH (Debian: see APT_LINE); KAMAILIO_TESTS=1 without
 * `kamailio` fails, so CI cannot skip them silently.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallCollector } from "./hep/calls.ts";
import { deriveCdrs } from "./hep/cdr.ts";
import { decodeHep, HEP_PROTOCOL_SIP, hepTimeMs } from "./hep/hep.ts";
import { renderUacregDb } from "./kamailio/render.ts";
import type { KamailioRpc, RegistrationSpec } from "./kamailio/rpc.ts";
import {
  freePort,
  kamailioPresent,
  kamailioTestsWanted,
  pbxRegistered,
  startDemoPbx,
  startGatewayKamailio,
  until,
} from "./kamailio.test-support.ts";
import type { Supervisor } from "./supervisor.ts";

const APT_LINE =
  "apt-get install kamailio kamailio-extra-modules kamailio-json-modules kamailio-utils-modules kamailio-tls-modules";
const wanted = kamailioTestsWanted;
const enabled = wanted && kamailioPresent;
const REALM = "pbx.teamgate.test";
const USERS = Array.from({ length: 20 }, (_, i) => `user${String(i + 1).padStart(2, "0")}`);
const password = (user: string) => `pw-${user}`;

describe.runIf(wanted)("the programs the Kamailio tests need", () => {
  it(`are installed (${APT_LINE})`, () => {
    expect(kamailioPresent, "kamailio is not on PATH").toBe(true);
  });
});

describe.skipIf(!enabled)(
  `gateway registrations through real Kamailio${enabled ? "" : " (skipped: set KAMAILIO_TESTS=1 with kamailio installed)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "teamgate-kamailio-"));
    const logs: string[] = [];
    let pbxProcess: Supervisor;
    let sbcProcess: Supervisor;
    let pbx: KamailioRpc;
    let sbc: KamailioRpc;
    let pbxPort: number;
    let sbcPort: number;
    /** HEP packets siptrace sends to the agent's port. */
    const hepPackets: Buffer[] = [];
    const hepSocket = createSocket("udp4");

    function spec(user: string, secret = password(user)): RegistrationSpec {
      return {
        lUuid: `dev_${user}`,
        lUsername: `dev_${user}`,
        lDomain: "sbc.teamgate.test",
        rUsername: user,
        rDomain: `127.0.0.1:${pbxPort}`,
        realm: REALM,
        authUsername: user,
        authPassword: secret,
        authProxy: `sip:127.0.0.1:${pbxPort}`,
        expires: 300,
      };
    }

    beforeAll(async () => {
      // the demo PBX with its users in a db_text table of its own
      const demo = await startDemoPbx(
        dir,
        [...USERS, "mallory"].map((user) => ({ authId: user, password: password(user) })),
        (line) => logs.push(line),
      );
      ({ port: pbxPort, process: pbxProcess, rpc: pbx } = demo);

      // the gateway node
      sbcPort = await freePort();
      const hepPort = await freePort();
      hepSocket.on("message", (packet) => hepPackets.push(packet));
      await new Promise<void>((done) => hepSocket.bind(hepPort, "127.0.0.1", done));
      ({ process: sbcProcess, rpc: sbc } = await startGatewayKamailio(
        dir,
        {
          sipPort: sbcPort,
          hepPort,
          registrations: { expectedCount: USERS.length + 1, timerInterval: 1, retryInterval: 5 },
        },
        (line) => logs.push(line),
      ));
    });

    afterAll(async () => {
      await Promise.all([sbcProcess?.stop(), pbxProcess?.stop()]);
      hepSocket.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("registers 20 users at the PBX with digest, added over JSON-RPC", async () => {
      const started = Date.now();
      for (const user of USERS) await sbc.regAdd(spec(user));
      const registered = await until("20 registrations at the PBX", async () => {
        const aors = await pbxRegistered(pbx);
        return USERS.every((user) => aors.has(user)) && aors;
      });
      expect(registered.size).toBe(USERS.length);
      const dump = await until("20 records registered in uac", async () => {
        const records = await sbc.regDump();
        return records.filter((r) => r.state === "registered").length === USERS.length && records;
      });
      expect(dump.map((r) => r.lUuid).sort()).toEqual(USERS.map((user) => `dev_${user}`));
      const alice = await sbc.regInfo("dev_user01");
      expect(alice).toMatchObject({ state: "registered", rUsername: "user01", expires: 300 });
      expect(alice?.lastRegisteredAt?.getTime()).toBeGreaterThanOrEqual(started - 1_000);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it("mirrors its SIP messages as HEP v3 to the agent's port", async () => {
      const registers = await until("a HEP packet carrying a REGISTER", async () => {
        const found = hepPackets.filter(
          (packet) =>
            packet.subarray(0, 4).toString() === "HEP3" && packet.includes("REGISTER sip:"),
        );
        return found.length > 0 && found;
      });
      expect(registers.length).toBeGreaterThan(0);
      // the agent's decoder reads them: the REGISTER sent from the node's SIP port to the PBX
      const sent = registers
        .map((packet) => decodeHep(packet))
        .find((packet) => packet?.destination.port === pbxPort);
      expect(sent).toMatchObject({
        protocolType: HEP_PROTOCOL_SIP,
        source: { address: "127.0.0.1", port: sbcPort },
        destination: { address: "127.0.0.1", port: pbxPort },
      });
      expect(Buffer.from(sent!.payload).toString()).toMatch(/^REGISTER sip:/);
      expect(Math.abs(hepTimeMs(sent!)! - Date.now())).toBeLessThan(60_000);
      // the PBX's challenges are mirrored, its 2xx to REGISTERs are not (nothing to learn there)
      const answers = hepPackets
        .map((packet) => decodeHep(packet))
        .filter((packet) => packet?.source.port === pbxPort)
        .map((packet) => Buffer.from(packet!.payload).toString().split("\r\n")[0]);
      expect(answers).toContain("SIP/2.0 401 Unauthorized");
      expect(answers.filter((line) => line?.startsWith("SIP/2.0 2"))).toEqual([]);
    });

    it("answers OPTIONS with 200", async () => {
      const client = createSocket("udp4");
      await new Promise<void>((done) => client.bind(0, "127.0.0.1", done));
      const port = client.address().port;
      const reply = new Promise<string>((done) =>
        client.once("message", (message) => done(message.toString())),
      );
      const options = [
        `OPTIONS sip:127.0.0.1:${sbcPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-teamgate-${Date.now()}`,
        "Max-Forwards: 70",
        `From: <sip:probe@127.0.0.1:${port}>;tag=probe`,
        `To: <sip:127.0.0.1:${sbcPort}>`,
        `Call-ID: probe-${Date.now()}@127.0.0.1`,
        "CSeq: 1 OPTIONS",
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      client.send(options, sbcPort, "127.0.0.1");
      const answer = await Promise.race([
        reply,
        new Promise<string>((done) => setTimeout(() => done("no answer"), 3_000)),
      ]);
      client.close();
      expect(answer.split("\r\n")[0]).toBe("SIP/2.0 200 OK");
    });

    it("mirrors a refused INVITE so that the agent makes a failed call of it", async () => {
      const client = createSocket("udp4");
      await new Promise<void>((done) => client.bind(0, "127.0.0.1", done));
      const port = client.address().port;
      const callId = `call-${Date.now()}@127.0.0.1`;
      const invite = [
        `INVITE sip:dev_nobody@127.0.0.1:${sbcPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-teamgate-${Date.now()}`,
        "Max-Forwards: 70",
        `From: <sip:0470123456@127.0.0.1:${port}>;tag=caller`,
        `To: <sip:dev_nobody@127.0.0.1:${sbcPort}>`,
        `Call-ID: ${callId}`,
        "CSeq: 1 INVITE",
        `Contact: <sip:0470123456@127.0.0.1:${port}>`,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      client.send(invite, sbcPort, "127.0.0.1");
      const packets = await until("the INVITE and its answer mirrored", async () => {
        const found = hepPackets.filter((packet) => packet.includes(callId));
        return found.length >= 2 && found;
      });
      client.close();
      const collector = new CallCollector({
        pbx: { address: "127.0.0.1", port: sbcPort },
        listeners: [{ address: "127.0.0.1", port: sbcPort }],
      });
      const traces = packets.map((packet) => collector.add(decodeHep(packet)!, Date.now()));
      expect(traces.map((t) => [t?.leg, t?.direction, t?.message.split("\r\n")[0]])).toEqual([
        ["pbx", "in", `INVITE sip:dev_nobody@127.0.0.1:${sbcPort} SIP/2.0`],
        ["pbx", "out", "SIP/2.0 404 Not Found"],
      ]);
      const [call] = collector.takeFinished(Date.now(), true);
      expect(deriveCdrs(call!, () => null)).toMatchObject([
        {
          leg: "pbx",
          direction: "inbound",
          disposition: "failed",
          sipCode: 404,
          callee: "dev_nobody",
        },
      ]);
    });

    it("shows a wrong password as failed, and the PBX has no registration for it", async () => {
      await sbc.regAdd(spec("mallory", "not-her-password"));
      const record = await until("mallory failed", async () => {
        const info = await sbc.regInfo("dev_mallory");
        return info?.state === "failed" && info;
      });
      expect(record.nextActionAt?.getTime()).toBeGreaterThan(Date.now() - 1_000);
      expect((await pbxRegistered(pbx)).has("mallory")).toBe(false);
      await expect(sbc.regAdd(spec("mallory"))).rejects.toMatchObject({ code: 409 });
      await sbc.regRemove("dev_mallory");
    });

    it("unregisters at the PBX (Expires 0) when a registration is removed", async () => {
      await sbc.regRemove("dev_user01");
      await until(
        "user01 gone from the PBX",
        async () => !(await pbxRegistered(pbx)).has("user01"),
        5_000,
      );
      expect(await sbc.regInfo("dev_user01")).toBeNull();
      expect((await pbxRegistered(pbx)).size).toBe(USERS.length - 1);
    });

    it("restarts a killed gateway Kamailio", async () => {
      const first = sbcProcess.pid!;
      const uptimeBefore = await sbc.coreUptime();
      process.kill(first, "SIGKILL");
      await until("a restarted gateway Kamailio", async () => {
        return (
          sbcProcess.restarts === 1 && sbcProcess.pid !== first && (await sbc.coreUptime()) >= 0
        );
      });
      expect(sbcProcess.state).toBe("running");
      expect(uptimeBefore).toBeGreaterThanOrEqual(0);
      // its registrations lived in memory: the agent adds them again after a restart
      expect(await sbc.regDump()).toEqual([]);
    }, 20_000);

    it("loads registrations from the uacreg file with one uac.reg_reload, once per reg_gc_interval", async () => {
      // db_text re-reads a file whose modification time changed, to the second
      let mtime = Math.floor(Date.now() / 1000) + 1;
      const writeUacreg = (specs: RegistrationSpec[]) => {
        const path = join(dir, "uacdb", "uacreg");
        writeFileSync(path, renderUacregDb(specs).uacreg);
        utimesSync(path, mtime, mtime);
        mtime++;
      };
      // db_text unescapes the delimiter in r_domain and auth_proxy (`127.0.0.1\:<port>`)
      writeUacreg(USERS.map((user) => ({ ...spec(user), expires: 120 })));
      await sbc.call("uac.reg_reload");
      const dump = await until("20 records registered from the file", async () => {
        const records = await sbc.regDump();
        return records.filter((r) => r.state === "registered").length === USERS.length && records;
      });
      expect(dump.map((r) => r.lUuid).sort()).toEqual(USERS.map((user) => `dev_${user}`));
      expect(dump[0]).toMatchObject({ expires: 120, lDomain: "sbc.teamgate.test" });
      // uac refuses a second reload within its reg_gc_interval (10 s): the agent falls back
      await expect(sbc.call("uac.reg_reload")).rejects.toMatchObject({ code: 500 });
    }, 20_000);
  },
);
