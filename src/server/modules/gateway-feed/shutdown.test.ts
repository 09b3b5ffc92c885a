import { Agent, request } from "node:http";
import { connect } from "node:net";
import { expect, it } from "vitest";
import { createTestApp } from "../../../../test/harness.ts";
import { buildWorld } from "../../db/seed/factories.ts";
import { buildGatewayNode } from "./gateway-feed.factories.ts";

/** GET over a keep-alive connection: the status, the Connection header, and the socket's end. */
function get(port: number, path: string, token: string, agent: Agent) {
  return new Promise<{
    status: number;
    connection: string | undefined;
    socketClosed: Promise<void>;
  }>((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        const socketClosed = new Promise<void>((done) => res.socket.once("close", () => done()));
        res.resume();
        res.once("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            socketClosed,
          }),
        );
      },
    );
    req.once("error", reject);
    req.end();
  });
}

it("answers a node's waiting long poll when the API closes, and ends its connection so closing does not wait on it", async () => {
  const t = await createTestApp();
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const address = t.app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const world = await buildWorld(t.services.db);
  const { token } = await buildGatewayNode(t.services.db, world.regions[0]!.id);
  const agent = new Agent({ keepAlive: true });
  try {
    const before = await get(port, "/api/v1/gateway/snapshot", token, agent);
    expect(before).toMatchObject({ status: 200, connection: "keep-alive" });
    const poll = get(port, "/api/v1/gateway/changes?after=0.0&wait=25", token, agent);
    // the long poll is waiting on the server when closing starts
    await new Promise((done) => setTimeout(done, 300));
    const closed = t.close();
    const answered = await poll;
    expect(answered).toMatchObject({ status: 200, connection: "close" });
    await answered.socketClosed;
    // close() resolves once every connection ended: it held shutdown for the keep-alive timeout
    // (72 s) before, so this test's own timeout catches a regression
    await closed;
  } finally {
    agent.destroy();
  }
}, 30_000);

it("cuts a connection that never sent a request once the grace has passed", async () => {
  const t = await createTestApp({ closeGraceMs: 200 });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const address = t.app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  // a client that connects and says nothing (a proxy's pre-opened connection, a stopped node)
  const silent = connect(port, "127.0.0.1");
  await new Promise((done) => silent.once("connect", done));
  const cut = new Promise<void>((done) => silent.once("close", () => done()));
  silent.on("error", () => {});
  // Node would wait for its headers timeout (60 s and more) before closing it
  await t.close();
  await cut;
}, 30_000);
