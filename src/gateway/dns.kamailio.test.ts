/**
 * PBX locations found by SRV and NAPTR, against a real DNS server: BIND 9 (`named`) started here
 * on 127.0.0.1 port 53 with zones of its own, a gateway agent asking it (`dnsServers`) and its
 * Kamailio running in a private mount namespace whose /etc/resolv.conf names it (the machine's
 * own is never touched). The demo PBX listens on a port only the SRV records name, so a device
 * that registers was found through them; calls from the PBX are checked against the addresses
 * the agent resolved (`pbxip`). Runs only with KAMAILIO_TESTS=1, as root (the mount), with
 * kamailio, named, unshare and sipp present.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayChanges, LeasesResponse } from "../shared/contracts/gateway.ts";
import { type GatewayAgent, startGatewayAgent } from "./agent.ts";
import type { GatewayClient } from "./feed/client.ts";
import { memoryCursorStore } from "./feed/cursor-store.ts";
import { buildEnterprise, buildPbx, buildSnapshot, buildUser } from "./gateway.test-support.ts";
import {
  type DemoPbx,
  freeMediaPort,
  freePort,
  kamailioPresent,
  kamailioTestsWanted,
  pbxRegistered,
  startDemoPbx,
  until,
} from "./kamailio.test-support.ts";
import {
  calleeScenario,
  callerScenario,
  findMessage,
  type SippRun,
  sippPresent,
  startSipp,
} from "./sipp.test-support.ts";

const NAMED = "/usr/sbin/named";
/**
 * Port 53 (the only port resolv.conf can name) of 127.0.0.1: named binds only addresses the
 * interfaces carry, and a spare one such as 127.53.0.1 would have to be added to the machine.
 */
const DNS_ADDRESS = "127.0.0.1";
const namedPresent = spawnSync(NAMED, ["-v"]).status === 0;
const unsharePresent = spawnSync("unshare", ["--version"]).status === 0;
const isRoot = process.getuid?.() === 0;
const enabled =
  kamailioTestsWanted && kamailioPresent && sippPresent && namedPresent && unsharePresent && isRoot;

const FQDN = "ent1.eu.sbc.example";

/** A zone file for `origin` with its records (relative names, `@` the origin). */
function zoneFile(origin: string, records: readonly string[]): string {
  return [
    "$TTL 60",
    `@ IN SOA ns.${origin}. hostmaster.${origin}. 1 3600 600 86400 60`,
    `@ IN NS ns.${origin}.`,
    `ns IN A ${DNS_ADDRESS}`,
    ...records,
    "",
  ].join("\n");
}

