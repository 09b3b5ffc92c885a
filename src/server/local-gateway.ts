/**
 * The `gateway` role of `npm start` (development only, when `teamgate doctor` finds Kamailio and
 * its modules): the demo PBX of `dev/pbx/` and a gateway node of the demo's region, both on
 * loopback, so that the demo enterprise's users configured at the demo PBX go Registered.
 */
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { and, eq, inArray, isNull } from "drizzle-orm";
import { startGatewayAgent } from "../gateway/agent.ts";
import { type DemoPbx, startDemoPbx } from "../gateway/demo-pbx.ts";
import { system } from "./authz/actor.ts";
import { inTransaction } from "./context.ts";
import { callingUsers, devices, pbxes } from "./db/schema/index.ts";
import type { Env } from "./env.ts";
import { seal, unseal } from "./lib/secrets.ts";
import { authenticateGatewayNode, createGatewayNode } from "./modules/gateway-feed/index.ts";
import type { Services } from "./services.ts";

export interface LocalGateway {
  /** `127.0.0.1:<port>` of the demo PBX. */
  pbxAddress: string;
  /** `127.0.0.1:<port>` of the gateway node's SIP side. */
  gatewayAddress: string;
  /** How many devices the demo PBX knows. */
  devices: number;
  /** Stops the gateway node (its leases released), then the demo PBX. */
  stop(): Promise<void>;
}

/** Whether `port` on 127.0.0.1 is free for TCP and, when asked, UDP. */
async function isFree(port: number, udp: boolean): Promise<boolean> {
  const tcp = await new Promise<boolean>((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
  });
  if (!tcp || !udp) return tcp;
  return new Promise<boolean>((done) => {
    const socket = createSocket("udp4");
    socket.once("error", () => done(false));
    socket.bind(port, "127.0.0.1", () => socket.close(() => done(true)));
  });
}

async function assertPortsFree(ports: Array<{ name: string; port: number; udp: boolean }>) {
  for (const p of ports)
    if (!(await isFree(p.port, p.udp)))
      throw new Error(`port ${p.port} (${p.name}) is in use; set ${p.name}`);
}

/** The devices of the users configured at the demo PBX (`127.0.0.1:<port>`), passwords in clear. */
async function demoDevices(services: Services, pbxSipPort: number) {
  const rows = await services.db
    .select({
      regionId: callingUsers.regionId,
      authId: devices.sipAuthId,
      sealed: devices.sipPassword,
    })
    .from(callingUsers)
    .innerJoin(devices, eq(devices.userId, callingUsers.userId))
    .where(
      and(
        inArray(
          callingUsers.pbxId,
          services.db
            .select({ id: pbxes.id })
            .from(pbxes)
            .where(eq(pbxes.sipProxy, `127.0.0.1:${pbxSipPort}`)),
        ),
        isNull(callingUsers.deletedAt),
      ),
    );
  return rows.map((r) => ({
    regionId: r.regionId,
    authId: r.authId,
    password: unseal<string>(services.secret, r.sealed),
  }));
}

/**
 * The token of this machine's gateway node of the region: the one kept (sealed, mode 0600) in
 * `file` while the platform still knows it, else a new node's, kept there for the next start.
 */
async function localNodeToken(services: Services, regionId: string, file: string) {
  if (existsSync(file)) {
    try {
      const token = unseal<string>(services.secret, readFileSync(file, "utf8").trim());
      const node = await authenticateGatewayNode(services.db, `Bearer ${token}`, services.now());
      if (node.regionId === regionId) return token;
    } catch {
      // another secret, a revoked node or another database: a new node below
    }
  }
  const created = await inTransaction(services, system, (ctx) =>
    createGatewayNode(ctx, regionId, {
      name: `local-dev-${services.now().getTime().toString(36)}`,
    }),
  );
  mkdirSync(resolve(file, ".."), { recursive: true });
  writeFileSync(file, seal(services.secret, created.token), { mode: 0o600 });
  return created.token;
}

/**
 * Starts the demo PBX knowing the credentials the platform holds for the devices configured at it
 * (DEMO_PBX_SIP_PORT), then a gateway agent of their region against `apiUrl` with this machine's
 * node token. Rejects, leaving nothing running, when there is no such device (run
 * `npm run db:seed`), a port is taken or Kamailio does not start.
 */
export async function startLocalGateway(
  services: Services,
  env: Env,
  options: { apiUrl: string },
): Promise<LocalGateway> {
  const users = await demoDevices(services, env.DEMO_PBX_SIP_PORT);
  const regionId = users[0]?.regionId;
  if (!regionId)
    throw new Error(
      `no user is configured at the demo PBX (127.0.0.1:${env.DEMO_PBX_SIP_PORT}); \`npm run db:seed\` adds some`,
    );
  await assertPortsFree([
    { name: "DEMO_PBX_SIP_PORT", port: env.DEMO_PBX_SIP_PORT, udp: true },
    { name: "DEMO_PBX_RPC_PORT", port: env.DEMO_PBX_RPC_PORT, udp: false },
    { name: "LOCAL_GATEWAY_SIP_PORT", port: env.LOCAL_GATEWAY_SIP_PORT, udp: true },
    { name: "LOCAL_GATEWAY_RPC_PORT", port: env.LOCAL_GATEWAY_RPC_PORT, udp: false },
  ]);
  const log = services.log.child({ component: "local-gateway" });
  const dataDir = resolve(env.DATA_DIR);
  const token = await localNodeToken(services, regionId, join(dataDir, "gateway", "node-token"));
  const pbx: DemoPbx = await startDemoPbx({
    dir: join(dataDir, "demo-pbx"),
    users: users.filter((u) => u.regionId === regionId),
    sipPort: env.DEMO_PBX_SIP_PORT,
    rpcPort: env.DEMO_PBX_RPC_PORT,
    log: (line) => log.debug(line),
  });
  const agent = startGatewayAgent({
    apiUrl: options.apiUrl,
    token,
    sipAddress: "127.0.0.1",
    sipPort: env.LOCAL_GATEWAY_SIP_PORT,
    rpcPort: env.LOCAL_GATEWAY_RPC_PORT,
    hepPort: env.LOCAL_GATEWAY_HEP_PORT,
    runDir: join(dataDir, "gateway", "run"),
    // Kamailio's own output is for debugging; the agent's lines (failures) are warnings.
    log: (line) => (line.startsWith("kamailio: ") ? log.debug(line) : log.warn(line)),
  });
  return {
    pbxAddress: `127.0.0.1:${pbx.port}`,
    gatewayAddress: `127.0.0.1:${env.LOCAL_GATEWAY_SIP_PORT}`,
    devices: users.filter((u) => u.regionId === regionId).length,
    async stop() {
      await agent.stop();
      await pbx.process.stop();
    },
  };
}
