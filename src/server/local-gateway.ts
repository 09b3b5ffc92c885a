/**
 * The `gateway` role of `npm start` (development only, when `teamgate doctor` finds Kamailio and
 * its modules): the demo PBX of `dev/pbx/` and a gateway node of the demo's region, both on
 * loopback, so that the demo enterprise's users configured at the demo PBX go Registered.
 */
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { Agent, type RequestInit, fetch as undiciFetch } from "undici";
import { startGatewayAgent } from "../gateway/agent.ts";
import { type DemoPbx, startDemoPbx, writeDemoPbxUsers } from "../gateway/demo-pbx.ts";
import { createGatewayClient } from "../gateway/feed/client.ts";
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
    )
    .orderBy(asc(devices.sipAuthId), asc(devices.id));
  return rows.flatMap((r) => {
    try {
      return [
        {
          regionId: r.regionId,
          authId: r.authId,
          password: unseal<string>(services.secret, r.sealed),
        },
      ];
    } catch {
      // sealed under another APP_SECRET: the platform cannot register it either
      return [];
    }
  });
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
  const pbxDir = join(dataDir, "demo-pbx");
  const regionUsers = (all: typeof users) => all.filter((u) => u.regionId === regionId);
  const pbx: DemoPbx = await startDemoPbx({
    dir: pbxDir,
    users: regionUsers(users),
    sipPort: env.DEMO_PBX_SIP_PORT,
    rpcPort: env.DEMO_PBX_RPC_PORT,
    log: (line) => log.debug(line),
  });
  // The node's own connection pool, closed when it stops: its keep-alive connections would
  // otherwise hold the API's close for its keep-alive timeout.
  const dispatcher = new Agent();
  const client = createGatewayClient({
    baseUrl: options.apiUrl,
    token,
    fetch: ((input: string, init?: RequestInit) =>
      undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch,
  });
  const agent = startGatewayAgent({
    apiUrl: options.apiUrl,
    token,
    client,
    sipAddress: "127.0.0.1",
    sipPort: env.LOCAL_GATEWAY_SIP_PORT,
    rpcPort: env.LOCAL_GATEWAY_RPC_PORT,
    hepPort: env.LOCAL_GATEWAY_HEP_PORT,
    runDir: join(dataDir, "gateway", "run"),
    // A user configured while it runs may reach the node before the demo PBX knows it (below):
    // its failed registration is tried again within seconds, not half a minute.
    kamailio: { registrations: { expectedCount: 1_000, retryInterval: 10 } },
    // Kamailio's own output is for debugging; the agent's lines (failures) are warnings.
    log: (line) => (line.startsWith("kamailio: ") ? log.debug(line) : log.warn(line)),
  });
  // Users configured at the demo PBX in the portal meanwhile (or their new passwords): they are
  // set in the demo PBX's users htable over JSON-RPC (db_text keeps the file it read cached), and
  // the file is written for its next start.
  let known = new Map(regionUsers(users).map((u) => [u.authId, u.password]));
  let refreshing = false;
  const refresh = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void (async () => {
      const current = regionUsers(await demoDevices(services, env.DEMO_PBX_SIP_PORT));
      const next = new Map(current.map((u) => [u.authId, u.password]));
      const changed = [...next].filter(([authId, password]) => known.get(authId) !== password);
      const gone = [...known.keys()].filter((authId) => !next.has(authId));
      if (changed.length === 0 && gone.length === 0) return;
      writeDemoPbxUsers(pbxDir, current);
      for (const [authId, password] of changed)
        await pbx.rpc.call("htable.sets", ["users", authId, password]);
      for (const authId of gone) await pbx.rpc.call("htable.delete", ["users", authId]);
      known = next;
    })()
      .catch((e: unknown) =>
        log.warn(`demo PBX users not refreshed: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => {
        refreshing = false;
      });
  }, 2_000);
  return {
    pbxAddress: `127.0.0.1:${pbx.port}`,
    gatewayAddress: `127.0.0.1:${env.LOCAL_GATEWAY_SIP_PORT}`,
    devices: regionUsers(users).length,
    async stop() {
      clearInterval(refresh);
      await agent.stop();
      await dispatcher.destroy();
      await pbx.process.stop();
    },
  };
}
