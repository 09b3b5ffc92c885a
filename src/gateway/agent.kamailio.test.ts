/**
 * End to end on loopback: the Teamgate API (in-process, on a real port), the demo PBX (dev/pbx)
 * and a gateway agent running its own Kamailio. The agent follows the feed, leases the devices,
 * registers them at the PBX and reports it; disabling a user's calling unregisters its device.
 * Runs only with KAMAILIO_TESTS=1 and `kamailio` on PATH.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  createTestApp,
  signInEnterpriseAdmin,
  type TestApp,
} from "../../test/harness.ts";
import { devices } from "../server/db/schema/index.ts";
import { buildEnterprise, buildEnterpriseAdmin, buildWorld } from "../server/db/seed/factories.ts";
import {
  buildConfiguredUsers,
  buildDirectRoute,
  buildGatewayNode,
} from "../server/modules/gateway-feed/gateway-feed.factories.ts";
import { buildPbx } from "../server/modules/pbx/pbx.factories.ts";
import { type GatewayAgent, startGatewayAgent } from "./agent.ts";
import { createKamailioRpc, type KamailioRpc } from "./kamailio/rpc.ts";
import {
  freePort,
  kamailioPresent,
  kamailioTestsWanted,
  pbxRegistered,
  startDemoPbx,
  until,
} from "./kamailio.test-support.ts";
import { requestedExpires } from "./reconcile/registrations.ts";
import type { Supervisor } from "./supervisor.ts";

const enabled = kamailioTestsWanted && kamailioPresent;
const PASSWORD = "pbx-secret-1";

describe.skipIf(!enabled)(
  `the gateway agent against the API and the demo PBX${enabled ? "" : " (skipped: set KAMAILIO_TESTS=1 with kamailio installed)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "teamgate-agent-"));
    const logs: string[] = [];
    let t: TestApp;
    let pbxProcess: Supervisor;
    let pbx: KamailioRpc;
    let agent: GatewayAgent;
    let agentRpcPort: number;
    let admin: Client;
    /** The name of the gateway node the agent runs as. */
    let nodeName: string;
    let enterpriseId: string;
    /** The AOR user part at the PBX and the device id, per configured user. */
    let users: Array<{ userId: string; deviceId: string; aor: string; authId: string }>;
    let pbxPort: number;
    let refusedDeviceId: string;

    beforeAll(async () => {
      t = await createTestApp();
      await t.app.listen({ port: 0, host: "127.0.0.1" });
      const address = t.app.server.address();
      const apiPort = typeof address === "object" && address ? address.port : 0;
      const db = t.services.db;
      const world = await buildWorld(db);
      const regionId = world.regions[0]!.id;
      const built = await buildGatewayNode(db, regionId);
      const { token } = built;
      nodeName = built.node.name;
      const enterprise = await buildEnterprise(db, {
        reseller: world.a.reseller,
        status: "active",
        tenantId: randomUUID(),
        regionIds: [regionId],
      });
      enterpriseId = enterprise.id;
      await buildDirectRoute(db, { enterpriseId, regionId });
      pbxPort = await freePort();
      const pbxRow = await buildPbx(db, {
        enterpriseId,
        pbxTypeId: world.pbxTypes[0]!.id,
        sipDomain: "127.0.0.1",
        sipProxy: `127.0.0.1:${pbxPort}`,
        transport: "udp",
        dnsLookup: "A",
        registrationExpiry: 300,
      });
      const configured = await buildConfiguredUsers(db, t.services.secret, {
        enterpriseId,
        regionId,
        pbxId: pbxRow.id,
        password: PASSWORD,
        count: 6,
      });
      // the sixth device's password is not the one the PBX knows: its registration fails
      const [refused] = configured.splice(5, 1);
      refusedDeviceId = refused!.device!.id;
      users = configured.map((u) => ({
        userId: u.user.id,
        deviceId: u.device!.id,
        aor: u.calling.sipUser!.split("@")[0]!,
        authId: u.device!.sipAuthId,
      }));
      admin = await signInEnterpriseAdmin(
        t.app,
        t.services,
        (await buildEnterpriseAdmin(db, enterprise)).id,
      );

      // the demo PBX knows the devices' digest user names and password
      ({ process: pbxProcess, rpc: pbx } = await startDemoPbx(
        dir,
        [
          ...configured.map((u) => ({ authId: u.device!.sipAuthId, password: PASSWORD })),
          { authId: refused!.device!.sipAuthId, password: "not-the-one-the-platform-has" },
        ],
        (line) => logs.push(line),
        pbxPort,
      ));

      agentRpcPort = await freePort();
      agent = startGatewayAgent({
        apiUrl: `http://127.0.0.1:${apiPort}/api/v1`,
        token,
        sipAddress: "127.0.0.1",
        sipPort: await freePort(),
        rpcPort: agentRpcPort,
        // a change to a table loads it whole from its file, not key by key
        htableBulkThreshold: 0,
        // the media relay beside Kamailio: Kamailio starts once it answers
        rtpengine: { ngPort: await freePort(), portMin: 47_000, portMax: 47_099 },
        hepPort: await freePort(),
        runDir: join(dir, "agent"),
        reportEveryMs: 500,
        // failed registrations wait 1–2 s, then 2–4 s… before their next try (RFC 5626's 30 s)
        registrationBackoff: { baseSeconds: 1, maxSeconds: 4 },
        feedWaitSeconds: 2,
        kamailio: {
          registrations: { expectedCount: 10, timerInterval: 1, retryInterval: 5 },
          children: 2,
        },
        log: (line) => logs.push(`agent: ${line}`),
      });
    }, 60_000);

    /** Runs `check`; when it fails, prints the last lines of the agent's and the PBX's logs. */
    async function withLogs(check: () => Promise<unknown>): Promise<void> {
      try {
        await check();
      } catch (error) {
        console.error(
          logs
            .filter((l) => !l.includes(" INFO: "))
            .slice(-60)
            .join("\n"),
        );
        throw error;
      }
    }

    // The agent's stop cuts a reconcile pass short, then stops Kamailio (SIGTERM, then up to 5 s)
    // and releases the leases (up to 3 s); the PBX and the API stop after it: room under load.
    afterAll(async () => {
      await agent?.stop();
      await pbxProcess?.stop();
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    }, 90_000);

    it("registers the 5 users at the PBX and reports them registered", async () => {
      const started = Date.now();
      await withLogs(() =>
        until("5 registrations at the PBX", async () => {
          const aors = await pbxRegistered(pbx);
          return users.every((u) => aors.has(u.aor));
        }),
      );
      const registeredAfterMs = Date.now() - started;
      await until("the API's devices registered", async () => {
        const rows = await t.services.db
          .select({ state: devices.registrationState })
          .from(devices)
          .where(
            inArray(
              devices.id,
              users.map((u) => u.deviceId),
            ),
          );
        return rows.length === 5 && rows.every((r) => r.state === "registered");
      });
      expect(registeredAfterMs).toBeLessThan(10_000);
      // Kamailio started with them in uac's file, which was emptied once uac had loaded them
      // (before a restart the agent writes it again)
      expect(logs).toContain("agent: uac loaded the 6 registrations Kamailio started with");
      expect(readFileSync(join(dir, "agent", "uacdb", "uacreg"), "utf8").split("\n")).toEqual([
        expect.stringMatching(/^id\(int,auto\) l_uuid\(string\)/),
        "",
      ]);
      // The portal's history of a user: registered, reported by this node.
      const history = await admin.get(
        `/api/v1/enterprises/${enterpriseId}/users/${users[0]!.userId}/registration-history`,
      );
      expect(history.status).toBe(200);
      expect(history.body.items[0]).toMatchObject({
        state: "registered",
        code: null,
        node: { name: nodeName },
      });
      expect(agent.ready()).toBe(true);
      expect(agent.health()).toMatchObject({ leases: 6, feedFollowed: true });
      // the routing tables were loaded from their files: values with ':' read back whole
      const node = createKamailioRpc({ url: `http://127.0.0.1:${agentRpcPort}/RPC` });
      const [first] = users;
      const get = (table: string, key: string) =>
        node
          .call<{ item?: { value?: string } }>("htable.get", [table, key])
          .then((answer) => answer.item?.value);
      const usr = (await get("usr", first!.userId))?.split("|");
      expect(usr?.[4]).toMatch(new RegExp(`^sip:${first!.aor}@[\\w.-]+$`));
      expect(usr?.[3]).toMatch(/^sip:127\.0\.0\.1:\d+;transport=udp$/);
      const [userId, authId, password] = (await get("dev", first!.deviceId))?.split("|") ?? [];
      expect(userId).toBe(first!.userId);
      expect(Buffer.from(authId ?? "", "hex").toString()).toBe(first!.authId);
      expect(Buffer.from(password ?? "", "hex").toString()).toBe(PASSWORD);
      // each device asked the PBX's 300 s less its jitter, and uac refreshes from what was granted
      const records = await node.regDump();
      for (const u of users) {
        const record = records.find((r) => r.lUuid === u.deviceId);
        const asked = requestedExpires(300, u.deviceId);
        expect(record).toMatchObject({ state: "registered", expires: asked });
        const refreshIn = (record!.nextActionAt!.getTime() - Date.now()) / 1000;
        expect(refreshIn).toBeGreaterThan(asked - 30);
        expect(refreshIn).toBeLessThanOrEqual(asked + 1);
      }
      expect(new Set(records.map((r) => r.expires)).size).toBeGreaterThan(1);
      // the node's metrics read Kamailio itself: its registrations and (no) dialogs
      expect(await agent.metrics()).toMatchObject({
        kamailioUp: true,
        rtpengineUp: true,
        mediaSessions: 0,
        registrations: { registered: 5 },
        leases: 6,
        dialogs: { early: 0, answered: 0 },
        microsoftProxies: [],
      });
    }, 30_000);

    it("reports a registration the PBX refuses as failed, with the PBX's code and reason", async () => {
      const row = await until(
        "the refused device reported failed with its code",
        async () => {
          const [found] = await t.services.db
            .select({
              state: devices.registrationState,
              code: devices.registrationCode,
              reason: devices.registrationReason,
            })
            .from(devices)
            .where(inArray(devices.id, [refusedDeviceId]));
          return found?.state === "failed" && found.code !== null ? found : undefined;
        },
        20_000,
      );
      // the demo PBX answers a wrong password with 403 Wrong Password
      expect(row).toEqual({ state: "failed", code: 403, reason: "Wrong Password" });
      // out of uac's fixed retries: it waits its back-off disabled, then is tried again
      const node = createKamailioRpc({ url: `http://127.0.0.1:${agentRpcPort}/RPC` });
      await until("the refused registration waiting disabled", async () => {
        return (await node.regInfo(refusedDeviceId))?.state === "disabled";
      });
      await until("the refused registration tried again", async () => {
        return (await node.regInfo(refusedDeviceId))?.state !== "disabled";
      });
    }, 30_000);

    it("unregisters a user at the PBX when its calling is disabled", async () => {
      const [first] = users;
      const off = await admin.post(
        `/api/v1/enterprises/${enterpriseId}/users/${first!.userId}/disable-calling`,
      );
      expect(off.status).toBe(200);
      await until("the user gone from the PBX", async () => {
        const aors = await pbxRegistered(pbx);
        return !aors.has(first!.aor) && users.slice(1).every((u) => aors.has(u.aor));
      });
      // its lease is released once its registration is gone
      await until("the lease released", async () => agent.health().leases === 5);
    }, 20_000);

    it("reports a registration failed while the PBX is down, and registers it when the PBX returns", async () => {
      const [, second] = users;
      const stateOf = async () => {
        const [row] = await t.services.db
          .select({ state: devices.registrationState })
          .from(devices)
          .where(inArray(devices.id, [second!.deviceId]));
        return row?.state;
      };
      await pbxProcess.stop();
      // a new password while the PBX is down: the device is registered again, and nobody answers
      const changed = await admin.post(
        `/api/v1/enterprises/${enterpriseId}/users/${second!.userId}/sip-password`,
        { sipPassword: "pbx-secret-2" },
      );
      expect(changed.status).toBe(200);
      // the REGISTER times out as any SIP request does (tm's final response timer, 30 s): 408
      await withLogs(() =>
        until("the device reported failed", async () => (await stateOf()) === "failed", 45_000),
      );
      const [failed] = await t.services.db
        .select({ code: devices.registrationCode, reason: devices.registrationReason })
        .from(devices)
        .where(inArray(devices.id, [second!.deviceId]));
      expect(failed).toEqual({ code: 408, reason: "Request Timeout: no answer from the PBX" });
      // the PBX returns, knowing the new password: uac tries again after its retry interval
      ({ process: pbxProcess, rpc: pbx } = await startDemoPbx(
        dir,
        [{ authId: second!.authId, password: "pbx-secret-2" }],
        (line) => logs.push(line),
        pbxPort,
      ));
      await until(
        "registered at the returned PBX",
        async () => (await pbxRegistered(pbx)).has(second!.aor),
        20_000,
      );
      await until("the device reported registered", async () => (await stateOf()) === "registered");
    }, 90_000);

    it("restarts a killed Kamailio with the routes and registrations written for it", async () => {
      const [, second] = users;
      const loaded = () => logs.filter((l) => l.startsWith("agent: uac loaded the ")).length;
      const saved = () => logs.filter((l) => l.includes(`saved ${second!.authId} `)).length;
      const [loadedBefore, savedBefore] = [loaded(), saved()];
      // the node's Kamailio: the process group leader started with the agent's configuration
      const config = join(dir, "agent", "kamailio.cfg");
      const main = readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .find((pid) => {
          try {
            const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
            const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
            const group = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2];
            return cmdline.includes(config) && group === pid;
          } catch {
            return false;
          }
        });
      expect(main).toBeDefined();
      process.kill(Number(main), "SIGKILL");
      await withLogs(async () => {
        await until(
          "uac loaded what the restarted Kamailio started with",
          async () => loaded() > loadedBefore,
          20_000,
        );
        await until(
          "the device registered again from the restarted node",
          async () => saved() > savedBefore,
          20_000,
        );
      });
      // its routes were in the tables as Kamailio started, and uac's file is empty again
      const node = createKamailioRpc({ url: `http://127.0.0.1:${agentRpcPort}/RPC` });
      const usr = await node.call<{ item?: { value?: string } }>("htable.get", [
        "usr",
        second!.userId,
      ]);
      expect(usr.item?.value?.split("|")[2]).toBe(second!.deviceId);
      await until(
        "uac's file emptied",
        async () =>
          readFileSync(join(dir, "agent", "uacdb", "uacreg"), "utf8")
            .trim()
            .split("\n").length === 1,
      );
    }, 60_000);
  },
);
