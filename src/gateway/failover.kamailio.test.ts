/**
 * Failover on loopback (ADR 0019): two gateway nodes of one region share the devices through the
 * API's leases (6 s here) and register them at the demo PBX. Node A crashes (Kamailio SIGKILLed,
 * its loops stopped, no lease released); node B takes over A's devices once A's leases expired at
 * the API, never before. A restarted with the same token takes nothing from B while B renews: the
 * leases do not rebalance (a node acquires free or expired leases only).
 *
 * What the PBX saw is the evidence: its usrloc (`ul.dump`, sampled every 100 ms throughout) and a
 * log line per accepted REGISTER with the source port, which names the node. A crashed node sends
 * no un-REGISTER, so its contacts stay at the PBX until they expire (the PBX location's expiry,
 * 20 s here): a device is never *refreshed* from two nodes, and never holds two live contacts of
 * running nodes. Runs only with KAMAILIO_TESTS=1 and `kamailio` on PATH.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../test/harness.ts";
import { devices } from "../server/db/schema/index.ts";
import { buildEnterprise, buildWorld } from "../server/db/seed/factories.ts";
import {
  buildConfiguredUsers,
  buildDirectRoute,
  buildGatewayNode,
} from "../server/modules/gateway-feed/gateway-feed.factories.ts";
import { buildPbx } from "../server/modules/pbx/pbx.factories.ts";
import { type GatewayAgent, startGatewayAgent } from "./agent.ts";
import type { KamailioRpc } from "./kamailio/rpc.ts";
import {
  freePort,
  kamailioPresent,
  kamailioTestsWanted,
  startDemoPbx,
  until,
} from "./kamailio.test-support.ts";
import type { Supervisor } from "./supervisor.ts";

const enabled = kamailioTestsWanted && kamailioPresent;
const PASSWORD = "pbx-secret-1";
const USERS = 8;
/** A's cap: A leases 5 devices, B the other 3 while both run. */
const CAP_A = 5;
const LEASE_SECONDS = 6;
/** The registration expiry at the PBX: below the portal's minimum, so A's dead contacts go soon. */
const EXPIRY_SECONDS = 20;
/** uac's timer pass (s): a new registration waits up to this. */
const UAC_TIMER_SECONDS = 1;

/** One REGISTER the PBX accepted (its log line). */
interface Saved {
  aor: string;
  port: number;
  /** The PBX's clock, ms. */
  at: number;
  unregister: boolean;
}

/** One `ul.dump` sample: per AOR, the ports of its live contacts (Expires still counting). */
interface Sample {
  at: number;
  contacts: Map<string, number[]>;
}

interface UlDump {
  Domains?: Array<{
    Domain?: {
      AoRs?: Array<{
        Info?: {
          AoR?: string;
          Contacts?: Array<{ Contact?: { Address?: string; Expires?: number | string } }>;
        };
      }>;
    };
  }>;
}

const SAVED_LINE = /saved (\S+) from [\d.]+:(\d+) at (\d+)\.(\d+) expires (\S+) contact (.*)$/;

/** The PBX's live contacts, as ports per AOR. */
async function liveContacts(pbx: KamailioRpc): Promise<Map<string, number[]>> {
  const dump = await pbx.call<UlDump>("ul.dump");
  const byAor = new Map<string, number[]>();
  for (const domain of dump.Domains ?? [])
    for (const aor of domain.Domain?.AoRs ?? []) {
      const ports = (aor.Info?.Contacts ?? [])
        .filter((c) => typeof c.Contact?.Expires === "number" && c.Contact.Expires > 0)
        .map((c) => Number(/:(\d+)(?:[;>]|$)/.exec(c.Contact?.Address ?? "")?.[1] ?? 0));
      if (ports.length > 0) byAor.set(aor.Info?.AoR ?? "", ports);
    }
  return byAor;
}

