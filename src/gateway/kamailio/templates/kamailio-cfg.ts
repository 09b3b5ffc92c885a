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
  /** Core `maxbuffer`: the most Kamailio's probe grows a UDP socket's receive buffer to. */
  udpReceiveBufferMax: number;
  /** `listen=` values, e.g. `udp:10.0.0.5:5060`, in order. */
  listens: string[];
  /** Host names this node answers to besides its addresses (`alias=`). */
  aliases: string[];
  rpcPort: number;
  tls: { configPath: string } | null;
  /**
   * The Microsoft side: the local port its requests arrive on, the networks they may come from
   * (`is_in_subnet` list), and the port and transport put in the Contact Microsoft sees.
   * Null: no Microsoft listener (calls to Microsoft still leave through the dispatcher).
   */
  microsoft: {
    /** The listener as `proto:address:port`: requests to Microsoft leave from it. */
    socket: string;
    port: number;
    networks: string;
    contactPort: number;
    contactTransport: string;
  } | null;
  /** The `X-MS-SBC` value (vendor/model/version). */
  sbcIdentity: string;
  dispatcherListPath: string;
  dispatcherPingFrom: string;
  dispatcherPingInterval: number;
  /** The host in the Contact of the keep-alive OPTIONS: the node's SBC FQDN. */
  optionsContactHost: string;
  /** Seconds an INVITE to one Microsoft proxy may go without a reply before the next is tried. */
  microsoftFailoverSeconds: number;
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
  /** rtpengine's ng control socket (`udp:127.0.0.1:port`), or null to leave media alone. */
  rtpengine: { socket: string; holdMusic: string | null } | null;
  /** `name=>size=…;` htable definitions. */
  htables: string[];
  /** db_text directory the htables load from at start and on `htable.reload`, or null. */
  htablesDbDir: string | null;
}

const q = (value: string) => JSON.stringify(value);

/** SRTP suites rtpengine offers besides AES_CM_128_HMAC_SHA1_80, each turned off by a flag. */
const OTHER_SDES_SUITES = [
  "AEAD_AES_256_GCM",
  "AEAD_AES_128_GCM",
  "AES_256_CM_HMAC_SHA1_80",
  "AES_256_CM_HMAC_SHA1_32",
  "AES_192_CM_HMAC_SHA1_80",
  "AES_192_CM_HMAC_SHA1_32",
  "AES_CM_128_HMAC_SHA1_32",
  "F8_128_HMAC_SHA1_80",
  "F8_128_HMAC_SHA1_32",
  "NULL_HMAC_SHA1_80",
  "NULL_HMAC_SHA1_32",
];
/** rtpengine flags: media towards Microsoft is SRTP with SDES AES_CM_128_HMAC_SHA1_80 only. */
export const TO_MICROSOFT = `replace-origin replace-session-connection ICE=remove RTP/SAVP ${OTHER_SDES_SUITES.map((suite) => `SDES-no-${suite}`).join(" ")}`;
/** Media towards the PBX (or trunk) is plain RTP. */
const TO_PBX = "replace-origin replace-session-connection ICE=remove RTP/AVP";

