/**
 * Calls through a real gateway node: its Kamailio (the rendered configuration, htables filled
 * by the planner over JSON-RPC) and rtpengine, with sipp playing Microsoft's SIP proxy on one
 * side and the PBX on the other. Each test asserts what the far peer actually received.
 * Runs only with KAMAILIO_TESTS=1 and kamailio, rtpengine and sipp on PATH.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CdrRecord, SipTraceMessage } from "../shared/contracts/gateway.ts";
import { baresipPresent, soxStat, soxTone, startBaresip } from "./baresip.test-support.ts";
import { buildEnterprise, buildSnapshot, buildUser } from "./gateway.test-support.ts";
import { regionCallOwner } from "./hep/cdr.ts";
import { type HepReceiver, startHepReceiver } from "./hep/receiver.ts";
import {
  kamailioArgs,
  renderDispatcherList,
  renderKamailioConfig,
  renderUacregDb,
} from "./kamailio/render.ts";
import { createKamailioRpc, type KamailioRpc } from "./kamailio/rpc.ts";
import {
  freeMediaPort,
  freePort,
  kamailioPresent,
  kamailioTestsWanted,
  until,
} from "./kamailio.test-support.ts";
import { diffHtables, emptyHtables, type Htables, planHtables } from "./reconcile/htables.ts";
import { holdMusicWav } from "./rtpengine/hold-music.ts";
import { rtpengineArgs } from "./rtpengine/render.ts";
import {
  calleeScenario,
  callerScenario,
  findMessage,
  header,
  type SippRun,
  sentAt,
  sippPresent,
  startSipp,
} from "./sipp.test-support.ts";
import { applySnapshot, type RegionState } from "./state.ts";
import { type Supervisor, superviseProcess } from "./supervisor.ts";

const rtpenginePresent = !spawnSync("rtpengine", ["--version"]).error;
const enabled = kamailioTestsWanted && kamailioPresent && sippPresent && rtpenginePresent;

const FQDN = "ent1.eu.sbc.example";
const PBX_DOMAIN = "pbx.acme.example";

describe.skipIf(!enabled)(
  `calls through a gateway node${enabled ? "" : " (skipped: set KAMAILIO_TESTS=1 with kamailio, rtpengine and sipp installed)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "teamgate-calls-"));
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);
    let kamailio: Supervisor;
    let rtpengine: Supervisor;
    let rpc: KamailioRpc;
    let pbxSide: number;
    let msSide: number;
    let msProxy: number;
    let pbxPort: number;
    let htables: Htables = emptyHtables();
    let state: RegionState;
    let hep: HepReceiver;
    let kamailioExits = 0;
    const cdrs: CdrRecord[] = [];
    const traces: SipTraceMessage[] = [];

    /** The region: ent_1 served, usr_1 a PBX user (dev_1), usr_3 a trunk user, ent_2 disabled. */
    async function applyRegion(snapshot = buildSnapshot()): Promise<void> {
      state = applySnapshot(snapshot).state;
      for (const op of diffHtables(planHtables(state), htables)) {
        if (op.op === "set") await rpc.htableSet(op.table, op.key, op.value);
        else await rpc.htableDelete(op.table, op.key);
      }
      htables = planHtables(state);
    }

    function region(
      overrides: { enterprises?: ReturnType<typeof buildEnterprise>[]; pbxHost?: string } = {},
    ) {
      return buildSnapshot({
        enterprises: overrides.enterprises ?? [
          buildEnterprise({ trunks: [{ fqdn: FQDN, priority: 0, status: "active" }] }),
        ],
        pbxes: [
          {
            ...buildSnapshot().pbxes[0]!,
            sipDomain: PBX_DOMAIN,
            sipProxy: `${overrides.pbxHost ?? "127.0.0.1"}:${pbxPort}`,
          },
        ],
        users: [
          buildUser({ userId: "usr_1", sipUser: `1001@${PBX_DOMAIN}`, phoneNumber: "+3211000001" }),
          buildUser({
            userId: "usr_3",
            service: "trunk",
            sipUser: null,
            phoneNumber: "+3211000003",
            forwardedDids: ["+3211000033"],
            device: null,
          }),
        ],
      });
    }

    beforeAll(async () => {
      [pbxSide, msSide, msProxy, pbxPort] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
      const rpcPort = await freePort();
      const deadProxy = await freePort();
      const ngPort = await freePort();
      const hepPort = await freePort();
      const uacDbDir = join(dir, "uacdb");
      mkdirSync(uacDbDir);
      mkdirSync(join(dir, "run"));
      for (const [name, text] of Object.entries(renderUacregDb()))
        writeFileSync(join(uacDbDir, name), text);
      const options = {
        nodeName: "calls-test",
        pbx: { address: "127.0.0.1", port: pbxSide, transports: ["udp", "tcp"] as const },
        microsoft: {
          address: "127.0.0.1",
          port: msSide,
          tls: null,
          networks: ["127.0.0.0/8"],
        },
        // the first proxy answers nothing: calls fail over to the second within 2 s
        microsoftProxies: [
          { uri: `sip:127.0.0.1:${deadProxy};transport=tcp` },
          { uri: `sip:127.0.0.1:${msProxy};transport=tcp` },
        ],
        dispatcherListPath: join(dir, "dispatcher.list"),
        uacDbDir,
        optionsFromHost: "sbc.example",
        rpcPort,
        hepPort,
        registrations: { expectedCount: 10 },
        rtpengine: { ngPort, holdMusic: join(dir, "hold.wav") },
        children: 2,
      };
      writeFileSync(options.dispatcherListPath, renderDispatcherList(options));
      writeFileSync(join(dir, "hold.wav"), holdMusicWav());
      writeFileSync(join(dir, "kamailio.cfg"), renderKamailioConfig(options));
      const portMin = 20_000 + (ngPort % 20_000);
      rtpengine = superviseProcess({
        cmd: "rtpengine",
        args: rtpengineArgs({
          interface: { address: "127.0.0.1" },
          ngPort,
          portMin,
          portMax: portMin + 99,
        }),
        onOutput: (line) => log(`rtpengine: ${line}`),
      });
      kamailio = superviseProcess({
        cmd: "kamailio",
        args: kamailioArgs({
          configPath: join(dir, "kamailio.cfg"),
          runDir: join(dir, "run"),
          expectedRegistrations: 10,
        }),
        onOutput: (line) => log(`kamailio: ${line}`),
        onEvent: (event) => {
          if (event.type === "exited") kamailioExits++;
        },
      });
      rpc = createKamailioRpc({ url: `http://127.0.0.1:${rpcPort}/RPC`, timeoutMs: 2_000 });
      await until("Kamailio's JSON-RPC", () => rpc.coreUptime().then(() => true), 20_000);
      await applyRegion(region());
      hep = startHepReceiver({
        port: hepPort,
        client: {
          postCdrs: async (items) => {
            cdrs.push(...items);
            return { accepted: items.length, duplicates: 0 };
          },
          postTraces: async (items) => {
            traces.push(...items);
            return { accepted: items.length, duplicates: 0 };
          },
        },
        collector: {
          pbx: { address: "127.0.0.1", port: pbxSide },
          listeners: [
            { address: "127.0.0.1", port: pbxSide },
            { address: "127.0.0.1", port: msSide },
          ],
          lingerMs: 500,
        },
        owner: (finished) => regionCallOwner(state)(finished),
        flushEveryMs: 200,
      });
    }, 40_000);

    afterAll(async () => {
      await hep?.stop();
      await kamailio?.stop();
      await rtpengine?.stop();
      if (process.env.KEEP_TEST_DIR !== "1") rmSync(dir, { recursive: true, force: true });
    });

    let runs = 0;
    /** Runs a callee (first) and a caller; returns both runs. */
    async function call(o: {
      caller: Parameters<typeof callerScenario>[0];
      callerSide: "ms" | "pbx";
      callee?: Parameters<typeof calleeScenario>[0];
      /** Calls the caller makes at `rate` a second (default one). */
      calls?: number;
      rate?: number;
    }): Promise<{ caller: SippRun; callee: SippRun | null }> {
      runs += 1;
      const callee = o.callee
        ? startSipp({
            dir,
            name: `callee-${runs}`,
            scenario: calleeScenario(o.callee),
            localPort: o.callerSide === "ms" ? pbxPort : msProxy,
            transport: o.callerSide === "ms" ? "udp" : "tcp",
            mediaPort: await freeMediaPort(),
            calls: o.calls,
          })
        : null;
      await new Promise((done) => setTimeout(done, 300));
      const callerPort = await freePort();
      const caller = await startSipp({
        dir,
        name: `caller-${runs}`,
        scenario: callerScenario(o.caller),
        localPort: callerPort,
        transport: o.callerSide === "ms" ? "tcp" : "udp",
        remote: `127.0.0.1:${o.callerSide === "ms" ? msSide : pbxSide}`,
        mediaPort: await freeMediaPort(),
        calls: o.calls,
        rate: o.rate,
      }).done;
      if (caller.status !== 0) callee?.kill();
      const calleeRun = callee ? await callee.done : null;
      return { caller, callee: calleeRun };
    }

    /** The PBX calling a device registered by the node (by default usr_1's, dev_1). */
    const pbxCall = (device = "dev_1", expect = 200) => ({
      requestUri: `sip:${device}@127.0.0.1:${pbxSide}`,
      from: `sip:2002@${PBX_DOMAIN}`,
      to: `sip:${device}@127.0.0.1`,
      profile: "RTP/AVP" as const,
      expect,
    });

    /** A Teams user (usr_1, +3211000001) calling out. */
    const teamsCall = () => ({
      requestUri: `sip:+3299887766@${FQDN}:${msSide};user=phone`,
      from: "sip:+3211000001@sip.pstnhub.microsoft.com;user=phone",
      to: `sip:+3299887766@${FQDN}`,
      profile: "RTP/SAVP" as const,
      expect: 200,
    });

    const explain = (run: SippRun | null) =>
      `${run?.messages ?? ""}\n${run?.stderr ?? ""}\n${logs.slice(-40).join("\n")}`;

    it("a Teams user's call reaches the PBX as the user's device, authenticated with its digest credentials", async () => {
      const { caller, callee } = await call({
        callerSide: "ms",
        caller: teamsCall(),
        callee: {
          profile: "RTP/AVP",
          // the PBX prefers SHA-256 (RFC 8760); the node answers its MD5 challenge
          challenge: {
            realm: "pbx.acme.example",
            username: "auth1",
            password: "secret-1",
            algorithms: ["SHA-256", "MD5"],
          },
        },
      });
      expect(caller.status, explain(caller)).toBe(0);
      expect(callee?.status, explain(callee)).toBe(0);
      const invites = (callee?.received ?? []).filter((m) => m.startsWith("INVITE "));
      expect(invites).toHaveLength(2);
      const [first, authed] = invites as [string, string];
      expect(first.split("\n")[0]).toBe(`INVITE sip:+3299887766@${PBX_DOMAIN} SIP/2.0`);
      expect(header(authed, "From")).toMatch(new RegExp(`^<?sip:1001@${PBX_DOMAIN}>?;tag=`));
      expect(header(authed, "Authorization")).toMatch(/username="auth1"/);
      expect(header(authed, "Authorization")).toMatch(/nonce="\d+MD5\d+"/);
      // media towards the PBX: plain RTP through rtpengine, no keys
      expect(authed).toMatch(/m=audio \d+ RTP\/AVP /);
      expect(authed).not.toMatch(/a=crypto/);
      expect(authed).not.toMatch(/P-Asserted-Identity/i);
      // towards Microsoft: the answer is SRTP and the Contact names the tenant's FQDN
      const ok = findMessage(caller.received, /^SIP\/2\.0 200/) ?? "";
      expect(ok).toMatch(/m=audio \d+ RTP\/SAVP /);
      expect(ok).toMatch(/a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/);
      expect(header(ok, "Contact")).toBe(`<sip:callee@${FQDN}:${msSide};transport=tcp>`);

      // a call record per leg, owned by the Teams user, and the SIP trace of both legs
      const callId = header(findMessage(callee?.received ?? [], /^INVITE /) ?? "", "Call-ID");
      const records = await until("both legs' call records", async () => {
        const found = cdrs.filter((c) => c.callId === callId);
        return found.length === 2 ? found : undefined;
      });
      for (const record of records)
        expect(record).toMatchObject({
          direction: "outbound",
          userId: "usr_1",
          enterpriseId: "ent_1",
          callee: "+3299887766",
          disposition: "answered",
          sipCode: 200,
          hangupSide: "caller",
          codec: "PCMU",
        });
      // each leg as its peer saw it: the Teams number towards Microsoft, the extension at the PBX
      expect(Object.fromEntries(records.map((r) => [r.leg, r.caller]))).toEqual({
        microsoft: "+3211000001",
        pbx: "1001",
      });
      const traced = traces.filter((m) => m.callId === callId);
      expect(traced.filter((m) => m.leg === "pbx" && /^INVITE /.test(m.message))).toHaveLength(2);
      expect(traced.some((m) => m.leg === "microsoft" && /^BYE /.test(m.message))).toBe(true);
    }, 40_000);

    it("a call from the PBX to a registered device reaches Microsoft as the user's number, failing over past a dead proxy", async () => {
      const { caller, callee } = await call({
        callerSide: "pbx",
        caller: pbxCall("dev_1", 200),
        callee: { profile: "RTP/SAVP" },
      });
      expect(caller.status, explain(caller)).toBe(0);
      expect(callee?.status, explain(callee)).toBe(0);
      const invite = findMessage(callee?.received ?? [], /^INVITE /) ?? "";
      expect(invite.split("\n")[0]).toBe(
        `INVITE sip:+3211000001@127.0.0.1:${msProxy};user=phone SIP/2.0`,
      );
      expect(header(invite, "Contact")).toBe(`<sip:2002@${FQDN}:${msSide};transport=tcp>`);
      expect(header(invite, "X-MS-SBC")).toBe("Teamgate/SBC/1.0");
      expect(header(invite, "From")).toMatch(new RegExp(`^<sip:2002@${FQDN}>;tag=`));
      expect(header(invite, "To")).toBe(`<sip:+3211000001@${FQDN}>`);
      expect(invite).toMatch(/m=audio \d+ RTP\/SAVP /);
      expect([...invite.matchAll(/a=crypto:/g)]).toHaveLength(1);
      expect(invite).toMatch(/a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
      const ok = findMessage(caller.received, /^SIP\/2\.0 200/) ?? "";
      expect(ok).toMatch(/m=audio \d+ RTP\/AVP /);
      expect(ok).not.toMatch(/a=crypto/);
    }, 40_000);

    it.skipIf(!baresipPresent)(
      "carries real audio both ways: a tone from the PBX side is heard in Teams over SRTP, and one from Teams at the PBX",
      async () => {
        const tones = { pbx: join(dir, "tone-1000.wav"), teams: join(dir, "tone-600.wav") };
        soxTone(tones.pbx, 1000, 6);
        soxTone(tones.teams, 600, 6);
        // Microsoft's proxy: a phone answering with SRTP only, its microphone playing 600 Hz
        const teams = startBaresip({
          dir,
          name: "teams",
          port: msProxy,
          aor: "sip:+3211000001@127.0.0.1",
          source: tones.teams,
          srtp: true,
          seconds: 8,
        });
        await new Promise((done) => setTimeout(done, 1_000));
        // the PBX calls the user's registered device, its microphone playing 1000 Hz
        const pbx = startBaresip({
          dir,
          name: "pbx",
          port: await freePort(),
          aor: `sip:2002@${PBX_DOMAIN}`,
          source: tones.pbx,
          srtp: false,
          dial: `sip:dev_1@127.0.0.1:${pbxSide}`,
          seconds: 5,
        });
        await Promise.all([pbx.done, teams.done]);
        const heardInTeams = teams.recordings().map(soxStat);
        const heardAtPbx = pbx.recordings().map(soxStat);
        const why = `${teams.output()}\n${pbx.output()}\n${logs.slice(-30).join("\n")}`;
        expect(heardInTeams, why).toHaveLength(1);
        expect(heardAtPbx, why).toHaveLength(1);
        for (const [heard, hz] of [
          [heardInTeams[0]!, 1000],
          [heardAtPbx[0]!, 600],
        ] as const) {
          expect(heard.seconds, why).toBeGreaterThan(2);
          expect(heard.rms, why).toBeGreaterThan(0.1);
          expect(Math.abs(heard.hz - hz), why).toBeLessThan(hz * 0.08);
        }
        expect(teams.output()).toMatch(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_80\)/);
      },
      40_000,
    );

    it("a call from the provider's trunk to a trunk user's DID reaches Microsoft", async () => {
      const { caller, callee } = await call({
        callerSide: "pbx",
        caller: {
          requestUri: `sip:+3211000033@127.0.0.1:${pbxSide}`,
          from: "sip:+3255512345@trunk.example",
          to: "sip:+3211000033@127.0.0.1",
          profile: "RTP/AVP",
          expect: 200,
        },
        callee: { profile: "RTP/SAVP" },
      });
      expect(caller.status, explain(caller)).toBe(0);
      const invite = findMessage(callee?.received ?? [], /^INVITE /) ?? "";
      expect(invite.split("\n")[0]).toBe(
        `INVITE sip:+3211000003@127.0.0.1:${msProxy};user=phone SIP/2.0`,
      );
    }, 40_000);

    it("passes Teams' hold and resume to the PBX when the enterprise uses its PBX's music on hold", async () => {
      await applyRegion(
        region({
          enterprises: [
            buildEnterprise({
              pbxMusicOnHold: true,
              trunks: [{ fqdn: FQDN, priority: 0, status: "active" }],
            }),
          ],
        }),
      );
      try {
        const { caller, callee } = await call({
          callerSide: "ms",
          caller: {
            ...teamsCall(),
            steps: [{ reinvite: "sendonly" }, { reinvite: "sendrecv" }],
          },
          callee: {
            profile: "RTP/AVP",
            challenge: { realm: PBX_DOMAIN, username: "auth1", password: "secret-1" },
            steps: [{ reinvite: "sendonly" }, { reinvite: "sendrecv" }],
          },
        });
        expect(caller.status, explain(caller)).toBe(0);
        expect(callee?.status, explain(callee)).toBe(0);
        const reinvites = (callee?.received ?? []).filter((m) =>
          /^INVITE .*\nCSeq: [34] /s.test(m),
        );
        expect(
          reinvites.map((m) => /a=(sendonly|sendrecv|recvonly|inactive)/.exec(m)?.[1]),
        ).toEqual(["sendonly", "sendrecv"]);
        // the answers reach Microsoft as SRTP, recvonly while held
        const oks = caller.received.filter((m) => /^SIP\/2\.0 200.*\nCSeq: [23] INVITE/s.test(m));
        expect(oks.map((m) => /a=(sendonly|sendrecv|recvonly|inactive)/.exec(m)?.[1])).toEqual([
          "recvonly",
          "sendrecv",
        ]);
        for (const ok of oks) expect(ok).toMatch(/RTP\/SAVP/);
      } finally {
        await applyRegion(region());
      }
    }, 40_000);

    it("answers Teams' hold itself and plays its music to the PBX side when the PBX plays none; the resume stops it", async () => {
      const media = createSocket("udp4");
      const arrivals: number[] = [];
      media.on("message", () => arrivals.push(Date.now()));
      await new Promise<void>((done) => media.bind(0, "127.0.0.1", done));
      const mediaPort = media.address().port;
      try {
        const { caller, callee } = await call({
          callerSide: "ms",
          caller: {
            ...teamsCall(),
            steps: [{ reinvite: "sendonly" }, { reinvite: "sendrecv" }],
            stepPauseMs: 1_500,
          },
          callee: {
            profile: "RTP/AVP",
            challenge: { realm: PBX_DOMAIN, username: "auth1", password: "secret-1" },
            mediaPort,
          },
        });
        expect(caller.status, explain(caller)).toBe(0);
        expect(callee?.status, explain(callee)).toBe(0);
        // the PBX saw no re-INVITE: only the call's two INVITEs (challenged, then authenticated)
        expect((callee?.received ?? []).filter((m) => m.startsWith("INVITE "))).toHaveLength(2);
        const oks = caller.received.filter((m) => /^SIP\/2\.0 200.*\nCSeq: [123] INVITE/s.test(m));
        const port = (m: string) => /m=audio (\d+) RTP\/SAVP/.exec(m)?.[1];
        const version = (m: string) => Number(/o=\S+ \S+ (\d+)/.exec(m)?.[1]);
        expect(oks.map((m) => /a=(sendrecv|recvonly|inactive)/.exec(m)?.[1])).toEqual([
          "sendrecv",
          "recvonly",
          "sendrecv",
        ]);
        // the same media address for Microsoft throughout, the session version going up
        expect(new Set(oks.map(port)).size).toBe(1);
        expect(version(oks[1]!)).toBe(version(oks[0]!) + 1);
        expect(version(oks[2]!)).toBe(version(oks[0]!) + 2);
        // nobody else sends media in this test: what reached the PBX side is the music
        const held = sentAt(caller.messages, /^INVITE .*\nCSeq: 2 INVITE/s);
        const resumed = sentAt(caller.messages, /^INVITE .*\nCSeq: 3 INVITE/s);
        expect(arrivals.filter((t) => t > held && t < resumed).length).toBeGreaterThan(20);
        // the music stops with the resume (a margin for the packets already on their way)
        expect(arrivals.filter((t) => t > resumed + 250)).toEqual([]);
      } finally {
        media.close();
      }
    }, 40_000);

    it("hands a blind transfer from Teams (REFER) to the PBX, the target on the PBX's domain; the PBX's NOTIFY reaches Teams", async () => {
      const { caller, callee } = await call({
        callerSide: "ms",
        caller: { ...teamsCall(), steps: [{ refer: "sip:+3255500000@sip.pstnhub.microsoft.com" }] },
        callee: {
          profile: "RTP/AVP",
          challenge: { realm: PBX_DOMAIN, username: "auth1", password: "secret-1" },
          steps: [{ refer: true }],
        },
      });
      expect(caller.status, explain(caller)).toBe(0);
      expect(callee?.status, explain(callee)).toBe(0);
      const refer = findMessage(callee?.received ?? [], /^REFER /) ?? "";
      expect(header(refer, "Refer-To")).toBe(`<sip:+3255500000@${PBX_DOMAIN}>`);
      expect(findMessage(caller.received, /^NOTIFY /)).toMatch(/SIP\/2\.0 200 OK/);
    }, 40_000);

    it("survives garbage and malformed SIP on both sides: no process dies, the next call goes through", async () => {
      const udp = createSocket("udp4");
      const malformed = [
        "INVITE sip:dev_1@127.0.0.1 SIP/2.0\r\n\r\n",
        "INVITE sip:dev_1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nContent-Length: 99999\r\n\r\nv=0",
        "SIP/2.0 200 OK\r\nVia: garbage\r\n\r\n",
        `OPTIONS sip:x SIP/2.0\r\n${"X-Long: a\r\n".repeat(500)}\r\n`,
      ];
      for (let i = 0; i < 200; i++) {
        const payload =
          i < malformed.length ? Buffer.from(malformed[i]!) : randomBytes(1 + (i % 1400));
        await new Promise<void>((done) => udp.send(payload, pbxSide, "127.0.0.1", () => done()));
      }
      udp.close();
      for (const payload of [randomBytes(4096), Buffer.from(malformed[1]!)]) {
        await new Promise<void>((done) => {
          const socket = createConnection({ host: "127.0.0.1", port: msSide }, () => {
            socket.end(payload);
          });
          socket.on("close", () => done());
          socket.on("error", () => done());
        });
      }
      await until("Kamailio still answering", () => rpc.coreUptime().then(() => true));
      expect(kamailioExits).toBe(0);
      expect(rtpengine.state).toBe("running");
      const { caller } = await call({
        callerSide: "pbx",
        caller: pbxCall(),
        callee: { profile: "RTP/SAVP" },
      });
      expect(caller.status, explain(caller)).toBe(0);
    }, 40_000);

    it("refuses a Teams call whose calling number is not one of the tenant's users (caller-ID screening)", async () => {
      const { caller } = await call({
        callerSide: "ms",
        caller: {
          requestUri: `sip:+3299887766@${FQDN}:${msSide};user=phone`,
          from: "sip:+3211999999@sip.pstnhub.microsoft.com;user=phone",
          to: `sip:+3299887766@${FQDN}`,
          profile: "RTP/SAVP",
          expect: 403,
        },
      });
      expect(caller.status, explain(caller)).toBe(0);
      expect(findMessage(caller.received, /^SIP\/2\.0 403/)).toMatch(/calling number/);
    }, 30_000);

    it("refuses a Teams call to an FQDN no served enterprise has (403), and a PBX call to an unknown device (404)", async () => {
      const unknownTrunk = await call({
        callerSide: "ms",
        caller: {
          requestUri: "sip:+3299887766@other.eu.sbc.example;user=phone",
          from: "sip:+3211000001@sip.pstnhub.microsoft.com;user=phone",
          to: "sip:+3299887766@other.eu.sbc.example",
          profile: "RTP/SAVP",
          expect: 403,
        },
      });
      expect(unknownTrunk.caller.status, explain(unknownTrunk.caller)).toBe(0);
      const unknownDevice = await call({
        callerSide: "pbx",
        caller: pbxCall("dev_404", 404),
      });
      expect(unknownDevice.caller.status, explain(unknownDevice.caller)).toBe(0);
    }, 30_000);

    it("refuses a call to a device that does not come from the user's PBX (no open relay): 403", async () => {
      await applyRegion(region({ pbxHost: "127.0.0.2" }));
      try {
        const { caller } = await call({
          callerSide: "pbx",
          caller: pbxCall("dev_1", 403),
        });
        expect(caller.status, explain(caller)).toBe(0);
        expect(findMessage(caller.received, /^SIP\/2\.0 403/)).toMatch(/not this user's PBX/);
      } finally {
        await applyRegion(region());
      }
    }, 30_000);

    it("carries a busy PBX's calls: 150 calls at 100 a second from one address, none dropped as a flood", async () => {
      const { caller, callee } = await call({
        callerSide: "pbx",
        caller: { ...pbxCall(), holdMs: 200 },
        callee: { profile: "RTP/SAVP" },
        calls: 150,
        rate: 100,
      });
      expect(caller.status, explain(caller)).toBe(0);
      expect(callee?.status, explain(callee)).toBe(0);
      expect(caller.received.filter((m) => /^SIP\/2\.0 200/.test(m)).length).toBe(300);
      expect(logs.some((line) => /PIKE - BLOCKing/.test(line))).toBe(false);
    }, 40_000);

    it("refuses calls both ways once the enterprise is disabled (no longer in the feed): 403", async () => {
      await applyRegion(region({ enterprises: [] }));
      try {
        const fromTeams = await call({
          callerSide: "ms",
          caller: { ...teamsCall(), expect: 403 },
        });
        expect(fromTeams.caller.status, explain(fromTeams.caller)).toBe(0);
        const fromPbx = await call({
          callerSide: "pbx",
          caller: pbxCall("dev_1", 403),
        });
        expect(fromPbx.caller.status, explain(fromPbx.caller)).toBe(0);
      } finally {
        await applyRegion(region());
      }
    }, 40_000);
  },
);