describe.skipIf(!enabled)(
  `failover between two gateway nodes${enabled ? "" : " (skipped: set KAMAILIO_TESTS=1 with kamailio installed)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "teamgate-failover-"));
    const logs: string[] = [];
    const saved: Saved[] = [];
    const samples: Sample[] = [];
    let sampling = true;
    let sampler: Promise<void> = Promise.resolve();
    let t: TestApp;
    let apiUrl: string;
    let pbxProcess: Supervisor;
    let pbx: KamailioRpc;
    let tokenA: string;
    let tokenB: string;
    let nodeAId: string;
    let nodeBId: string;
    let agentA: GatewayAgent | undefined;
    let agentB: GatewayAgent | undefined;
    let agentA2: GatewayAgent | undefined;
    const ports = { a: 0, b: 0, a2: 0 };
    /** When A was killed (ms). */
    let killedAt = 0;
    /** Per configured user: the device id and the AOR user part at the PBX. */
    let users: Array<{ deviceId: string; aor: string }>;

    function startAgent(name: string, token: string, sipPort: number, cap?: number) {
      return (async () =>
        startGatewayAgent({
          apiUrl,
          token,
          sipAddress: "127.0.0.1",
          sipPort,
          rpcPort: await freePort(),
          receiveHep: false,
          runDir: join(dir, name),
          reportEveryMs: 500,
          feedWaitSeconds: 2,
          ...(cap ? { cap } : {}),
          kamailio: {
            registrations: {
              expectedCount: 16,
              timerInterval: UAC_TIMER_SECONDS,
              retryInterval: 5,
            },
            children: 2,
          },
          log: (line) => logs.push(`${name}: ${line}`),
        }))();
    }

    const registersOf = (aor: string, port: number) =>
      saved.filter((s) => s.aor === aor && s.port === port && !s.unregister);

    async function deviceRows() {
      return t.services.db
        .select({
          id: devices.id,
          state: devices.registrationState,
          leaseNodeId: devices.leaseNodeId,
          leaseExpiresAt: devices.leaseExpiresAt,
        })
        .from(devices)
        .where(
          inArray(
            devices.id,
            users.map((u) => u.deviceId),
          ),
        );
    }

    /** Runs `body`, printing the last log lines when it fails. */
    async function withLogs(body: () => Promise<void>): Promise<void> {
      try {
        await body();
      } catch (error) {
        console.error(logs.slice(-80).join("\n"));
        throw error;
      }
    }

    beforeAll(async () => {
      t = await createTestApp({ env: { GATEWAY_LEASE_SECONDS: String(LEASE_SECONDS) } });
      await t.app.listen({ port: 0, host: "127.0.0.1" });
      const address = t.app.server.address();
      apiUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/api/v1`;
      const db = t.services.db;
      const world = await buildWorld(db);
      const regionId = world.regions[0]!.id;
      const a = await buildGatewayNode(db, regionId);
      const b = await buildGatewayNode(db, regionId);
      ({ token: tokenA } = a);
      ({ token: tokenB } = b);
      nodeAId = a.node.id;
      nodeBId = b.node.id;
      const enterprise = await buildEnterprise(db, {
        reseller: world.a.reseller,
        status: "active",
        tenantId: randomUUID(),
        regionIds: [regionId],
      });
      await buildDirectRoute(db, { enterpriseId: enterprise.id, regionId });
      const pbxPort = await freePort();
      const pbxRow = await buildPbx(db, {
        enterpriseId: enterprise.id,
        pbxTypeId: world.pbxTypes[0]!.id,
        sipDomain: "127.0.0.1",
        sipProxy: `127.0.0.1:${pbxPort}`,
        transport: "udp",
        dnsLookup: "A",
        registrationExpiry: EXPIRY_SECONDS,
      });
      const configured = await buildConfiguredUsers(db, t.services.secret, {
        enterpriseId: enterprise.id,
        regionId,
        pbxId: pbxRow.id,
        password: PASSWORD,
        count: USERS,
      });
      users = configured.map((u) => ({
        deviceId: u.device!.id,
        aor: u.calling.sipUser!.split("@")[0]!,
      }));

      ({ process: pbxProcess, rpc: pbx } = await startDemoPbx(
        dir,
        configured.map((u) => ({ authId: u.device!.sipAuthId, password: PASSWORD })),
        (line) => {
          logs.push(line);
          const m = SAVED_LINE.exec(line);
          if (m)
            saved.push({
              aor: m[1]!,
              port: Number(m[2]),
              at: Number(m[3]) * 1000 + Number(m[4]) / 1000,
              unregister: m[5] === "0" || /;expires=0\b/.test(m[6]!),
            });
        },
        pbxPort,
      ));
      sampler = (async () => {
        while (sampling) {
          const at = Date.now();
          try {
            samples.push({ at, contacts: await liveContacts(pbx) });
          } catch (error) {
            logs.push(`sampler: ${String(error)}`);
          }
          await new Promise((done) => setTimeout(done, 100));
        }
      })();
      ports.a = await freePort();
      ports.b = await freePort();
      ports.a2 = await freePort();
    }, 60_000);

    afterAll(async () => {
      sampling = false;
      await sampler;
      await Promise.all([agentA?.stop(), agentB?.stop(), agentA2?.stop()]);
      await pbxProcess?.stop();
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    }, 90_000);

    it("registers each device from one node only: A its cap, B the rest", async () => {
      await withLogs(async () => {
        agentA = await startAgent("a", tokenA, ports.a, CAP_A);
        const leasedByA = await until(
          "A's 5 devices registered from A",
          async () => {
            const live = await liveContacts(pbx);
            const fromA = users.filter((u) => live.get(u.aor)?.includes(ports.a));
            return agentA!.health().leases === CAP_A && fromA.length === CAP_A && fromA;
          },
          20_000,
        );
        agentB = await startAgent("b", tokenB, ports.b);
        await until(
          "all 8 devices registered",
          async () => {
            const live = await liveContacts(pbx);
            return users.every((u) => live.get(u.aor)?.length === 1);
          },
          20_000,
        );
        // both nodes renew for more than a lease period; the split holds
        await new Promise((done) => setTimeout(done, (LEASE_SECONDS + 2) * 1000));
        await until("the API's devices registered", async () =>
          (await deviceRows()).every((r) => r.state === "registered"),
        );
        expect(agentA.health().leases).toBe(CAP_A);
        expect(agentB.health().leases).toBe(USERS - CAP_A);
        const rows = await deviceRows();
        const aDevices = new Set(leasedByA.map((u) => u.deviceId));
        for (const row of rows)
          expect(row.leaseNodeId).toBe(aDevices.has(row.id) ? nodeAId : nodeBId);

        // each AOR: REGISTERs from one node only, and one live contact at every sample
        for (const u of users) {
          const from = new Set(saved.filter((s) => s.aor === u.aor).map((s) => s.port));
          expect([...from]).toEqual([aDevices.has(u.deviceId) ? ports.a : ports.b]);
        }
        for (const sample of samples)
          for (const [aor, contacts] of sample.contacts)
            expect(contacts.length, `${aor} at ${sample.at}`).toBe(1);
      });
    }, 90_000);

    it("after A crashes, B registers A's devices once A's leases expired, never before", async () => {
      await withLogs(async () => {
        const fromA = users.filter((u) => registersOf(u.aor, ports.a).length > 0);
        expect(fromA).toHaveLength(CAP_A);
        killedAt = Date.now();
        await agentA!.crash();
        // a renewal A sent just before may still land: read A's last expiries once it settled
        await new Promise((done) => setTimeout(done, 1_000));
        const expiries = new Map(
          (await deviceRows())
            .filter((r) => r.leaseNodeId === nodeAId)
            .map((r) => [r.id, r.leaseExpiresAt!.getTime()]),
        );
        expect(expiries.size).toBe(CAP_A);

        // one lease period, then B's next acquire (a third of it), uac's timer, and a margin
        const withinMs = (LEASE_SECONDS + LEASE_SECONDS / 3 + UAC_TIMER_SECONDS + 10) * 1000;
        await until(
          "every device registered from B",
          async () => {
            const live = await liveContacts(pbx);
            return (
              agentB!.health().leases === USERS &&
              users.every((u) => registersOf(u.aor, ports.b).some((s) => s.at > killedAt)) &&
              users.every((u) => live.get(u.aor)?.includes(ports.b))
            );
          },
          withinMs,
        );
        const tookOverMs = Date.now() - killedAt;
        console.info(`B registered A's devices ${tookOverMs} ms after A was killed`);
        await until("the API's devices registered, leased by B", async () =>
          (await deviceRows()).every((r) => r.state === "registered" && r.leaseNodeId === nodeBId),
        );

        // A refreshed nothing after its death (a REGISTER in flight at the kill may still land)
        expect(saved.filter((s) => s.port === ports.a && s.at > killedAt + 500)).toEqual([]);
        const afterLeaseMs: number[] = [];
        for (const u of fromA) {
          const expiresAt = expiries.get(u.deviceId)!;
          const first = registersOf(u.aor, ports.b)[0];
          expect(first, `B registered ${u.aor}`).toBeDefined();
          expect(first!.at, `B's first REGISTER of ${u.aor} after A's lease`).toBeGreaterThan(
            expiresAt,
          );
          afterLeaseMs.push(Math.round(first!.at - expiresAt));
        }
        console.info(`B's first REGISTERs came ${afterLeaseMs.join(", ")} ms after A's leases`);
        // B's own devices never left it
        for (const u of users.filter((u) => !fromA.includes(u)))
          expect(registersOf(u.aor, ports.a)).toEqual([]);
      });
    }, 90_000);

    it("A's dead contacts expire at the PBX; no device held two contacts of running nodes", async () => {
      await withLogs(async () => {
        await until(
          "one contact per device, B's",
          async () => {
            const live = await liveContacts(pbx);
            return users.every((u) => {
              const contacts = live.get(u.aor) ?? [];
              return contacts.length === 1 && contacts[0] === ports.b;
            });
          },
          (EXPIRY_SECONDS + 15) * 1000,
        );
        const overlapping = new Set(
          samples.flatMap((s) => [...s.contacts].filter(([, c]) => c.length > 1).map(([a]) => a)),
        );
        const registers = users.map(
          (u) => `${registersOf(u.aor, ports.a).length}/${registersOf(u.aor, ports.b).length}`,
        );
        console.info(
          `${samples.length} samples; ${overlapping.size} AORs showed A's dead contact beside B's; REGISTERs per AOR from A/B: ${registers.join(" ")}`,
        );
        for (const sample of samples)
          for (const [aor, contacts] of sample.contacts) {
            const running = sample.at < killedAt ? contacts : contacts.filter((p) => p !== ports.a);
            expect(running.length, `${aor} at ${sample.at}`).toBeLessThanOrEqual(1);
            expect(contacts.length, `${aor} at ${sample.at}`).toBeLessThanOrEqual(2);
          }
      });
    }, 90_000);

    it("A restarted with the same token takes none of B's leases while B renews them", async () => {
      await withLogs(async () => {
        const restartedAt = Date.now();
        agentA2 = await startAgent("a2", tokenA, ports.a2, CAP_A);
        await until("A restarted and following the feed", async () => agentA2!.ready(), 20_000);
        // several lease periods: B renews each time, A finds nothing free
        await new Promise((done) => setTimeout(done, 3 * LEASE_SECONDS * 1000));
        expect(agentA2.health().leases).toBe(0);
        expect(agentB!.health().leases).toBe(USERS);
        expect(saved.filter((s) => s.port === ports.a2)).toEqual([]);
        const rows = await deviceRows();
        expect(rows.every((r) => r.leaseNodeId === nodeBId && r.state === "registered")).toBe(true);
        const live = await liveContacts(pbx);
        for (const u of users) expect(live.get(u.aor)).toEqual([ports.b]);
        for (const sample of samples.filter((s) => s.at >= restartedAt))
          for (const [aor, contacts] of sample.contacts)
            expect(contacts, `${aor} at ${sample.at}`).toEqual([ports.b]);
      });
    }, 90_000);
  },
);