function mediaRoutes(v: KamailioCfgView): string {
  if (!v.rtpengine) {
    return `
route[MEDIA_OFFER] {
	return;
}

route[MEDIA_ANSWER] {
	return;
}

route[MEDIA_END] {
	return;
}

route[HOLD] {
	return;
}

route[KEEP_MS_SDP] {
	return;
}`;
  }
  const music = v.rtpengine.holdMusic;
  const hold = music
    ? `
# A hold from Microsoft when the enterprise does not use its PBX's music: the gateway answers
# the re-INVITE itself (the PBX never sees it, so it keeps a two-way stream and plays nothing)
# with the SDP Microsoft last had from it, its direction turned, and plays its music to the PBX
# side; the resume is answered the same way and stops the music.
route[HOLD] {
	if ($dlg_var(moh) != "0" || $dlg_var(mssdp) == $null || $dlg_var(pbxtag) == $null) {
		return;
	}
	if (search_body("a=sendonly") || search_body("c=IN IP4 0\\.0\\.0\\.0")) {
		$var(dir) = "recvonly";
	} else if (search_body("a=inactive")) {
		$var(dir) = "inactive";
	} else if ($dlg_var(held) == "1") {
		$var(dir) = "sendrecv";
	} else {
		# not a hold, not a resume: the PBX answers it
		return;
	}
	$var(sdp) = $dlg_var(mssdp);
	$var(sdp) = $(var(sdp){re.subst,/a=(sendrecv|sendonly|recvonly|inactive)/a=$var(dir)/g});
	# the session version goes up by one
	$var(oline) = $(var(sdp){line.sw,o=});
	$var(version) = $(var(oline){s.select,2, }{s.int}) + 1;
	$var(head) = $(var(oline){s.select,0, }) + " " + $(var(oline){s.select,1, }) + " ";
	$var(prefix) = $var(head) + $(var(oline){s.select,2, });
	$var(newo) = $var(head) + $var(version);
	$var(sdp) = $(var(sdp){s.replace,$var(prefix),$var(newo)});
	$dlg_var(mssdp) = $var(sdp);
	if ($var(dir) == "sendrecv") {
		stop_media("from-tag=$dlg_var(pbxtag)");
		$dlg_var(held) = "0";
	} else {
		play_media("from-tag=$dlg_var(pbxtag) file=${music} repeat-times=1000");
		$dlg_var(held) = "1";
	}
	$dlg_var(localcseq) = "" + $cs;
	set_reply_body("$var(sdp)", "application/sdp");
	append_to_reply("Contact: <sip:teamgate@$dlg_var(fqdn):${v.microsoft?.contactPort ?? 5061};transport=${v.microsoft?.contactTransport ?? "tls"}>\\r\\n");
	sl_send_reply("200", "OK");
	exit;
}

# Keeps the SDP Microsoft is about to receive (the gateway answers a hold with it): changes so
# far are applied to the message first. Before record_route(), whose lumps depend on the socket.
route[KEEP_MS_SDP] {
	if (has_body("application/sdp") && $dlg_var(moh) == "0") {
		msg_apply_changes();
		$dlg_var(mssdp) = $rb;
	}
}`
    : `
route[HOLD] {
	return;
}

route[KEEP_MS_SDP] {
	return;
}`;
  return `
# An SDP offer on its way: towards Microsoft SRTP, towards the PBX RTP.
route[MEDIA_OFFER] {
	if (!has_body("application/sdp")) {
		return;
	}
	if ($vn(towards) == "ms") {
		rtpengine_offer("${TO_MICROSOFT}");
	} else {
		rtpengine_offer("${TO_PBX}");
	}
}

# An SDP answer in a reply: rtpengine already knows each side's profile from the offer.
route[MEDIA_ANSWER] {
	if (has_body("application/sdp")) {
		rtpengine_answer("replace-origin replace-session-connection ICE=remove");
	}
}

route[MEDIA_END] {
	rtpengine_delete();
}
${hold}`;
}

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
		# only requests that open a dialog count: a busy PBX's ACKs and BYEs are not a flood
		if (!has_totag() && !pike_check_req()) {
			# flooding source: drop silently, answering would help the flood
			exit;
		}`
    : "";
  const ms = v.microsoft;
  // requests to Microsoft leave from the Microsoft listener, not whichever socket matches first
  const forceMs = ms ? `$fs = ${q(ms.socket)};` : "$fs = $null;";
  const rtpengineModule = v.rtpengine ? ['loadmodule "rtpengine.so"'] : [];
  const rtpengineParams = v.rtpengine
    ? [
        `modparam("rtpengine", "rtpengine_sock", ${q(v.rtpengine.socket)})`,
        // a relay that missed a ping is tried again after 5 s, not the default minute
        'modparam("rtpengine", "rtpengine_disable_tout", 5)',
      ]
    : [];

  return `#!KAMAILIO
