import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MetricsReading, proxyIsUp, renderMetrics } from "./metrics.ts";

const base: MetricsReading = {
  kamailioUp: false,
  rtpengineUp: null,
  registrations: { registered: 0, failed: 0, other: 0 },
  leases: 0,
  dialogs: null,
  mediaSessions: null,
  microsoftProxies: [],
  calls: [],
  hep: null,
};

describe("renderMetrics", () => {
  it("leaves out what the node does not run or could not read", () => {
    const text = renderMetrics(base);
    expect(text).toContain("teamgate_gateway_kamailio_up 0");
    expect(text).not.toContain("rtpengine_up");
    expect(text).not.toContain("calls_active");
    expect(text).not.toContain("media_sessions");
  });

  it("quotes any label value so every sample stays one well-formed line", () => {
    fc.assert(
      fc.property(fc.string(), (uri) => {
        const text = renderMetrics({ ...base, microsoftProxies: [{ uri, up: true }] });
        const line = text
          .split("\n")
          .find((l) => l.startsWith("teamgate_gateway_microsoft_proxy_up{"));
        expect(line).toBeDefined();
        const quoted =
          /^teamgate_gateway_microsoft_proxy_up\{uri="((?:[^"\\\n]|\\[\\n"])*)"\} 1$/.exec(
            line ?? "",
          );
        expect(quoted).not.toBeNull();
        const unescaped = quoted![1]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
        expect(unescaped).toBe(uri);
      }),
    );
  });

  it("reads the dispatcher's flags: active is up, inactive, disabled or probing is not", () => {
    expect(proxyIsUp("AP")).toBe(true);
    expect(proxyIsUp("IP")).toBe(false);
    expect(proxyIsUp("DX")).toBe(false);
    expect(proxyIsUp("")).toBe(false);
  });
});
