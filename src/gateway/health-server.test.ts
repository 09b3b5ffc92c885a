import { describe, expect, it } from "vitest";
import type { GatewayAgentHealth } from "./agent.ts";
import { serveAgentHealth } from "./health-server.ts";
import type { MetricsReading } from "./metrics.ts";

const reading: MetricsReading = {
  kamailioUp: true,
  rtpengineUp: true,
  registrations: { registered: 3, failed: 1, other: 0 },
  leases: 4,
  dialogs: { early: 1, answered: 2 },
  mediaSessions: 2,
  microsoftProxies: [
    { uri: "sip:sip.pstnhub.microsoft.com:5061;transport=tls", up: true },
    { uri: "sip:sip2.pstnhub.microsoft.com:5061;transport=tls", up: false },
  ],
  calls: [
    { leg: "pbx", direction: "outbound", disposition: "answered", code: 200, count: 5 },
    { leg: "microsoft", direction: "outbound", disposition: "failed", code: 403, count: 1 },
  ],
  hep: { packets: 40, cdrsPosted: 6, tracesPosted: 38, dropped: 0 },
};

describe("the agent's probes", () => {
  it("answer /healthz always, /readyz 503 until ready, then 200, and /metrics for Prometheus", async () => {
    let ready = false;
    let metricsFail = false;
    const health = { kamailio: "running", feedFollowed: ready } as GatewayAgentHealth;
    const server = await serveAgentHealth(
      {
        ready: () => ready,
        health: () => health,
        metrics: async () => {
          if (metricsFail) throw new Error("Kamailio gone");
          return reading;
        },
      },
      0,
    );
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

      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      expect(text).toContain('teamgate_gateway_registrations{state="registered"} 3');
      expect(text).toContain('teamgate_gateway_registrations{state="failed"} 1');
      expect(text).toContain('teamgate_gateway_calls_active{state="answered"} 2');
      expect(text).toContain("teamgate_gateway_media_sessions 2");
      expect(text).toContain(
        'teamgate_gateway_microsoft_proxy_up{uri="sip:sip2.pstnhub.microsoft.com:5061;transport=tls"} 0',
      );
      expect(text).toContain(
        'teamgate_gateway_calls_total{leg="microsoft",direction="outbound",disposition="failed",code="403"} 1',
      );
      expect(text).toContain("# TYPE teamgate_gateway_calls_total counter");
      // every sample line is `name{labels} number`
      for (const line of text
        .trim()
        .split("\n")
        .filter((l) => !l.startsWith("#")))
        expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? -?\d+(\.\d+)?$/);
      metricsFail = true;
      expect((await fetch(`${base}/metrics`)).status).toBe(503);
    } finally {
      server.close();
    }
  });
});