#
# Teamgate gateway node ${q(v.nodeName)}: rendered by src/gateway/kamailio/render.ts.
# Do not edit: the agent writes this file again on every start.
#
# Every call is decided from the htables the agent keeps in step with the gateway feed:
#   fqdn    derived trunk FQDN -> enterprise      ent     enterprise -> "1" while served
#   entmoh  enterprise -> "1" PBX music on hold   entfqdn enterprise -> its derived FQDN here
#   num     E.164 -> user
#   usr     user -> "enterprise|service|device|PBX (or trunk) URI|sip:ext@domain|numbers"
#           (route USER reads it; numbers comma-separated, device and AOR empty for trunk users)
#   dev     device -> "user|hex(digest user)|hex(digest password)"
#   pbxip   "<PBX host>|<address>" -> "1": where a PBX found by SRV or NAPTR may call from

####### Global parameters #########

debug=${v.logLevel}
log_stderror=yes
log_prefix="{$mt $hdr(CSeq) $ci} "
children=${v.children}
tcp_children=${v.tcpChildren}
auto_aliases=no
tcp_accept_no_cl=yes
# connections the node opens leave from its listening port, so a reply's $Rp names the side
tcp_reuse_port=yes
# uac.reg_dump answers with every registration in one reply: let a connection queue all of it
tcp_conn_wq_max=${v.tcpConnWriteQueueMax}
tcp_wq_max=${4 * v.tcpConnWriteQueueMax}
# PBX locations are found as RFC 3263 says: a URI with a port by A/AAAA, one with a transport
# by SRV, one with neither by NAPTR (then SRV, then A); Kamailio skips NAPTR unless asked.
dns_try_naptr=yes
# a target that cannot be reached (refused, no answer, 503) is followed by the next SRV record or
# address of the same name, for registrations and calls alike (DNS cache, on by default)
use_dns_failover=on
# A cold start's REGISTERs are answered all at once: let the UDP receive buffers grow past
# Kamailio's 256 KB (the kernel's net.core.rmem_max still caps them), fewer answers dropped.
maxbuffer=${v.udpReceiveBufferMax}
server_header="Server: Teamgate SBC"
user_agent_header="User-Agent: Teamgate SBC"
${v.listens.map((listen) => `listen=${listen}`).join("\n")}
${v.aliases.map((alias) => `alias=${alias}`).join("\n")}
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
loadmodule "textopsx.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "ipops.so"
${pikeModule.join("\n")}
loadmodule "htable.so"
loadmodule "dialog.so"
loadmodule "dispatcher.so"
loadmodule "uac.so"
loadmodule "siptrace.so"
${rtpengineModule.join("\n")}

modparam("jsonrpcs", "transport", 1)
modparam("jsonrpcs", "pretty_format", 0)

# db_text re-reads a table file whose modification time changed (a reload sees the new file).
modparam("db_text", "db_mode", 1)
modparam("db_text", "emptystring", 1)

modparam("tm", "fr_inv_timer", 120000)

# Both Record-Route entries when a call crosses from one side (socket) to the other.
modparam("rr", "enable_double_rr", 1)
modparam("rr", "append_fromtag", 1)

# Dialogs: per-call variables (the derived FQDN, the PBX's Contact, hold state), and the CSeq
# shift uac_auth() makes on the PBX leg, applied to the rest of the dialog.
modparam("dialog", "track_cseq_updates", 1)
modparam("dialog", "dlg_match_mode", 1)
modparam("dialog", "default_timeout", 43200)

# Remote registrations: uac loads the node's registrations from this db_text table as it starts
# (the agent writes it before each start, ADR 0025) and sends them at once; the agent empties it
# once they are loaded, and adds and removes registrations over JSON-RPC after that.
modparam("uac", "reg_db_url", ${q(`text://${v.uac.dbDir}`)})
modparam("uac", "reg_contact_addr", ${q(v.uac.contactAddr)})
modparam("uac", "reg_timer_interval", ${v.uac.timerInterval})
modparam("uac", "reg_retry_interval", ${v.uac.retryInterval})
modparam("uac", "reg_hash_size", ${v.uac.hashSize})
modparam("uac", "reg_gc_interval", ${v.uac.gcInterval})
modparam("uac", "reg_keep_callid", 1)
# A call from Teams is authenticated at the PBX as the user's device: its credentials are put
# in these AVPs; the realm is left empty so any realm the PBX asks for is answered.
modparam("uac", "auth_username_avp", "$avp(auser)")
modparam("uac", "auth_password_avp", "$avp(apass)")
modparam("uac", "auth_realm_avp", "$avp(arealm)")
modparam("uac", "restore_mode", "auto")
modparam("uac", "restore_dlg", 1)

