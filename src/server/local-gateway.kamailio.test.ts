/**
 * `npm start` with Kamailio installed: every development role in one process on PGlite (the
 * `gateway` role included) on demo data, on free loopback ports. The demo enterprise's users go
 * Registered through the local gateway node and the demo PBX; stopping the process stops both
 * Kamailios. Runs only with KAMAILIO_TESTS=1 and `kamailio` on PATH.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, count, eq, inArray, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEnv } from "../../test/harness.ts";
import {
  freePort,
  kamailioPresent,
  kamailioTestsWanted,
  until,
} from "../gateway/kamailio.test-support.ts";
import { ConfigureUserBody } from "../shared/contracts/calling.ts";
import { system } from "./authz/actor.ts";
import type { Scoped } from "./authz/policy.ts";
import { inTransaction } from "./context.ts";
import {
  callingUsers,
  devices,
  enterprises,
  gatewayNodes,
  phoneNumbers,
  users,
} from "./db/schema/index.ts";
import { seedDemo } from "./db/seed/demo.ts";
import { demoCallingEnterprise } from "./db/seed/demo-calling.ts";
import type { Env } from "./env.ts";
import { allRoles, createServices } from "./main.ts";
import { configureUser } from "./modules/calling/index.ts";
import type { EnterpriseRow } from "./modules/enterprises/index.ts";
import { type RunningProcess, startProcess } from "./start.ts";

const enabled = kamailioTestsWanted && kamailioPresent;

/** Whether something still listens on (or holds) the port, TCP or UDP. */
async function portHeld(port: number): Promise<boolean> {
  const { createServer } = await import("node:net");
  const { createSocket } = await import("node:dgram");
  const tcp = await new Promise<boolean>((done) => {
    const server = createServer();
    server.once("error", () => done(true));
    server.listen(port, "127.0.0.1", () => server.close(() => done(false)));
  });
  const udp = await new Promise<boolean>((done) => {
    const socket = createSocket("udp4");
    socket.once("error", () => done(true));
    socket.bind(port, "127.0.0.1", () => socket.close(() => done(false)));
  });
  return tcp || udp;
}

describe.skipIf(!enabled)(
  `npm start with Kamailio installed${enabled ? "" : " (skipped: set KAMAILIO_TESTS=1 with kamailio installed)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "teamgate-local-gateway-"));
    let env: Env;
    let running: RunningProcess | null = null;
    let ports: Record<string, number>;

    beforeAll(async () => {
      ports = {
        DEMO_PBX_SIP_PORT: await freePort(),
        DEMO_PBX_RPC_PORT: await freePort(),
        LOCAL_GATEWAY_SIP_PORT: await freePort(),
        LOCAL_GATEWAY_RPC_PORT: await freePort(),
        LOCAL_GATEWAY_HEP_PORT: await freePort(),
      };
      env = testEnv({
        NODE_ENV: "development",
        DATA_DIR: dir,
        HOST: "127.0.0.1",
        PORT: "0",
        MAIL_CAPTURE_PORT: "0",
        MAIL_INBOX_PORT: "0",
        EMULATOR_LOGIN_PORT: "0",
        EMULATOR_GRAPH_PORT: "0",
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      });
      // `npm run db:seed`, then `npm start`
      const services = await createServices(env);
      await seedDemo(services, { pbxSipPort: env.DEMO_PBX_SIP_PORT });
      await services.boss.stop({ graceful: false, wait: true });
      services.mailer.close();
      await services.database.close();
      running = await startProcess(env, allRoles, { quiet: true });
    }, 120_000);

    afterAll(async () => {
      await running?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 90_000);

    it("registers the demo enterprise's configured users at the demo PBX", async () => {
      expect(running!.gateway).toMatchObject({
        pbxAddress: `127.0.0.1:${ports.DEMO_PBX_SIP_PORT}`,
        gatewayAddress: `127.0.0.1:${ports.LOCAL_GATEWAY_SIP_PORT}`,
        devices: 4,
      });
      const db = running!.services.db;
      const [demo] = await db
        .select({ id: enterprises.id })
        .from(enterprises)
        .where(eq(enterprises.name, demoCallingEnterprise));
      const configured = await db
        .select({ userId: callingUsers.userId })
        .from(callingUsers)
        .where(eq(callingUsers.enterpriseId, demo!.id));
      expect(configured).toHaveLength(4);
      await until(
        "the demo users registered",
        async () => {
          const rows = await db
            .select({ state: devices.registrationState })
            .from(devices)
            .where(
              inArray(
                devices.userId,
                configured.map((c) => c.userId),
              ),
            );
          return rows.length === 4 && rows.every((r) => r.state === "registered");
        },
        30_000,
      );
    }, 60_000);

    it("registers a user configured at the demo PBX while it runs", async () => {
      const db = running!.services.db;
      const [demo] = await db
        .select()
        .from(enterprises)
        .where(eq(enterprises.name, demoCallingEnterprise));
      const [configured] = await db
        .select()
        .from(callingUsers)
        .where(eq(callingUsers.enterpriseId, demo!.id))
        .limit(1);
      const [user] = await db
        .select({ id: users.id })
        .from(users)
        .leftJoin(callingUsers, eq(callingUsers.userId, users.id))
        .where(
          and(
            eq(users.enterpriseId, demo!.id),
            eq(users.teamsPhoneLicensed, true),
            isNull(callingUsers.userId),
          ),
        )
        .limit(1);
      const [number] = await db
        .select()
        .from(phoneNumbers)
        .where(and(eq(phoneNumbers.enterpriseId, demo!.id), eq(phoneNumbers.state, "available")))
        .limit(1);
      await inTransaction(running!.services, system, (ctx) =>
        configureUser(
          ctx,
          demo as Scoped<EnterpriseRow>,
          user!.id,
          ConfigureUserBody.parse({
            pbxId: configured!.pbxId,
            regionId: configured!.regionId,
            sipUser: "1099@pbx.teamgate.test",
            phoneNumber: number!.number,
            sipAuthId: "1099",
            sipPassword: "added-while-running",
          }),
          { push: false },
        ),
      );
      await until(
        "the added user registered",
        async () => {
          const [device] = await db
            .select({ state: devices.registrationState })
            .from(devices)
            .where(eq(devices.userId, user!.id));
          return device?.state === "registered";
        },
        30_000,
      );
    }, 60_000);

    it("keeps the node's token sealed in a file only its owner reads", () => {
      const file = join(dir, "gateway", "node-token");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, "utf8")).not.toMatch(/gw\.gwn_/);
    });

    it("stops both Kamailios with the process, and reuses its node on the next start", async () => {
      await running!.stop();
      running = null;
      for (const port of [
        ports.DEMO_PBX_SIP_PORT!,
        ports.DEMO_PBX_RPC_PORT!,
        ports.LOCAL_GATEWAY_SIP_PORT!,
        ports.LOCAL_GATEWAY_RPC_PORT!,
      ])
        await until(`port ${port} freed`, async () => !(await portHeld(port)), 15_000);

      running = await startProcess(env, allRoles, { quiet: true });
      expect(running.gateway).not.toBeNull();
      const [nodes] = await running.services.db.select({ n: count() }).from(gatewayNodes);
      expect(nodes!.n).toBe(1);
    }, 90_000);
  },
);
