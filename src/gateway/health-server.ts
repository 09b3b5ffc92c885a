/**
 * The agent's probes over plain HTTP: `/healthz` answers 200 while the process runs (with the
 * agent's health as JSON), `/readyz` 200 once Kamailio answers and the feed was read, else 503,
 * `/metrics` the node's Prometheus metrics.
 */
import { createServer, type Server } from "node:http";
import type { GatewayAgent } from "./agent.ts";
import { renderMetrics } from "./metrics.ts";

/** Listens on `host:port` (port 0: any free one); resolves once listening. */
export async function serveAgentHealth(
  agent: Pick<GatewayAgent, "ready" | "health" | "metrics">,
  port: number,
  host = "127.0.0.1",
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(`${JSON.stringify(body)}\n`);
    };
    if (path === "/healthz") send(200, agent.health());
    else if (path === "/readyz") send(agent.ready() ? 200 : 503, { ready: agent.ready() });
    else if (path === "/metrics")
      agent.metrics().then(
        (reading) => {
          response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
          response.end(renderMetrics(reading));
        },
        () => send(503, { code: "metrics_unavailable" }),
      );
    else send(404, { code: "not_found" });
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => done());
  });
  return server;
}
