/**
 * The node's Prometheus metrics (text exposition format 0.0.4), rendered from one typed reading
 * the agent gathers on each scrape. Pure: `renderMetrics` only lays the reading out.
 * CPS is `rate(teamgate_gateway_calls_total[1m])` in Prometheus, from the counter.
 */

export interface MetricsReading {
  kamailioUp: boolean;
  /** null: the node runs no media relay. */
  rtpengineUp: boolean | null;
  registrations: { registered: number; failed: number; other: number };
  leases: number;
  /** Kamailio's dialogs by state (`dlg.stats_active`); null when it did not answer. */
  dialogs: { early: number; answered: number } | null;
  /** rtpengine's media sessions; null without rtpengine or when it did not answer. */
  mediaSessions: number | null;
  /** Each Microsoft proxy and whether the dispatcher holds it usable (its OPTIONS answered). */
  microsoftProxies: Array<{ uri: string; up: boolean }>;
  /** Call legs ended since start, by leg, direction, disposition and final SIP code. */
  calls: Array<{
    leg: string;
    direction: string;
    disposition: string;
    code: number | null;
    count: number;
  }>;
  hep: { packets: number; cdrsPosted: number; tracesPosted: number; dropped: number } | null;
}

/** A label value as the exposition format wants it quoted. */
const label = (value: string) =>
  `"${value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`;
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([k, v]) => `${k}=${label(v)}`)
    .join(",")}}`;

function family(
  name: string,
  type: "gauge" | "counter",
  help: string,
  samples: Array<[Record<string, string> | null, number]>,
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [pairs, value] of samples) lines.push(`${name}${pairs ? labels(pairs) : ""} ${value}`);
  return lines.join("\n");
}

const bool = (value: boolean) => (value ? 1 : 0);

/** The reading as Prometheus text. */
export function renderMetrics(r: MetricsReading): string {
  const families = [
    family("teamgate_gateway_kamailio_up", "gauge", "Kamailio runs and answers JSON-RPC.", [
      [null, bool(r.kamailioUp)],
    ]),
    ...(r.rtpengineUp === null
      ? []
      : [
          family("teamgate_gateway_rtpengine_up", "gauge", "rtpengine runs.", [
            [null, bool(r.rtpengineUp)],
          ]),
        ]),
    family(
      "teamgate_gateway_registrations",
      "gauge",
      "Devices this node registers at their PBX, by state.",
      (["registered", "failed", "other"] as const).map((state) => [
        { state },
        r.registrations[state],
      ]),
    ),
    family("teamgate_gateway_leases", "gauge", "Device leases this node holds.", [
      [null, r.leases],
    ]),
    ...(r.dialogs
      ? [
          family(
            "teamgate_gateway_calls_active",
            "gauge",
            "Calls through this node now, by state.",
            [
              [{ state: "early" }, r.dialogs.early],
              [{ state: "answered" }, r.dialogs.answered],
            ],
          ),
        ]
      : []),
    ...(r.mediaSessions === null
      ? []
      : [
          family(
            "teamgate_gateway_media_sessions",
            "gauge",
            "Media sessions rtpengine relays now.",
            [[null, r.mediaSessions]],
          ),
        ]),
    family(
      "teamgate_gateway_microsoft_proxy_up",
      "gauge",
      "Microsoft SIP proxies the node may send calls to (keep-alive OPTIONS answered).",
      r.microsoftProxies.map((p) => [{ uri: p.uri }, bool(p.up)]),
    ),
    family(
      "teamgate_gateway_calls_total",
      "counter",
      "Call legs ended since the node started, by leg, direction, disposition and final SIP code.",
      r.calls.map((c) => [
        {
          leg: c.leg,
          direction: c.direction,
          disposition: c.disposition,
          code: c.code === null ? "" : String(c.code),
        },
        c.count,
      ]),
    ),
    ...(r.hep
      ? [
          family(
            "teamgate_gateway_hep_packets_total",
            "counter",
            "SIP messages mirrored by Kamailio.",
            [[null, r.hep.packets]],
          ),
          family("teamgate_gateway_cdrs_posted_total", "counter", "Call records sent to the API.", [
            [null, r.hep.cdrsPosted],
          ]),
          family(
            "teamgate_gateway_traces_posted_total",
            "counter",
            "SIP trace messages sent to the API.",
            [[null, r.hep.tracesPosted]],
          ),
          family(
            "teamgate_gateway_records_dropped_total",
            "counter",
            "Call records, traces and calls dropped (bounds reached or refused).",
            [[null, r.hep.dropped]],
          ),
        ]
      : []),
  ];
  return `${families.join("\n")}\n`;
}

/** Dispatcher flags (`dispatcher.list`): A active, I inactive, D disabled, P probing. */
export function proxyIsUp(flags: string): boolean {
  return flags.startsWith("A");
}