/** Starts `named -g` on DNS_ADDRESS:53, authoritative for `zones`; resolves once it answers. */
async function startNamed(
  dir: string,
  zones: Record<string, readonly string[]>,
  log: (line: string) => void,
): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const zoneConfig = Object.entries(zones).map(([origin, records]) => {
    const file = join(dir, `${origin}.zone`);
    writeFileSync(file, zoneFile(origin, records));
    return `zone "${origin}" { type primary; file "${file}"; };`;
  });
  writeFileSync(
    join(dir, "named.conf"),
    `options {
  directory "${dir}";
  managed-keys-directory "${dir}";
  listen-on port 53 { ${DNS_ADDRESS}; };
  listen-on-v6 { none; };
  pid-file none;
  session-keyfile none;
  recursion no;
  dnssec-validation no;
  notify no;
};
controls { };
${zoneConfig.join("\n")}
`,
  );
  const child = spawn(NAMED, ["-g", "-n", "1", "-c", join(dir, "named.conf")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    log(`named: ${chunk.toString().trimEnd()}`);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([DNS_ADDRESS]);
  const answered = until(
    "named to answer",
    async () => {
      // e.g. port 53 of 127.0.0.1 taken by a local resolver
      if (child.exitCode !== null) throw new Error(`named exited:\n${output.slice(-2000)}`);
      return (await resolver.resolveSoa(Object.keys(zones)[0]!)) !== null;
    },
    15_000,
  );
  // a named that never answered is not left behind
  await answered.catch((error) => {
    child.kill("SIGKILL");
    throw error;
  });
  return child;
}

/** A feed that serves one snapshot and then nothing; every lease asked for is granted. */
function fakeClient(snapshot: ReturnType<typeof buildSnapshot>): GatewayClient {
  const leases = (ids: readonly string[]): LeasesResponse => ({
    leases: ids.map((deviceId) => ({ deviceId, expiresAt: "2099-01-01T00:00:00Z" })),
    lost: [],
    leasePeriodSeconds: 30,
  });
  return {
    snapshot: async () => snapshot,
    changes: async (_after, _wait, signal) =>
      new Promise<GatewayChanges>((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
    acquireLeases: async (body) => leases(body.deviceIds ?? []),
    renewLeases: async (ids) => leases(ids),
    releaseLeases: async () => leases([]),
    reportRegistrations: async (items) => ({
      items: items.map((i) => ({ deviceId: i.deviceId, status: 200 as const })),
    }),
    postCdrs: async (items) => ({ accepted: items.length, duplicates: 0 }),
    postTraces: async (items) => ({ accepted: items.length, duplicates: 0 }),
  };
}

describe.skipIf(!enabled)(
  `PBX locations found by SRV and NAPTR${enabled ? "" : " (skipped: set KAMAILIO_TESTS=1, as root, with kamailio, named, unshare and sipp installed)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "teamgate-dns-"));
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);
    let named: ChildProcess | null = null;
    let pbx: DemoPbx;
    let agent: GatewayAgent;
    let sipPort: number;
    let msSide: number;
    let msProxy: number;
    /** The second SRV target of pbx-two.test, where sipp answers as the PBX. */
    let secondTarget: number;

    beforeAll(async () => {
      const pbxPort = await freePort();
      const deadPort = await freePort();
      secondTarget = await freePort();
      [sipPort, msSide, msProxy] = await Promise.all([freePort(), freePort(), freePort()]);
      named = await startNamed(
        join(dir, "named"),
        {
          // SRV: the registrar's port is named only here
          "pbx-srv.test": [
            `_sip._udp IN SRV 10 0 ${pbxPort} host-a.pbx-srv.test.`,
            "host-a IN A 127.0.0.1",
          ],
          // NAPTR: TCP only, to an SRV name the fallback (`_sip._udp`) would never ask
          "pbx-naptr.test": [
            '@ IN NAPTR 10 0 "s" "SIP+D2T" "" _sip._tcp.pbx-naptr.test.',
            `_sip._tcp IN SRV 10 0 ${pbxPort} host-n.pbx-naptr.test.`,
            "host-n IN A 127.0.0.1",
          ],
          // two SRV targets over TCP, the preferred one refusing connections
          "pbx-two.test": [
            `_sip._tcp IN SRV 10 0 ${deadPort} host-down.pbx-two.test.`,
            `_sip._tcp IN SRV 20 0 ${secondTarget} host-up.pbx-two.test.`,
            "host-down IN A 127.0.0.1",
            "host-up IN A 127.0.0.1",
          ],
        },
        log,
      );
      pbx = await startDemoPbx(
        dir,
        [
          { authId: "auth1", password: "secret-1" },
          { authId: "auth2", password: "secret-2" },
          { authId: "auth3", password: "secret-3" },
        ],
        log,
        pbxPort,
      );
      // Kamailio asks the libc resolver: a private mount namespace gives it a resolv.conf of its own
      const resolvConf = join(dir, "resolv.conf");
      writeFileSync(resolvConf, `nameserver ${DNS_ADDRESS}\noptions timeout:1 attempts:2\n`);
      const wrapper = join(dir, "kamailio-in-namespace");
      writeFileSync(
        wrapper,
        `#!/bin/sh\nexec unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec kamailio "$@"' "${resolvConf}" "$@"\n`,
      );
      chmodSync(wrapper, 0o755);
      const snapshot = buildSnapshot({
        enterprises: [buildEnterprise({ trunks: [{ fqdn: FQDN, priority: 0, status: "active" }] })],
        pbxes: [
          buildPbx({ pbxId: "pbx_srv", dnsLookup: "SRV", sipDomain: "pbx-srv.test" }),
          buildPbx({
            pbxId: "pbx_naptr",
            dnsLookup: "NAPTR",
            sipDomain: "pbx-naptr.test",
            transport: "tcp",
          }),
          buildPbx({
            pbxId: "pbx_two",
            dnsLookup: "SRV",
            sipDomain: "pbx-two.test",
            transport: "tcp",
          }),
        ],
        users: [
          buildUser({ userId: "usr_1", pbxId: "pbx_srv", sipUser: "auth1@pbx-srv.test" }),
          buildUser({ userId: "usr_2", pbxId: "pbx_naptr", sipUser: "auth2@pbx-naptr.test" }),
          buildUser({ userId: "usr_3", pbxId: "pbx_two", sipUser: "auth3@pbx-two.test" }),
        ],
      });
      agent = startGatewayAgent({
        apiUrl: "http://api.invalid/api/v1",
        token: "gw.x.y",
        sipAddress: "127.0.0.1",
        sipPort,
        rpcPort: await freePort(),
        runDir: join(dir, "agent"),
        receiveHep: false,
        rtpengine: null,
        kamailioCmd: wrapper,
        // every table, pbxip too, loaded whole from its db_text file
        htableBulkThreshold: 0,
        dnsServers: [DNS_ADDRESS],
        client: fakeClient(snapshot),
        store: memoryCursorStore(),
        reportEveryMs: 500,
        kamailio: {
          registrations: { expectedCount: 10, timerInterval: 1, retryInterval: 5 },
          children: 2,
          microsoft: { address: "127.0.0.1", port: msSide, tls: null, networks: ["127.0.0.0/8"] },
          microsoftProxies: [{ uri: `sip:127.0.0.1:${msProxy};transport=tcp` }],
        },
        log: (line) => logs.push(`agent: ${line}`),
      });
      await until("the agent ready", async () => agent.ready(), 20_000);
    }, 60_000);

    afterAll(async () => {
      await agent?.stop();
      await pbx?.process.stop();
      if (named && named.exitCode === null) {
        const exited = new Promise((done) => named?.once("exit", done));
        named.kill("SIGTERM");
        await exited;
      }
      if (process.env.KEEP_TEST_DIR !== "1") rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    const explain = (run?: SippRun | null) =>
      `${run?.messages ?? ""}\n${run?.stderr ?? ""}\n${logs.slice(-60).join("\n")}`;

    it("registers a device of an SRV location at the registrar only the SRV record names", async () => {
      await until("auth1 (usr_1) registered at the PBX", async () =>
        (await pbxRegistered(pbx.rpc)).has("auth1"),
      ).catch((error) => {
        throw new Error(explain(), { cause: error });
      });
    }, 30_000);

    it("registers a device of a NAPTR location over the transport and SRV the NAPTR names", async () => {
      await until("auth2 (usr_2) registered at the PBX", async () =>
        (await pbxRegistered(pbx.rpc)).has("auth2"),
      ).catch((error) => {
        throw new Error(explain(), { cause: error });
      });
      // over TCP: the only transport the NAPTR record offers
      const dump = await pbx.rpc.call<{
        Domains?: Array<{
          Domain?: {
            AoRs?: Array<{
              Info?: { AoR?: string; Contacts?: Array<{ Contact?: { Socket?: string } }> };
            }>;
          };
        }>;
      }>("ul.dump");
      const aor = (dump.Domains ?? [])
        .flatMap((d) => d.Domain?.AoRs ?? [])
        .find((a) => a.Info?.AoR === "auth2");
      expect(aor?.Info?.Contacts?.[0]?.Contact?.Socket).toMatch(/^tcp:/);
    }, 30_000);

    // Once in about ten runs sipp, as Microsoft, saw its TCP connection to the node end right after
    // sending the INVITE ("Problem EAGAIN on socket", its message for a read of 0 bytes) and the
    // call timed out, with nothing in Kamailio's log about that INVITE and no restart; cause not
    // found yet. One more try (retry: 1) keeps the suite's verdict about failover.
    it("sends a Teams call to an SRV location's next target when the first refuses connections (DNS failover)", {
      timeout: 40_000,
      retry: 1,
    }, async () => {
      const callee = startSipp({
        dir,
        name: "pbx-second-target",
        scenario: calleeScenario({ profile: "RTP/AVP" }),
        localPort: secondTarget,
        transport: "tcp",
        mediaPort: await freeMediaPort(),
      });
      await new Promise((done) => setTimeout(done, 300));
      const caller = await startSipp({
        dir,
        name: "teams-usr-3",
        scenario: callerScenario({
          requestUri: `sip:+3299887766@${FQDN}:${msSide};user=phone`,
          from: "sip:+3211000003@sip.pstnhub.microsoft.com;user=phone",
          to: `sip:+3299887766@${FQDN}`,
          profile: "RTP/AVP",
          expect: 200,
        }),
        localPort: await freePort(),
        transport: "tcp",
        remote: `127.0.0.1:${msSide}`,
        mediaPort: await freeMediaPort(),
      }).done;
      if (caller.status !== 0) callee.kill();
      const answered = await callee.done;
      expect(caller.status, explain(caller)).toBe(0);
      expect(answered.status, explain(answered)).toBe(0);
      expect(findMessage(answered.received, /^INVITE /)?.split("\n")[0]).toBe(
        "INVITE sip:+3299887766@pbx-two.test SIP/2.0",
      );
    });

    /** The PBX (sipp bound to `address`) calls dev_1, usr_1's device of the SRV location. */
    async function pbxCalls(address: string, expectCode: number) {
      const callee =
        expectCode === 200
          ? startSipp({
              dir,
              name: `ms-${address}`,
              scenario: calleeScenario({ profile: "RTP/AVP" }),
              localPort: msProxy,
              transport: "tcp",
              mediaPort: await freeMediaPort(),
            })
          : null;
      await new Promise((done) => setTimeout(done, 300));
      const caller = await startSipp({
        dir,
        name: `pbx-${address}`,
        scenario: callerScenario({
          requestUri: `sip:dev_1@127.0.0.1:${sipPort}`,
          from: "sip:2002@pbx-srv.test",
          to: "sip:dev_1@127.0.0.1",
          profile: "RTP/AVP",
          expect: expectCode,
        }),
        localAddress: address,
        localPort: await freePort(),
        transport: "udp",
        remote: `127.0.0.1:${sipPort}`,
        mediaPort: await freeMediaPort(),
      }).done;
      if (caller.status !== 0) callee?.kill();
      return { caller, callee: callee ? await callee.done : null };
    }

    it("routes a call from the SRV location's address to Microsoft, and refuses it from another (403)", async () => {
      const from = await pbxCalls("127.0.0.1", 200);
      expect(from.caller.status, explain(from.caller)).toBe(0);
      expect(from.callee?.status, explain(from.callee)).toBe(0);
      expect(findMessage(from.callee?.received ?? [], /^INVITE /)?.split("\n")[0]).toBe(
        `INVITE sip:+3211000001@127.0.0.1:${msProxy};user=phone SIP/2.0`,
      );

      const elsewhere = await pbxCalls("127.0.0.2", 403);
      expect(elsewhere.caller.status, explain(elsewhere.caller)).toBe(0);
      expect(findMessage(elsewhere.caller.received, /^SIP\/2\.0 403/)).toMatch(
        /not this user's PBX/,
      );
    }, 40_000);
  },
);
