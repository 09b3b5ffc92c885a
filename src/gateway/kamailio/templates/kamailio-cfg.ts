/**
 * The gateway node's kamailio.cfg as a template over a fully resolved view: every value is
 * already validated and formatted by `render.ts`, so this file only lays text out.
 */

/** Values the kamailio.cfg template needs, resolved by `renderKamailioConfig`. */
export interface KamailioCfgView {
  nodeName: string;
  logLevel: number;
  children: number;
  tcpChildren: number;
  /** Bytes one TCP connection may queue (a JSON-RPC reply listing every registration). */
  tcpConnWriteQueueMax: number;
  /** `listen=` values, e.g. `udp:10.0.0.5:5060`, in order. */
  listens: string[];
  rpcPort: number;
  tls: { configPath: string } | null;
  dispatcherListPath: string;
  dispatcherPingFrom: string;
  dispatcherPingInterval: number;
  hepUri: string;
  pike: { samplingTimeUnit: number; reqsDensityPerUnit: number; removeLatency: number } | null;
  uac: {
    /** Absolute directory holding the empty db_text `uacreg` table (`renderUacregDb`). */
    dbDir: string;
    contactAddr: string;
    timerInterval: number;
    retryInterval: number;
    hashSize: number;
    gcInterval: number;
  };
  /** `name=>size=…;` htable definitions. */
  htables: string[];
}

const q = (value: string) => JSON.stringify(value);

/** Lays out kamailio.cfg for one gateway node. */
export function kamailioCfgTemplate(v: KamailioCfgView): string {
  const tlsLines = v.tls
    ? ["enable_tls=yes", 'loadmodule "tls.so"', `modparam("tls", "config", ${q(v.tls.configPath)})`]
    : ["enable_tls=no"];
  const pikeModule = v.pike ? ['loadmodule "pike.so"'] : [];
  const pikeParams = v.pike
    ? [
        `modparam("pike", "sampling_time_unit", ${v.pike.samplingTimeUnit})`,
        `modparam("pike", "reqs_density_per_unit", ${v.pike.reqsDensityPerUnit})`,
        `modparam("pike", "remove_latency", ${v.pike.removeLatency})`,
      ]
    : [];
  const pikeCheck = v.pike
    ? `
	if (!pike_check_req()) {
		# flooding source: drop silently, answering would help the flood
		exit;
	}`
    : "";

  return `#!KAMAILIO
#
# Teamgate gateway node ${q(v.nodeName)}: rendered by src/gateway/kamailio/render.ts.
# Do not edit: the agent writes this file again on every start.

####### Global parameters #########

debug=${v.logLevel}
log_stderror=yes
log_prefix="{$mt $hdr(CSeq) $ci} "
children=${v.children}
tcp_children=${v.tcpChildren}
auto_aliases=no
tcp_accept_no_cl=yes
# uac.reg_dump answers with every registration in one reply: let a connection queue all of it
tcp_conn_wq_max=${v.tcpConnWriteQueueMax}
tcp_wq_max=${4 * v.tcpConnWriteQueueMax}
server_header="Server: Teamgate SBC"
user_agent_header="User-Agent: Teamgate SBC"
${v.listens.map((listen) => `listen=${listen}`).join("\n")}
# JSON-RPC over HTTP, loopback only
listen=tcp:127.0.0.1:${v.rpcPort}
${tlsLines.join("\n")}

####### Modules #########

loadmodule "db_text.so"
loadmodule "jsonrpcs.so"
loadmodule "xhttp.so"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
${pikeModule.join("\n")}
loadmodule "htable.so"
loadmodule "dispatcher.so"
loadmodule "uac.so"
loadmodule "siptrace.so"

modparam("jsonrpcs", "transport", 1)
modparam("jsonrpcs", "pretty_format", 0)

# Remote registrations: the agent adds and removes them over JSON-RPC. uac starts its
# registration timer only with a database URL, so it gets an empty db_text table.
modparam("uac", "reg_db_url", ${q(`text://${v.uac.dbDir}`)})
modparam("uac", "reg_contact_addr", ${q(v.uac.contactAddr)})
modparam("uac", "reg_timer_interval", ${v.uac.timerInterval})
modparam("uac", "reg_retry_interval", ${v.uac.retryInterval})
modparam("uac", "reg_hash_size", ${v.uac.hashSize})
modparam("uac", "reg_gc_interval", ${v.uac.gcInterval})
modparam("uac", "reg_keep_callid", 1)

# Routing data, kept in step with the gateway feed by the agent.
${v.htables.map((def) => `modparam("htable", "htable", ${q(def)})`).join("\n")}

# The Microsoft proxies: set 1, OPTIONS keep-alive.
modparam("dispatcher", "list_file", ${q(v.dispatcherListPath)})
modparam("dispatcher", "ds_ping_method", "OPTIONS")
modparam("dispatcher", "ds_ping_from", ${q(v.dispatcherPingFrom)})
modparam("dispatcher", "ds_ping_interval", ${v.dispatcherPingInterval})
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_ping_reply_codes", "class=2")

# Every SIP message in and out, mirrored as HEP to the agent.
modparam("siptrace", "duplicate_uri", ${q(v.hepUri)})
modparam("siptrace", "hep_mode_on", 1)
modparam("siptrace", "hep_version", 3)
modparam("siptrace", "trace_to_database", 0)
modparam("siptrace", "trace_on", 1)
modparam("siptrace", "trace_mode", 1)

${pikeParams.join("\n")}

####### Routing #########

request_route {
	if ($Rp == ${v.rpcPort}) {
		# the JSON-RPC port speaks HTTP only
		exit;
	}
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		xlog("L_NOTICE", "malformed request from $si:$sp\\n");
		exit;
	}${pikeCheck}
	if (is_method("OPTIONS") && uri == myself) {
		sl_send_reply("200", "OK");
		exit;
	}
	if (is_method("ACK")) {
		exit;
	}
	sl_send_reply("404", "Not Found");
	exit;
}

event_route[xhttp:request] {
	if ($Rp != ${v.rpcPort} || $si != "127.0.0.1") {
		xhttp_reply("403", "Forbidden", "text/plain", "JSON-RPC on loopback only\\n");
		exit;
	}
	if ($hu =~ "^/RPC") {
		jsonrpc_dispatch();
		exit;
	}
	xhttp_reply("404", "Not Found", "text/plain", "POST JSON-RPC to /RPC\\n");
	exit;
}
`;
}