# Routing data, kept in step with the gateway feed by the agent: key by key over JSON-RPC, or a
# whole table at once from its db_text file (written by the agent, then htable.reload).
${v.htablesDbDir ? `modparam("htable", "db_url", ${q(`text://${v.htablesDbDir}`)})` : ""}
${v.htables.map((def) => `modparam("htable", "htable", ${q(def)})`).join("\n")}

# The Microsoft proxies: set 1, OPTIONS keep-alive, failover in priority order.
modparam("dispatcher", "list_file", ${q(v.dispatcherListPath)})
modparam("dispatcher", "ds_ping_method", "OPTIONS")
modparam("dispatcher", "ds_ping_from", ${q(v.dispatcherPingFrom)})
modparam("dispatcher", "ds_ping_interval", ${v.dispatcherPingInterval})
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_ping_reply_codes", "class=2")
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "xavp_dst", "_dsdst_")
modparam("dispatcher", "xavp_ctx", "_dsctx_")

# Every SIP message in and out, mirrored as HEP to the agent.
modparam("siptrace", "duplicate_uri", ${q(v.hepUri)})
modparam("siptrace", "hep_mode_on", 1)
modparam("siptrace", "hep_version", 3)
modparam("siptrace", "trace_to_database", 0)
modparam("siptrace", "trace_on", 1)
modparam("siptrace", "trace_mode", 1)

