import { describe, expect, it } from "vitest";
import type { GatewayAgentHealth } from "./agent.ts";
import { serveAgentHealth } from "./health-server.ts";

describe("the agent's probes", () => {
  it("answer /healthz always, /readyz 503 until ready, then 200", async () => {
    let ready = false;
    const health = { kamailio: "running", feedFollowed: ready } as GatewayAgentHealth;
    const server = await serveAgentHealth({ ready: () => ready, health: () => health }, 0);
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      ready = true;
      const answer = await fetch(`${base}/readyz`);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ ready: true });
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