${pikeParams.join("\n")}
${rtpengineParams.join("\n")}

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
	}
	$vn(fromms) = 0;
	if ($Rn == "microsoft") {
		if (!is_in_subnet("$si", ${q(ms?.networks ?? "127.0.0.1/32")})) {
			xlog("L_NOTICE", "$rm from $si:$sp refused: not a Microsoft address\\n");
			exit;
		}
		$vn(fromms) = 1;
	} else {${pikeCheck}
	}
	if (is_method("OPTIONS") && $rU == $null) {
		# keep-alive from Microsoft or a probe: the node is up
		sl_send_reply("200", "OK");
		exit;
	}
	if (has_totag()) {
		route(WITHINDLG);
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			route(MEDIA_END);
			t_relay();
		}
		exit;
	}
	if (is_method("ACK")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	t_check_trans();
	if (!is_method("INVITE")) {
		# no registrar, no relay: only calls are served
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	if ($vn(fromms) == 1) {
		route(FROM_MICROSOFT);
	} else {
		route(FROM_PBX);
	}
	exit;
}

# A call from a Teams user: the tenant from the derived FQDN it was sent to, the user from the
# calling number (screened: it must be a number of a user of that tenant), then to the PBX as
# the user's registered device (or to the provider's trunk for a trunk user).
route[FROM_MICROSOFT] {
	$vn(fqdn) = $(rd{s.tolower});
	$vn(ent) = $sht(fqdn=>$vn(fqdn));
	if ($vn(ent) == $null) {
		$vn(fqdn) = $(td{s.tolower});
		$vn(ent) = $sht(fqdn=>$vn(fqdn));
	}
	if ($vn(ent) == $null || $sht(ent=>$vn(ent)) != "1") {
		sl_send_reply("403", "Forbidden: no service for this trunk");
		exit;
	}
	if (is_present_hf("P-Asserted-Identity") && $(ai{uri.user}) != "") {
		$vn(cid) = $(ai{uri.user});
	} else {
		$vn(cid) = $fU;
	}
	if (!($vn(cid) =~ "^[+]")) {
		$vn(cid) = "+" + $vn(cid);
	}
	$vn(usr) = $sht(num=>$vn(cid));
	route(USER);
	if ($vn(usr) == $null || $vn(uent) != $vn(ent)) {
		sl_send_reply("403", "Forbidden: calling number not allowed");
		exit;
	}
	$vn(dst) = $vn(udst);
	if ($vn(dst) == "") {
		sl_send_reply("503", "Service Unavailable: no PBX for this user");
		exit;
	}
	if ($vn(usvc) == "pbx") {
		$vn(aor) = $vn(uaor);
		if ($vn(aor) == "" || $vn(udev) == "") {
			sl_send_reply("503", "Service Unavailable: no device for this user");
			exit;
		}
		$avp(dev) = $vn(udev);
		$var(uri) = $vn(aor);
		$vn(host) = $(var(uri){uri.host});
		$vn(from) = $vn(aor);
		remove_hf("P-Asserted-Identity");
	} else {
		$var(uri) = $vn(dst);
		$vn(host) = $(var(uri){uri.host});
		$vn(from) = "sip:" + $vn(cid) + "@" + $vn(host);
	}
	dlg_manage();
	$dlg_var(fqdn) = $vn(fqdn);
	$dlg_var(usr) = $vn(usr);
	$dlg_var(ent) = $vn(ent);
	$dlg_var(pbxdom) = $vn(host);
	$dlg_var(caller) = "ms";
	$dlg_var(mstag) = $ft;
	$dlg_var(moh) = $sht(entmoh=>$vn(ent));
	uac_replace_from("$vn(from)");
	$ru = "sip:" + $rU + "@" + $vn(host);
	$du = $vn(dst);
	record_route();
	$vn(towards) = "pbx";
	route(MEDIA_OFFER);
	t_on_reply("FROM_PBX_REPLY");
	t_on_failure("PBX_AUTH");
	route(RELAY);
}

# The user $vn(usr) names, from the usr table: $vn(uent) its enterprise, $vn(usvc) "pbx" or
# "trunk", $vn(udev) its device, $vn(udst) its PBX (or trunk) URI, $vn(uaor) its AOR at the
# PBX, $vn(ucid) its numbers, comma-separated ("" where it has none). An unknown user leaves
# $vn(usr) $null.
route[USER] {
	if ($vn(usr) == $null) {
		return;
	}
	$vn(u) = $sht(usr=>$vn(usr));
	if ($vn(u) == $null) {
		$vn(usr) = $null;
		return;
	}
	$var(u) = $vn(u);
	$vn(uent) = $(var(u){s.select,0,|});
	$vn(usvc) = $(var(u){s.select,1,|});
	$vn(udev) = $(var(u){s.select,2,|});
	$vn(udst) = $(var(u){s.select,3,|});
	$vn(uaor) = $(var(u){s.select,4,|});
	$vn(ucid) = $(var(u){s.select,5,|});
}

# A call from the PBX to a registered device (the Contact user is the device id), or from the
# provider's trunk to a trunk user's DID: to Microsoft as the user's number.
route[FROM_PBX] {
	$vn(dev) = $sht(dev=>$rU);
	if ($vn(dev) != $null) {
		$var(dev) = $vn(dev);
		$vn(usr) = $(var(dev){s.select,0,|});
		route(USER);
	} else {
		$vn(did) = $rU;
		if (!($vn(did) =~ "^[+]")) {
			$vn(did) = "+" + $vn(did);
		}
		$vn(usr) = $sht(num=>$vn(did));
		route(USER);
		if ($vn(usr) != $null && $vn(usvc) != "trunk") {
			$vn(usr) = $null;
		}
	}
	if ($vn(usr) == $null) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	$vn(ent) = $vn(uent);
	if ($sht(ent=>$vn(ent)) != "1") {
		sl_send_reply("403", "Forbidden: enterprise disabled");
		exit;
	}
	# no open relay: the call must come from the user's own PBX (or trunk). A location found by
	# its A record (host:port) is checked against the source address through Kamailio's DNS
	# cache; one found by SRV or NAPTR (no port) against the addresses the agent resolved its
	# targets to (pbxip, "<host>|<address>"): none known yet, no call (ADR 0023).
	if ($vn(udst) == "") {
		route(NOT_USERS_PBX);
	}
	$var(uri) = $vn(udst);
	$var(pbxhost) = $(var(uri){uri.host}{s.tolower});
	# IPv6 sources are compared as the agent writes them: compressed, lower case
	$var(src) = $(si{s.tolower});
	if ($(var(uri){uri.port}) =~ "^[0-9]+$") {
		if (!dns_int_match_ip("$var(pbxhost)", "$si")) {
			route(NOT_USERS_PBX);
		}
	} else if ($sht(pbxip=>$var(pbxhost)|$var(src)) != "1") {
		route(NOT_USERS_PBX);
	}
	$vn(fqdn) = $sht(entfqdn=>$vn(ent));
	$var(numbers) = $vn(ucid);
	$vn(number) = $(var(numbers){s.select,0,,});
	if ($vn(fqdn) == $null || $vn(number) == "") {
		sl_send_reply("404", "Not Found: no Teams number");
		exit;
	}
	if (!ds_select_dst("${1}", "8")) {
		sl_send_reply("503", "Service Unavailable: no Microsoft proxy");
		exit;
	}
	$vn(pbxuri) = $vn(uaor);
	if ($vn(pbxuri) == "") {
		$vn(pbxuri) = $vn(udst);
	}
	dlg_manage();
	$dlg_var(fqdn) = $vn(fqdn);
	$dlg_var(usr) = $vn(usr);
	$dlg_var(ent) = $vn(ent);
	if ($vn(pbxuri) != "") {
		$var(uri) = $vn(pbxuri);
		$dlg_var(pbxdom) = $(var(uri){uri.host});
	}
	$dlg_var(caller) = "pbx";
	$dlg_var(pbxc) = $(ct{nameaddr.uri});
	$vn(caller) = $fU;
	if ($vn(caller) == $null || $vn(caller) == "") {
		$vn(caller) = "anonymous";
	}
	$vn(from) = "sip:" + $vn(caller) + "@" + $vn(fqdn);
	uac_replace_from("$vn(from)");
	$vn(to) = "sip:" + $vn(number) + "@" + $vn(fqdn);
	uac_replace_to("$vn(to)");
	$vn(cuser) = $vn(caller);
	$ru = "sip:" + $vn(number) + "@" + $(du{uri.host}) + ":" + $(du{uri.port}) + ";user=phone";
	route(CONTACT_TO_MS);
	remove_hf("X-MS-SBC");
	append_hf("X-MS-SBC: ${v.sbcIdentity}\\r\\n");
	$dlg_var(pbxtag) = $ft;
	$vn(towards) = "ms";
	route(MEDIA_OFFER);
	route(KEEP_MS_SDP);
	record_route();
	t_set_fr(120000, ${v.microsoftFailoverSeconds * 1000});
	t_on_reply("FROM_MS_REPLY");
	t_on_failure("MS_FAILOVER");
	route(RELAY);
}

route[NOT_USERS_PBX] {
	xlog("L_NOTICE", "call to $rU from $si refused: not the user's PBX\n");
	sl_send_reply("403", "Forbidden: not this user's PBX");
	exit;
}

# The Contact Microsoft must see: the tenant's derived FQDN, TLS.
route[CONTACT_TO_MS] {
	if ($vn(cuser) == $null || $vn(cuser) == "") {
		$vn(cuser) = $(ct{nameaddr.uri}{uri.user});
	}
	if ($vn(cuser) == $null || $vn(cuser) == "") {
		$vn(cuser) = "teamgate";
	}
	remove_hf("Contact");
	append_hf("Contact: <sip:$vn(cuser)@$dlg_var(fqdn):${ms?.contactPort ?? 5061};transport=${ms?.contactTransport ?? "tls"}>\\r\\n");
}

route[RELAY] {
	if ($vn(towards) == "ms") {
		${forceMs}
	}
	if (t_relay()) {
		exit;
	}
	# a new call whose Microsoft proxy cannot be reached at all: the next one at once
	while (!has_totag() && $vn(towards) == "ms" && is_method("INVITE")) {
		ds_mark_dst("ip");
		if (!ds_next_dst()) {
			break;
		}
		$ru = "sip:" + $rU + "@" + $(du{uri.host}) + ":" + $(du{uri.port}) + ";user=phone";
		if (t_relay()) {
			exit;
		}
	}
	sl_reply_error();
	exit;
}

# In-dialog requests follow the Record-Route set. Microsoft addresses the PBX side by the
# Contact the gateway gave it (the derived FQDN), so its requests go to the PBX's real Contact.
route[WITHINDLG] {
	if (!loose_route()) {
		if (is_method("ACK") && t_check_trans()) {
			t_relay();
			exit;
		}
		sl_send_reply("404", "Not Here");
		exit;
	}
	if (is_method("ACK") && $dlg_var(localcseq) != $null) {
		$var(cseq) = "" + $cs;
		if ($var(cseq) == $dlg_var(localcseq)) {
			# the ACK of a hold the gateway answered itself
			exit;
		}
	}
	# the side a request comes from: the caller's when it goes downstream
	$vn(fromms) = 0;
	if (is_direction("downstream")) {
		if ($dlg_var(caller) == "ms") {
			$vn(fromms) = 1;
		}
	} else if ($dlg_var(caller) != "ms") {
		$vn(fromms) = 1;
	}
	if ($vn(fromms) == 1) {
		if ($dlg_var(pbxc) != $null) {
			$ru = $dlg_var(pbxc);
		}
		$vn(towards) = "pbx";
		if (is_method("INVITE") && has_body("application/sdp")) {
			route(HOLD);
		}
		if (is_method("REFER") && is_present_hf("Refer-To") && $dlg_var(pbxdom) != $null) {
			# a blind transfer from Teams: the PBX calls the target, by number, on its own domain
			$var(target) = $(hdr(Refer-To){nameaddr.uri}{uri.user});
			remove_hf("Refer-To");
			append_hf("Refer-To: <sip:$var(target)@$dlg_var(pbxdom)>\r\n");
		}
	} else {
		$vn(towards) = "ms";
		if (is_method("INVITE|UPDATE") && is_present_hf("Contact")) {
			$dlg_var(pbxc) = $(ct{nameaddr.uri});
			route(CONTACT_TO_MS);
		}
	}
	if (is_method("INVITE|UPDATE")) {
		route(MEDIA_OFFER);
	} else if (is_method("BYE")) {
		route(MEDIA_END);
	}
	if ($vn(towards) == "ms") {
		t_on_reply("FROM_MS_REPLY");
	} else {
		t_on_reply("FROM_PBX_REPLY");
	}
	route(RELAY);
}

# Every reply, before the transaction layer sees it. A PBX may challenge once per digest
# algorithm, its preferred first (RFC 8760: SHA-256, then MD5); uac (5.6) reads only the first
# challenge and answers MD5 only, so the challenges it cannot answer are taken out when an MD5
# one is there. A PBX offering no MD5 is left as it is: the registration fails and the agent's
# report says why.
reply_route {
	if ($rs == 401 || $rs == 407) {
		route(MD5_CHALLENGE_FIRST);
	}
}

route[MD5_CHALLENGE_FIRST] {
	$var(md5) = 0;
	$var(other) = 0;
	hf_iterator_start("ch");
	while (hf_iterator_next("ch")) {
		route(CHALLENGE_KIND);
		if ($var(kind) == "md5") {
			$var(md5) = $var(md5) + 1;
		} else if ($var(kind) == "other") {
			$var(other) = $var(other) + 1;
		}
	}
	hf_iterator_end("ch");
	if ($var(md5) == 0 || $var(other) == 0) {
		return;
	}
	hf_iterator_start("ch");
	while (hf_iterator_next("ch")) {
		route(CHALLENGE_KIND);
		if ($var(kind) == "other") {
			hf_iterator_rm("ch");
		}
	}
	hf_iterator_end("ch");
	msg_apply_changes();
}

# The header under the iterator "ch": $var(kind) "md5" for a digest challenge uac can answer
# (algorithm MD5, or none named), "other" for another algorithm, "" for another header.
route[CHALLENGE_KIND] {
	$var(kind) = "";
	$var(name) = $(hfitname(ch){s.tolower});
	if ($var(name) != "www-authenticate" && $var(name) != "proxy-authenticate") {
		return;
	}
	$var(body) = $(hfitbody(ch){s.tolower});
	if ($var(body) =~ "algorithm *=" && !($var(body) =~ "algorithm *= *.?md5([^a-z0-9-]|$)")) {
		$var(kind) = "other";
	} else {
		$var(kind) = "md5";
	}
}

# Replies from the PBX (going to Microsoft): the Contact Microsoft sees carries the FQDN, and
# the PBX's own Contact is kept for Microsoft's in-dialog requests; the SDP answer through
# rtpengine.
onreply_route[FROM_PBX_REPLY] {
	if ($rs =~ "^(18[0-9]|2[0-9][0-9])$") {
		if (is_present_hf("Contact") && $dlg_var(fqdn) != $null) {
			if ($dlg_var(caller) == "ms") {
				$dlg_var(pbxc) = $(ct{nameaddr.uri});
			}
			route(CONTACT_TO_MS);
		}
		route(MEDIA_ANSWER);
		if ($rs =~ "^2" && is_method("INVITE")) {
			if ($dlg_var(caller) == "ms" && $dlg_var(pbxtag) == $null) {
				$dlg_var(pbxtag) = $tt;
			}
			route(KEEP_MS_SDP);
		}
	}
}

# Replies from Microsoft (going to the PBX): its tag names its side of the media.
onreply_route[FROM_MS_REPLY] {
	if ($dlg_var(mstag) == $null && $tt != $null) {
		$dlg_var(mstag) = $tt;
	}
	if ($rs =~ "^(18[0-9]|2[0-9][0-9])$") {
		route(MEDIA_ANSWER);
	}
}

# A call from Teams challenged by the PBX: answered once with the user's device credentials.
failure_route[PBX_AUTH] {
	if (t_is_canceled()) {
		route(MEDIA_END);
		exit;
	}
	if (t_check_status("401|407") && $avp(dev) != $null && $avp(authed) == $null
			&& $sht(dev=>$avp(dev)) != $null) {
		$avp(authed) = 1;
		$var(dev) = $sht(dev=>$avp(dev));
		$avp(auser) = $(var(dev){s.select,1,|}{s.decode.hexa});
		$avp(apass) = $(var(dev){s.select,2,|}{s.decode.hexa});
		$avp(arealm) = "";
		if (uac_auth()) {
			t_on_reply("FROM_PBX_REPLY");
			t_on_failure("PBX_AUTH");
			t_relay();
			exit;
		}
	}
	route(MEDIA_END);
}

# A Microsoft proxy that times out or fails: the next one, in priority order.
failure_route[MS_FAILOVER] {
	if (t_is_canceled()) {
		route(MEDIA_END);
		exit;
	}
	if (t_branch_timeout() || t_check_status("5[0-9][0-9]")) {
		ds_mark_dst("ip");
		if (ds_next_dst()) {
			$ru = "sip:" + $rU + "@" + $(du{uri.host}) + ":" + $(du{uri.port}) + ";user=phone";
			t_set_fr(120000, ${v.microsoftFailoverSeconds * 1000});
			t_on_reply("FROM_MS_REPLY");
			t_on_failure("MS_FAILOVER");
			${forceMs}
			t_relay();
			exit;
		}
	}
	route(MEDIA_END);
}
${mediaRoutes(v)}

# The keep-alive OPTIONS to Microsoft's proxies: Microsoft identifies the SBC by the FQDN in
# their Contact, so it names the node's SBC FQDN (its derived trunks follow its state).
# Each message before siptrace mirrors it to the agent: a 2xx to a REGISTER tells the agent
# nothing uac's own state does not (it reads the PBX's answers for failures only), and during a
# cold start those are a quarter of all messages.
event_route[siptrace:msg] {
	if (status =~ "^2[0-9][0-9]$" && $rm == "REGISTER") {
		drop;
	}
}

event_route[tm:local-request] {
	if (is_method("OPTIONS") && $fU == "options") {
		append_hf("Contact: <sip:${v.optionsContactHost}:${v.microsoft?.contactPort ?? 5061};transport=${v.microsoft?.contactTransport ?? "tls"}>\r\n");
		append_hf("X-MS-SBC: ${v.sbcIdentity}\r\n");
	}
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
